"""Unique guards no record needs: of the fields whose guards a backfill just wrote, those whose
record is gone or holds another value now (it changed while the schema kept no guards for the
field), removed before the switch; and those of fields no longer `@unique` (or of models no longer
in the schema), removed after it, as the old schema's server keeps them until then. Each is
deleted on condition that it is still as read: a guard taken meanwhile stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.schema.registry import Field, Model
from chalicelib.store.records import RecordStore, guard_key
from chalicelib.store.tables import Tables
from tooling.migrations import scans

PAGE = 500


def sweep(tables: Tables, checked: Iterable[tuple[str, str]], *, stale: bool) -> int:
    """Delete the orphans among the guards of `checked` ((model name, field name) pairs) and, with
    `stale`, the guards of no unique field; the number deleted."""
    owners: dict[str, tuple[Model, Field]] = {
        f"{model.store_name}#{field.store_name}#": (model, field)
        for model in tables.registry
        for field in model.unique_fields()
        if not field.is_id
    }
    checked = set(checked)
    store = RecordStore(tables)
    client = tables.connection.client
    table = tables.guard.Meta.table_name
    deleted = 0
    for page, _ in scans.pages(client, table, PAGE):
        gone: list[tuple[str, str]] = []
        orphans: dict[str, list[tuple[str, str, Field]]] = {}
        for item in page:
            key, owner = item["key"]["S"], item["owner"]["S"]
            prefix = next((p for p in owners if key.startswith(p)), None)
            if prefix is None:
                if stale:
                    gone.append((key, owner))
                continue
            model, field = owners[prefix]
            if (model.name, field.name) in checked:
                orphans.setdefault(model.name, []).append((key, owner, field))
        for name, guards in orphans.items():
            model = tables.registry.model(name)
            records = store.batch_get(model, [owner for _, owner, _ in guards])
            for key, owner, field in guards:
                value = records.get(owner, {}).get(field.name)
                if value is None or guard_key(model, field, value) != key:
                    gone.append((key, owner))
        deleted += sum(_delete(client, table, key, owner) for key, owner in gone)
    return deleted


def _delete(client: Any, table: str, key: str, owner: str) -> bool:
    try:
        client.delete_item(
            TableName=table,
            Key={"key": {"S": key}},
            ConditionExpression="#o = :owner",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":owner": {"S": owner}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
