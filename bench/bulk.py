"""updateMany / deleteMany over many plain records, and an export / import round trip.

The embedded DynamoDB runs in a process of its own here, so that the peak memory reported is
the API's alone; it must stay flat as the number of records grows.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.harness import KEY, ROOT, calls_text, counting, run
from chalicelib.access.api_keys import ApiKeys
from chalicelib.api import ids
from chalicelib.service import Service
from chalicelib.settings import DEFAULT_PAGE_CAP, Settings
from chalicelib.store.tables import StoreConfig
from tooling.local.dynamodb import LOCAL_CREDENTIALS
from tooling.transfer import export_lines, import_lines

SCHEMA = "type Item { id: ID! n: Int tag: String }\n"
SIZES = (2_000, 10_000)
# Records per second updateMany should reach over plain records (100 a transaction).
UPDATE_TARGET = 3_000


@contextmanager
def dynamodb_process() -> Iterator[str]:
    for name, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    code = "from tooling.local.dynamodb import serve_forever; serve_forever(0)"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait()


def items_service(url: str, schema: Path, prefix: str, page_cap: int = DEFAULT_PAGE_CAP) -> Service:
    settings = Settings(
        schema_path=schema,
        stage="bench",
        store=StoreConfig.at_endpoint(prefix, "us-east-1", url),
        api_keys=ApiKeys.from_plain([KEY]),
        deadline_seconds=600,
        page_cap=page_cap,
    )
    service = Service(settings)
    service.tables.create_all()
    return service


def seed(api: Service, count: int) -> None:
    model = api.registry.model("Item")
    for start in range(0, count, 1000):
        batch = [{"id": ids.new_id("Item"), "n": i, "tag": "t"} for i in range(start, min(count, start + 1000))]
        api.store.restore(model, batch)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_to_completion(api: Service, mutation: str, field: str) -> tuple[int, float, str]:
    """Call until complete; the records changed, the seconds taken, and the DynamoDB calls made."""
    count, cursor = 0, None
    start = time.perf_counter()
    with counting(api) as log:
        while True:
            result = run(api, mutation, {"cursor": cursor})[field]
            count += result["count"]
            cursor = result["cursor"]
            if result["complete"]:
                break
    return count, time.perf_counter() - start, calls_text(log)


def main() -> None:
    with dynamodb_process() as url, tempfile.TemporaryDirectory() as folder:
        schema = Path(folder) / "items.graphql"
        schema.write_text(SCHEMA)
        print("Bulk operations over plain records (embedded DynamoDB in its own process):")
        print(f"  {'operation':<12} {'N':>6} {'changed':>8} {'items/s':>9} {'peak MB':>8}  DynamoDB calls")
        for size in SIZES:
            api = items_service(url, schema, f"bench-{size}-")
            seed(api, size)
            update = (
                "mutation ($cursor: String) { updateManyItems(input: {where: {exists: {id: true}},"
                ' data: {tag: "u"}, cursor: $cursor}) { count complete cursor } }'
            )
            delete = (
                "mutation ($cursor: String) { deleteManyItems(input: {where: {exists: {id: true}},"
                " cursor: $cursor}) { count complete cursor } }"
            )
            rates = {}
            for name, mutation, field in (
                ("updateMany", update, "updateManyItems"),
                ("deleteMany", delete, "deleteManyItems"),
            ):
                count, seconds, calls = run_to_completion(api, mutation, field)
                rates[name] = count / seconds
                print(f"  {name:<12} {size:>6} {count:>8} {rates[name]:>9.0f} {peak_mb():>8.1f}  {calls}")
            target = -(-size // 25)
            print(f"  {'':<12} {'':>6} target for deleteMany: scan pages + ceil({size}/25) = {target} BatchWriteItem")
            print(
                f"  {'':<12} {'':>6} updateMany: {rates['updateMany']:.0f} records/s (target: {UPDATE_TARGET:,}),"
                f" {rates['updateMany'] / rates['deleteMany']:.2f}x deleteMany's;"
                f" target calls: scan pages + ceil({size}/100) = {-(-size // 100)} TransactWriteItems"
            )
        round_trip(url, schema, Path(folder))


def round_trip(url: str, schema: Path, folder: Path) -> None:
    size = SIZES[-1]
    source = items_service(url, schema, "bench-export-")
    seed(source, size)
    target = items_service(url, schema, "bench-import-")
    exported, again = folder / "export.jsonl", folder / "again.jsonl"
    start = time.perf_counter()
    with exported.open("w") as handle:
        for line in export_lines(source.registry, source.store):
            handle.write(line + "\n")
    exported_at = time.perf_counter()
    with exported.open() as handle:
        import_lines(target.registry, target.store, handle)
    imported_at = time.perf_counter()
    with again.open("w") as handle:
        for line in export_lines(target.registry, target.store):
            handle.write(line + "\n")
    same = sorted(exported.read_text().splitlines()) == sorted(again.read_text().splitlines())
    print(
        f"\nExport / import of {size} records: export {size / (exported_at - start):.0f} records/s, "
        f"import {size / (imported_at - exported_at):.0f} records/s, round trip exact: {same}, "
        f"peak MB {peak_mb():.1f}"
    )
