"""Tables and their global secondary indexes: what DynamoDB holds (DescribeTable), against what the
schema's tables declare (store/tables.py), and the calls that bring one to the other.

DynamoDB changes one index (or the stream) of a table at a time, and an index being created is not
usable until it is ACTIVE: each change is made, then waited for, before the next, with its progress
shown. A new index on a large table spends a while backfilling itself from the items' attributes.
A model table made before its records' changes fed the subscriptions has no stream: it is turned
on, with the view the schema's tables are made with.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.models import Model as PynamoModel

from chalicelib.store.tables import BILLING, Tables

CREATE_TABLE = "create table"
ADD_INDEX = "add index"
DELETE_INDEX = "delete index"
STREAM = "turn on the stream"
DELETE_TABLE = "delete table"
# Seconds between two DescribeTable calls while a table or an index is being changed.
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class TableStep:
    action: str
    table: str
    index: str | None = None
    # CREATE_TABLE: the table's class; ADD_INDEX: the index as UpdateTable creates it, and the
    # attribute definitions of its keys; STREAM: the StreamSpecification.
    cls: type[PynamoModel] | None = field(default=None, compare=False)
    definition: dict[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        if self.action in (CREATE_TABLE, DELETE_TABLE):
            return f"{self.action} {self.table}"
        if self.action == STREAM:
            return f"turn on the stream of {self.table} ({self.definition['StreamViewType']})"
        preposition = "to" if self.action == ADD_INDEX else "of"
        return f"{self.action} {self.index} {preposition} {self.table}"


@dataclass
class Found:
    """What DynamoDB holds of the schema's tables: the steps that bring them to it (deletions of
    indexes apart, as they come last), and each existing table's item count (DescribeTable's,
    which DynamoDB updates about every six hours)."""

    steps: list[TableStep] = field(default_factory=list)
    deletions: list[TableStep] = field(default_factory=list)
    items: dict[str, int] = field(default_factory=dict)

    def created(self, table: str) -> bool:
        return any(step.action == CREATE_TABLE and step.table == table for step in self.steps)


def describe(client: Any, table: str) -> dict[str, Any] | None:
    try:
        described: dict[str, Any] = client.describe_table(TableName=table)["Table"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    return described


def compare(tables: Tables) -> Found:
    """One DescribeTable per table of the schema."""
    found = Found()
    client = tables.connection.client
    for cls in tables.all_classes():
        name = cls.Meta.table_name
        described = describe(client, name)
        if described is None:
            found.steps.append(TableStep(CREATE_TABLE, name, cls=cls))
            continue
        found.items[name] = int(described.get("ItemCount", 0))
        found.steps += _stream(cls, described)
        existing = {index["IndexName"]: index for index in described.get("GlobalSecondaryIndexes", ())}
        wanted = {index["index_name"]: index for index in cls._get_schema()["global_secondary_indexes"]}
        for index_name, index in wanted.items():
            present = existing.get(index_name)
            keys = _keys(index["key_schema"])
            if present is not None and _keys(present["KeySchema"]) == keys:
                continue
            if present is not None:
                # Keyed otherwise: it goes, then comes back with its new keys.
                found.steps.append(TableStep(DELETE_INDEX, name, index_name))
            definition = {
                "IndexName": index_name,
                "KeySchema": keys,
                "Projection": index["projection"],
                "AttributeDefinitions": index["attribute_definitions"],
            }
            found.steps.append(TableStep(ADD_INDEX, name, index_name, definition=definition))
        found.deletions += [TableStep(DELETE_INDEX, name, index) for index in existing if index not in wanted]
    return found


def _stream(cls: type[PynamoModel], described: dict[str, Any]) -> list[TableStep]:
    """Turning on the stream the schema's table has (its records' changes feed the subscriptions),
    where the table has none, or one of another view (a table made before subscriptions were)."""
    view = getattr(cls.Meta, "stream_view_type", None)
    stream = described.get("StreamSpecification") or {}
    if view is None or (stream.get("StreamEnabled") and stream.get("StreamViewType") == view):
        return []
    return [TableStep(STREAM, cls.Meta.table_name, definition={"StreamEnabled": True, "StreamViewType": view})]


def _keys(schema: list[dict[str, str]]) -> list[dict[str, str]]:
    """A key schema in DynamoDB's order: the hash key, then the range key."""
    return sorted(schema, key=lambda element: element["KeyType"])


Say = Callable[[str], None]
Sleep = Callable[[float], None]


def carry_out(tables: Tables, step: TableStep, say: Say, sleep: Sleep = time.sleep) -> None:
    """Make the change, and wait until DynamoDB has made it."""
    client = tables.connection.client
    if step.action == CREATE_TABLE:
        assert step.cls is not None
        step.cls.create_table(billing_mode=BILLING, wait=False)
        wait(client, step.table, None, say, sleep)
        return
    if step.action == DELETE_TABLE:
        if describe(client, step.table) is not None:  # not deleted by an earlier run
            wait(client, step.table, None, say, sleep)
            client.delete_table(TableName=step.table)
        wait(client, step.table, None, say, sleep, gone=True)
        return
    # DynamoDB takes one change of a table at a time, once the table is ACTIVE.
    wait(client, step.table, None, say, sleep)
    if step.action == STREAM:
        _turn_on_stream(client, step, say, sleep)
        return
    assert step.index is not None
    if step.action == ADD_INDEX:
        described = describe(client, step.table) or {}
        definitions = {d["AttributeName"]: d for d in described.get("AttributeDefinitions", ())}
        definitions.update({d["AttributeName"]: d for d in step.definition["AttributeDefinitions"]})
        index = {k: v for k, v in step.definition.items() if k != "AttributeDefinitions"}
        client.update_table(
            TableName=step.table,
            AttributeDefinitions=list(definitions.values()),
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
    else:
        client.update_table(TableName=step.table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": step.index}}])
    wait(client, step.table, step.index, say, sleep, gone=step.action == DELETE_INDEX)


def _turn_on_stream(client: Any, step: TableStep, say: Say, sleep: Sleep) -> None:
    """A stream of another view is turned off first: DynamoDB changes no stream's view in place."""
    stream = (describe(client, step.table) or {}).get("StreamSpecification") or {}
    if stream.get("StreamEnabled"):
        if stream.get("StreamViewType") == step.definition["StreamViewType"]:
            return  # turned on by an earlier run
        client.update_table(TableName=step.table, StreamSpecification={"StreamEnabled": False})
        wait(client, step.table, None, say, sleep)
    client.update_table(TableName=step.table, StreamSpecification=step.definition)
    wait(client, step.table, None, say, sleep)


def wait(
    client: Any, table: str, index: str | None, say: Say, sleep: Sleep = time.sleep, *, gone: bool = False
) -> None:
    """Until the table (or its `index`) is ACTIVE, or with `gone` until it is no more, saying how it
    stands at each look."""
    started = time.monotonic()
    what = table if index is None else f"index {index} of {table}"
    while True:
        described = describe(client, table) or {}
        if index is None:
            status = described.get("TableStatus", "gone")
            done = not described if gone else status == "ACTIVE"
        else:
            found = next((i for i in described.get("GlobalSecondaryIndexes", ()) if i["IndexName"] == index), None)
            status = "gone" if found is None else found.get("IndexStatus", "ACTIVE")
            if found is not None and found.get("Backfilling"):
                status += ", backfilling"
            done = found is None if gone else status == "ACTIVE" and described.get("TableStatus") == "ACTIVE"
        if done:
            return
        say(f"  {what}: {status} ({time.monotonic() - started:.0f} s)")
        sleep(POLL_SECONDS)
