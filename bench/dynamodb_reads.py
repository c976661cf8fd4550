"""The embedded DynamoDB's reads as its table grows: a page of 20 items by a Query of one of the
table's partitions, by a Query of one of an index's partitions (with a key condition), and by a
Scan from the middle of the table, at 1,000, 10,000 and 100,000 items; the goal is the same time
at every size (a ratio of 1.00x).

The reads go through the embedded server over HTTP, as the API's do; the items are written into
it directly. Each read is also answered by moto's own code (which sorts the whole table, or
index, for every Query and every page of a Scan), whose answer must be the same: a figure of a
wrong answer would mean nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from tooling.local import moto_queries
from tooling.local.dynamodb import LocalDynamoDB

SIZES = (1_000, 10_000, 100_000)
TABLE = "bench-dynamodb-reads"
# Items per partition of the table, and partitions of the index (so 10% of the items each).
PER_PARTITION = 100
GROUPS = 10
PAGE = 20
# Timed runs of each read (the median is printed), fewer where they already took TIME_BUDGET
# seconds, after WARMUP runs (the first read of a table builds its views: moto_queries).
TIMED = 15
TIME_BUDGET = 3.0
WARMUP = 3


def create(client: Any) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": kind}
            for name, kind in (("pk", "S"), ("sk", "N"), ("group", "S"), ("at", "S"))
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_group",
                "KeySchema": [
                    {"AttributeName": "group", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def seed(start: int, end: int) -> None:
    """Items `start` to `end` (exclusive), written into the server's backend directly."""
    backend = get_backend("dynamodb")[DEFAULT_ACCOUNT_ID]["us-east-1"]
    for number in range(start, end):
        item = {
            "pk": {"S": f"p{number // PER_PARTITION}"},
            "sk": {"N": str(number % PER_PARTITION)},
            "group": {"S": f"g{number % GROUPS}"},
            "at": {"S": f"{number:08d}"},
            "title": {"S": f"item {number}"},
        }
        backend.put_item(TABLE, item)


def reads(client: Any, size: int) -> dict[str, Callable[[], Any]]:
    middle = {"pk": {"S": f"p{size // PER_PARTITION // 2}"}, "sk": {"N": "50"}}
    return {
        "Query a table's partition (newest 20)": lambda: client.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p3"}},
            ScanIndexForward=False,
            Limit=PAGE,
        ),
        "Query an index's partition (20 after a key)": lambda: client.query(
            TableName=TABLE,
            IndexName="by_group",
            KeyConditionExpression="#g = :g AND #at > :at",
            ExpressionAttributeNames={"#g": "group", "#at": "at"},
            ExpressionAttributeValues={":g": {"S": "g7"}, ":at": {"S": f"{size // 2:08d}"}},
            Limit=PAGE,
        ),
        "Scan a page of 20 from the middle": lambda: client.scan(TableName=TABLE, ExclusiveStartKey=middle, Limit=PAGE),
    }


def timed(read: Callable[[], Any]) -> tuple[float, Any]:
    """The median seconds of up to TIMED runs of `read` (after WARMUP untimed), and its answer."""
    for _ in range(WARMUP):
        read()
    seconds: list[float] = []
    answer = None
    while len(seconds) < TIMED and sum(seconds) < TIME_BUDGET:
        start = time.perf_counter()
        answer = read()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), answer


def answered(response: Any) -> Any:
    return response["Items"], response["Count"], response["ScannedCount"], response.get("LastEvaluatedKey")


# Per read, per size: (seconds here, seconds with moto's own code).
Results = dict[str, list[tuple[float, float]]]


def main() -> None:
    dynamodb = LocalDynamoDB().start()
    try:
        client = boto3.client("dynamodb", endpoint_url=dynamodb.url, region_name="us-east-1")
        create(client)
        results: Results = {}
        seeded = 0
        for size in SIZES:
            seed(seeded, size)
            seeded = size
            for label, read in reads(client, size).items():
                here, answer = timed(read)
                with moto_queries.moto_s_own():
                    own, expected = timed(read)
                if answered(answer) != answered(expected):
                    raise RuntimeError(f"{label}: the answer differs from moto's own at {size:,} items")
                results.setdefault(label, []).append((here, own))
            print(f"  ... measured at {size:,} items", file=sys.stderr, flush=True)
    finally:
        dynamodb.stop()
    report(results)


def report(results: Results) -> None:
    print("The embedded DynamoDB's reads as the table grows: ms per read of a page of 20 (goal: 1.00x):")
    wide = max(len(label) for label in results) + 2
    heads = "".join(f"{f'{size:,} items':>15}" for size in SIZES)
    print(f"  {'read':<{wide}}{'code':<12}{heads}  {f'{SIZES[-1] // 1000}k/{SIZES[0] // 1000}k':>8}")
    for label, figures in results.items():
        for number, (name, pick) in enumerate((("here", 0), ("moto's own", 1))):
            cells = "".join(f"{figure[pick] * 1000:>15.1f}" for figure in figures)
            ratio = figures[-1][pick] / figures[0][pick]
            print(f"  {label if number == 0 else '':<{wide}}{name:<12}{cells}  {ratio:>7.2f}x")
    print(
        f"  (the median of up to {TIMED} runs, of fewer where they took over {TIME_BUDGET:.0f} s; moto's own code\n"
        "  sorts every item of the table, or of the index, for each Query and each page of a Scan)"
    )
