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
from dataclasses import dataclass
from pathlib import Path

from bench.harness import KEY, ROOT, calls_text, counting, run
from chalicelib.access.api_keys import ApiKeys
from chalicelib.api import ids
from chalicelib.service import Service
from chalicelib.settings import DEFAULT_PAGE_CAP, Settings
from chalicelib.startup import collector_paused
from chalicelib.store.tables import StoreConfig
from tooling.local.dynamodb import LOCAL_CREDENTIALS
from tooling.transfer import export_lines, import_lines

SCHEMA = "type Item { id: ID! n: Int tag: String }\n"
SIZES = (2_000, 10_000)
# Records per second updateMany should reach over plain records (100 a transaction).
UPDATE_TARGET = 3_000


@contextmanager
def dynamodb_process() -> Iterator[str]:
    with dynamodb_server() as (url, _):
        yield url


@contextmanager
def dynamodb_server() -> Iterator[tuple[str, int]]:
    """The embedded DynamoDB in a process of its own: its URL and process id."""
    for name, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    code = "from tooling.local.dynamodb import serve_forever; serve_forever(0)"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip(), process.pid
    finally:
        process.terminate()
        process.wait()


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) used so far by this process, or by process `pid` (read from /proc)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def items_service(url: str, schema: Path, prefix: str, page_cap: int = DEFAULT_PAGE_CAP) -> Service:
    settings = Settings(
        schema_path=schema,
        stage="bench",
        store=StoreConfig.at_endpoint(prefix, "us-east-1", url),
        api_keys=ApiKeys.from_plain([KEY]),
        deadline_seconds=600,
        page_cap=page_cap,
    )
    # Started as app.py starts the API: what start-up makes is out of the collector's reach after it.
    with collector_paused():
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


@dataclass
class Run:
    """A bulk call run to completion: records changed, seconds, the DynamoDB calls made, and CPU
    seconds used by the API (this process) and by the embedded DynamoDB (its own)."""

    count: int
    seconds: float
    calls: str
    api_cpu: float
    store_cpu: float

    def per_record_ms(self, cpu: float) -> float:
        return 1000 * cpu / max(self.count, 1)


def run_to_completion(api: Service, mutation: str, field: str, store_pid: int) -> Run:
    count, cursor = 0, None
    start, api_start, store_start = time.perf_counter(), cpu_seconds(), cpu_seconds(store_pid)
    with counting(api) as log:
        while True:
            result = run(api, mutation, {"cursor": cursor})[field]
            count += result["count"]
            cursor = result["cursor"]
            if result["complete"]:
                break
    return Run(
        count,
        time.perf_counter() - start,
        calls_text(log),
        cpu_seconds() - api_start,
        cpu_seconds(store_pid) - store_start,
    )


def main() -> None:
    with dynamodb_server() as (url, pid), tempfile.TemporaryDirectory() as folder:
        schema = Path(folder) / "items.graphql"
        schema.write_text(SCHEMA)
        print("Bulk operations over plain records (embedded DynamoDB in its own process):")
        print(
            f"  {'operation':<12} {'N':>6} {'changed':>8} {'items/s':>9} {'peak MB':>8}"
            f" {'API ms/rec':>10} {'store ms/rec':>12}  DynamoDB calls"
        )
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
            runs = {}
            for name, mutation, field in (
                ("updateMany", update, "updateManyItems"),
                ("deleteMany", delete, "deleteManyItems"),
            ):
                done = runs[name] = run_to_completion(api, mutation, field, pid)
                print(
                    f"  {name:<12} {size:>6} {done.count:>8} {done.count / done.seconds:>9.0f} {peak_mb():>8.1f}"
                    f" {done.per_record_ms(done.api_cpu):>10.3f} {done.per_record_ms(done.store_cpu):>12.3f}"
                    f"  {done.calls}"
                )
            target = -(-size // 25)
            print(f"  {'':<12} {'':>6} target for deleteMany: scan pages + ceil({size}/25) = {target} BatchWriteItem")
            updated, deleted = runs["updateMany"], runs["deleteMany"]
            rate = updated.count / updated.seconds
            print(
                f"  {'':<12} {'':>6} updateMany: {rate:.0f} records/s (target: {UPDATE_TARGET:,}),"
                f" {rate / (deleted.count / deleted.seconds):.2f}x deleteMany's;"
                f" target calls: scan pages + ceil({size}/100) = {-(-size // 100)} TransactWriteItems"
            )
            print(
                f"  {'':<12} {'':>6} updateMany CPU per record: API {updated.per_record_ms(updated.api_cpu):.3f} ms"
                f" (one core of it alone: {1000 / updated.per_record_ms(updated.api_cpu):,.0f} records/s, the bound"
                f" against DynamoDB), embedded DynamoDB {updated.per_record_ms(updated.store_cpu):.3f} ms"
                f" (one request at a time: {1000 / updated.per_record_ms(updated.store_cpu):,.0f} records/s)"
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
        import_lines(target.registry, target.store, handle, bucket=None)
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
