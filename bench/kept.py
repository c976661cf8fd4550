"""What keeping `make run`'s data on disk costs (tooling/local/kept_data.py), per 10,000 items: the
write-behind flush of that many changed items, the start that reads them back into moto, the
compaction of the journal, and the journal's size. Records of the cities schema's shape, written
by moto as the API's writes would be. Then the files' bucket (kept_files), per 1,000 objects: the
flush that writes them, the flush of one more beside them, and the start that puts them back."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import boto3
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from tooling.local import data_journal
from tooling.local.dynamodb import LocalDynamoDB
from tooling.local.kept_data import KeptData
from tooling.local.kept_files import KeptFiles

T = TypeVar("T")
ITEMS = 10_000
REGION = "us-east-1"
TABLE = "kept-City"
OBJECTS, OBJECT_BYTES = 1_000, 20_000
BUCKET = "kept-files"


def _item(number: int) -> dict[str, dict[str, object]]:
    return {
        "id": {"S": f"Q2l0eTo{number:032x}"},
        "name": {"S": f"city {number}"},
        "population": {"N": str(number * 7)},
        "neighborhoods": {"L": [{"S": "north"}, {"S": "south"}]},
        "founded": {"S": "1900-01-01"},
        "_v": {"N": "1"},
    }


def main() -> None:
    dynamodb = LocalDynamoDB().start()
    backend = get_backend("dynamodb")[DEFAULT_ACCOUNT_ID][REGION]
    client = boto3.client("dynamodb", endpoint_url=dynamodb.url, region_name=REGION)
    try:
        with tempfile.TemporaryDirectory() as folder:
            kept = KeptData(Path(folder), REGION, dynamodb.lock, frozenset())
            kept.claim()
            kept.restore(dynamodb.url)
            kept.start(background=False)
            client.create_table(
                TableName=TABLE,
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            )
            with dynamodb.lock:
                for number in range(ITEMS):
                    backend.put_item(TABLE, _item(number))
            _, flushed = _timed(kept.flush)
            kept.stop()
            size = (Path(folder) / "journal.jsonl").stat().st_size
            _, compacted = _timed(lambda: data_journal.write(kept.path, data_journal.replay(kept.path).tables))
            dynamodb.reset()
            again = KeptData(Path(folder), REGION, dynamodb.lock, frozenset())
            again.claim()
            (restored, _), start = _timed(lambda: again.restore(dynamodb.url))
            again.stop()
    finally:
        dynamodb.stop()
    assert restored == ITEMS
    print(f"Local data kept on disk (make run), per {ITEMS:,} items of {len(_item(0))} attributes:")
    print(f"  flush of {ITEMS:,} changed items (background, between two requests): {flushed:6.2f} s")
    print(f"  start: reading them back into moto (with its journal rewritten): {start:6.2f} s")
    print(f"  compaction of the journal (background):                          {compacted:6.2f} s")
    print(f"  journal on disk:                                                 {size / 1e6:6.1f} MB")
    _files()


def _files() -> None:
    dynamodb = LocalDynamoDB().start()
    s3 = boto3.client("s3", endpoint_url=dynamodb.url, region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)

    def kept_in(folder: str) -> KeptData:
        kept = KeptData(Path(folder), REGION, dynamodb.lock, frozenset(), KeptFiles(Path(folder), BUCKET))
        kept.claim()
        return kept

    try:
        with tempfile.TemporaryDirectory() as folder:
            kept = kept_in(folder)
            kept.restore(dynamodb.url)
            kept.start(background=False)
            for number in range(OBJECTS):
                s3.put_object(
                    Bucket=BUCKET, Key=f"files/{number:06}", Body=bytes(OBJECT_BYTES), ContentType="image/png"
                )
            _, flushed = _timed(kept.flush)
            s3.put_object(Bucket=BUCKET, Key="files/one-more", Body=bytes(OBJECT_BYTES), ContentType="image/png")
            _, one = _timed(kept.flush)
            kept.stop()
            s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": f"files/{n:06}"} for n in range(OBJECTS)]})
            again = kept_in(folder)
            (_, restored), start = _timed(lambda: again.restore(dynamodb.url))
            again.stop()
    finally:
        dynamodb.stop()
    assert restored == OBJECTS + 1
    print(f"The files' bucket kept on disk, per {OBJECTS:,} objects of {OBJECT_BYTES // 1000} KB:")
    print(f"  flush of {OBJECTS:,} new objects (each synced):                      {flushed:6.2f} s")
    print(f"  flush of one object beside them (the index rewritten):           {one * 1000:6.1f} ms")
    print(f"  start: putting them back into moto's bucket:                     {start:6.2f} s")


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    """What `action` returns, and the seconds it took."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started
