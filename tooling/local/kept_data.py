"""The embedded DynamoDB's data, kept on disk across restarts of the local server (`make run`).

At start the journal (data_journal) is read back into moto: each table through the DynamoDB API,
its items straight into moto's backend (the API's BatchWriteItem costs six times as long). While
the server runs, moto tells which items and tables each request changed (moto_changes), which
costs the request a set insertion; every `FLUSH_SECONDS` a thread of its own takes the embedded
DynamoDB's lock between two requests, reads those items as they now are and appends them to the
journal, synced to disk. Stopping (Ctrl-C, SIGTERM) flushes what is left; a crash loses at most
the last `FLUSH_SECONDS` of writes, and never part of a transaction, as the lock is taken between
requests and a flush counts only once whole.

The file fields' bucket of the embedded S3 is kept beside, by the same flushes (kept_files): a
flush writes the objects changed before the journal's lines, so a record never counts before the
upload it was made with (a move the crash cut short stays pending for `cleanup`, as on a stage).

What a restart cannot use is not kept: the tables of the subscriptions (WebSocket connections and
stream positions belong to the process) keep their definition, not their items.

Costs (README "Local data"): a request pays nothing but the noting; a flush pays for what changed
since the last; a start pays for every item kept (moto builds each), and rewrites the journal
compacted; while running, the journal is compacted in the background once it holds more lines
than `COMPACT_LINES` and twice the items it leaves.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import threading
from pathlib import Path
from typing import IO, Any

import boto3
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from chalicelib.settings import PROJECT_ROOT
from tooling.local import data_journal, moto_changes
from tooling.local.data_journal import TableData
from tooling.local.kept_files import KeptFiles
from tooling.local.object_files import ObjectFiles

JOURNAL = "journal.jsonl"
FLUSH_SECONDS = 1.0
COMPACT_LINES = 20_000


def folder() -> Path:
    """`.local/data` in the project (ignored by git), or `LOCAL_DATA_DIR` (servers of tests apart)."""
    return Path(os.environ.get("LOCAL_DATA_DIR") or PROJECT_ROOT / ".local" / "data")


class DataInUse(Exception):
    """Another local server keeps its data in the same folder."""


class KeptData:
    def __init__(
        self,
        folder: Path,
        region: str,
        lock: threading.Lock,
        transient: frozenset[str],
        files: KeptFiles | None = None,
    ) -> None:
        """`lock`: held by the embedded DynamoDB while it answers a request; `transient`: the tables
        whose items are not kept; `files`: the bucket kept beside, if the schema has files."""
        self.folder = folder
        self.files = files
        self.path = folder / JOURNAL
        self.region = region
        self.lock = lock
        self.transient = transient
        self._backend: DynamoDBBackend = get_backend("dynamodb")[DEFAULT_ACCOUNT_ID][region]
        # What changed since the last flush (guarded by `lock`: moto notes them while it holds it).
        self._changed_items: dict[tuple[str, str], dict[str, Any]] = {}
        self._changed_tables: set[str] = set()
        # Each table's moto object and its `created` as kept: a table restored keeps the `created`
        # it had, or its next definition line would drop its items (see data_journal).
        self._known: dict[str, tuple[Table, str]] = {}
        self._lines = 0
        self._items_at_compaction = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kept-data", daemon=True)
        # One flush at a time: the background one, or one asked for while it runs.
        self._flushing = threading.Lock()
        self._folder_lock: IO[str] | None = None
        self._journal: IO[str] | None = None

    def claim(self) -> None:
        """Take the folder for this process (DataInUse if another server has it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = (self.folder / "lock").open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DataInUse(f"another local server keeps its data in {self.folder}: stop it first") from None
        self._folder_lock = handle

    def discard(self) -> None:
        """Start afresh: forget what was kept."""
        self.path.unlink(missing_ok=True)
        # Whether this schema has files or not: a later one may.
        ObjectFiles(self.folder).discard()

    def restore(self, endpoint_url: str) -> tuple[int, int]:
        """Load what was kept into the embedded DynamoDB (at `endpoint_url`) and its bucket; the
        number of items and of objects."""
        replayed = data_journal.replay(self.path)
        client = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=self.region)
        for name, table in replayed.tables.items():
            definition = {k: v for k, v in table.definition.items() if k != "StreamSpecification"}
            client.create_table(TableName=name, **definition)
            with self.lock:
                for item in table.items.values():
                    self._backend.put_item(name, item)
            # The stream once the items are in: restoring them is no change to deliver.
            if "StreamSpecification" in table.definition:
                client.update_table(TableName=name, StreamSpecification=table.definition["StreamSpecification"])
            if table.ttl and table.ttl.get("TimeToLiveStatus") == "ENABLED":
                client.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl["AttributeName"]},
                )
            self._known[name] = (self._backend.tables[name], table.created)
        self._compact(replayed.tables)
        objects = 0 if self.files is None else self.files.restore(self.lock)
        return replayed.items, objects

    def start(self, background: bool = True) -> None:
        """Note every change from now on, and flush them in the background (without it, only when
        `flush` is called: what a benchmark times)."""
        self._journal = self.path.open("a", encoding="utf-8")
        moto_changes.listen(self._note)
        if self.files is not None:
            self.files.listen()
        if background:
            self._thread.start()

    def stop(self) -> None:
        """Flush what is left, and let the folder go."""
        if self._journal is not None:
            with contextlib.suppress(ValueError):  # no longer listening, after a failed flush
                self._unlisten()
            if self._thread.is_alive():
                self._stop.set()
                self._thread.join()  # its last flush
            else:
                self.flush()
            self._journal.close()
        if self._folder_lock is not None:
            self._folder_lock.close()

    def _note(self, backend: DynamoDBBackend, table: str, key: dict[str, Any] | None) -> None:
        if backend is not self._backend:
            return
        if key is None:
            self._changed_tables.add(table)
        elif table not in self.transient:
            self._changed_items[(table, json.dumps(key, sort_keys=True))] = key

    def _run(self) -> None:
        try:
            while not self._stop.wait(FLUSH_SECONDS):
                self.flush()
            self.flush()
        except OSError as error:
            # A flush cut short leaves lines no later commit may count: keeping stops here, loudly.
            self._unlisten()
            print(f"Local data: no longer kept ({error}); this run's writes are lost at stop", file=sys.stderr)

    def _unlisten(self) -> None:
        moto_changes.unlisten(self._note)
        if self.files is not None:
            self.files.unlisten()

    def flush(self) -> None:
        with self._flushing:
            self._flush()

    def _flush(self) -> None:
        files = self.files
        if not (self._changed_items or self._changed_tables or (files is not None and files.changed)):
            return
        with self.lock:
            objects = [] if files is None else files.collect()
            lines = self._table_lines() + self._item_lines()
        if files is not None and objects:
            files.write(objects)
        if not lines:
            return
        assert self._journal is not None
        self._lines += data_journal.append(self._journal, lines)
        if self._lines > max(COMPACT_LINES, 2 * self._items_at_compaction):
            self._compact(data_journal.replay(self.path).tables)

    def _table_lines(self) -> list[str]:
        lines = []
        for name in sorted(self._changed_tables):
            table: Table | None = self._backend.tables.get(name)
            if table is None:
                self._known.pop(name, None)
                lines.append(json.dumps({"table": name, "dropped": True}))
                continue
            known = self._known.get(name)
            created = known[1] if known is not None and known[0] is table else str(table.created_at)
            self._known[name] = (table, created)
            kept = TableData(_definition(table), dict(table.ttl), created)
            lines.extend(data_journal.table_lines(name, kept))
        self._changed_tables.clear()
        return lines

    def _item_lines(self) -> list[str]:
        lines = []
        for (name, _), key in self._changed_items.items():
            table: Table | None = self._backend.tables.get(name)
            if table is None or any(attribute not in key for attribute in table.table_key_attrs):
                continue  # dropped since (its line says so), or made anew with other keys
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            item = table.get_item(hash_key, range_key)
            if item is None:
                lines.append(json.dumps({"table": name, "delete": key}))
            else:
                lines.append(json.dumps({"table": name, "put": item.to_json()["Attributes"]}))
        self._changed_items.clear()
        return lines

    def _compact(self, tables: dict[str, TableData]) -> None:
        if self._journal is not None:
            self._journal.close()
        self._lines = data_journal.write(self.path, tables)
        self._items_at_compaction = sum(len(table.items) for table in tables.values())
        if self._journal is not None:
            self._journal = self.path.open("a", encoding="utf-8")


def _definition(table: Table) -> dict[str, Any]:
    """The table as CreateTable makes it (moto's description, less what describes its state)."""
    described = table.describe(base_key="Table")["Table"]
    billing = described["BillingModeSummary"]["BillingMode"] or "PROVISIONED"
    definition: dict[str, Any] = {
        "KeySchema": described["KeySchema"],
        "AttributeDefinitions": described["AttributeDefinitions"],
        "BillingMode": billing,
    }
    provisioned = described["ProvisionedThroughput"]
    throughput = {name: provisioned[name] for name in ("ReadCapacityUnits", "WriteCapacityUnits")}
    if billing == "PROVISIONED":
        definition["ProvisionedThroughput"] = throughput
    indexes = [
        {
            "IndexName": index["IndexName"],
            "KeySchema": index["KeySchema"],
            "Projection": index["Projection"],
            **({"ProvisionedThroughput": throughput} if billing == "PROVISIONED" else {}),
        }
        for index in described["GlobalSecondaryIndexes"]
    ]
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
    if described["LocalSecondaryIndexes"]:
        definition["LocalSecondaryIndexes"] = described["LocalSecondaryIndexes"]
    if "StreamSpecification" in described:
        definition["StreamSpecification"] = described["StreamSpecification"]
    return definition
