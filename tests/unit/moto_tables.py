"""A private moto DynamoDB backend with two small tables, and its state as plain data."""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models import DynamoDBBackend

STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def key_schema(*keys: str) -> list[dict[str, str]]:
    """A key schema of a hash key and, when given, a range key."""
    return [{"AttributeName": k, "KeyType": kind} for k, kind in zip(keys, ("HASH", "RANGE"), strict=False)]


def create(
    backend: DynamoDBBackend,
    name: str,
    keys: list[str],
    types: dict[str, str],
    streams: dict[str, Any] | None = None,
    global_indexes: list[dict[str, Any]] | None = None,
    indexes: list[dict[str, Any]] | None = None,
) -> None:
    """A table of `backend` keyed by `keys`, its attributes of `types` (name: S, N or B) declared."""
    backend.create_table(
        name,
        schema=key_schema(*keys),
        throughput=None,
        attr=[{"AttributeName": attr, "AttributeType": kind} for attr, kind in types.items()],
        global_indexes=global_indexes,
        indexes=indexes,
        streams=streams,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )


def backend() -> DynamoDBBackend:
    """`plain` (hash key `id`, with a stream) holding p1..p3; `ranged` (`h`, `r`) holding h1/a, h1/b."""
    made = DynamoDBBackend("us-east-1", "123456789012")
    for name, keys, streams in (("plain", ["id"], STREAM), ("ranged", ["h", "r"], None)):
        create(made, name, keys, dict.fromkeys(keys, "S"), streams)
    for n in (1, 2, 3):
        made.put_item("plain", {"id": {"S": f"p{n}"}, "n": {"N": str(n)}, "tags": {"SS": ["a", "b"]}})
    for r in ("a", "b"):
        made.put_item("ranged", {"h": {"S": "h1"}, "r": {"S": r}, "v": {"S": r * 3}})
    return made


def state(backend: DynamoDBBackend) -> dict[str, Any]:
    """Every table's items by key, as stored (a range key table's per hash key), and stream length."""
    tables: dict[str, Any] = {}
    for name, table in backend.tables.items():
        items: dict[Any, Any] = table.items
        if table.range_key_attr is None:
            rows = {h.value: item.to_json() for h, item in items.items()}
        else:
            rows = {h.value: {r.value: item.to_json() for r, item in bucket.items()} for h, bucket in items.items()}
        stream = None if table.stream_shard is None else len(table.stream_shard.items)
        tables[name] = {"items": rows, "stream": stream}
    return tables


def put(table: str, **attrs: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {k: {"S": v} for k, v in attrs.items()}}}


def key(table: str, kind: str, **attrs: str) -> dict[str, Any]:
    return {kind: {"TableName": table, "Key": {k: {"S": v} for k, v in attrs.items()}}}


def with_condition(item: dict[str, Any], condition: str, **values: Any) -> dict[str, Any]:
    ((kind, operation),) = item.items()
    extra: dict[str, Any] = {"ConditionExpression": condition}
    if values:
        extra["ExpressionAttributeValues"] = values
    return {kind: {**operation, **extra}}


def update(table: str, expression: str, values: dict[str, Any], **attrs: str) -> dict[str, Any]:
    ((kind, operation),) = key(table, "Update", **attrs).items()
    return {kind: {**operation, "UpdateExpression": expression, "ExpressionAttributeValues": values}}
