"""The DynamoDB tables of a stage as CloudFormation, for `chalice package --merge-template`.

Every table is on-demand, with point-in-time recovery; the models' tables have a stream of new and
old images, which feeds the subscriptions; sessions and login-throttle windows expire
through a TTL attribute; in production, tables are protected from deletion and retained when the
stack goes.
"""

from __future__ import annotations

import re
from typing import Any

from pynamodb.models import Model as PynamoModel

from chalicelib.store.tables import TTL, Tables


def template(tables: Tables, *, protect: bool) -> dict[str, Any]:
    resources = {logical_id(cls): _table(cls, tables, protect) for cls in tables.all_classes()}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def streamed(tables: Tables) -> list[type[PynamoModel]]:
    """The tables with a stream: the models' (whose changes are the subscriptions' events)."""
    return [cls for cls in tables.all_classes() if getattr(cls.Meta, "stream_view_type", None) is not None]


def expiring(tables: Tables) -> list[type[PynamoModel]]:
    """The tables whose items carry the TTL attribute."""
    return [cls for cls in tables.all_classes() if TTL in {a.attr_name for a in cls.get_attributes().values()}]


def _table(cls: type[PynamoModel], tables: Tables, protect: bool) -> dict[str, Any]:
    schema = cls._get_schema()
    properties: dict[str, Any] = {
        "TableName": cls.Meta.table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": schema["attribute_definitions"],
        "KeySchema": _hash_first(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "DeletionProtectionEnabled": protect,
    }
    indexes = [
        {
            "IndexName": index["index_name"],
            "KeySchema": _hash_first(index["key_schema"]),
            "Projection": index["projection"],
        }
        for index in schema["global_secondary_indexes"]
    ]
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    if cls in streamed(tables):
        properties["StreamSpecification"] = {"StreamViewType": cls.Meta.stream_view_type}
    if cls in expiring(tables):
        properties["TimeToLiveSpecification"] = {"AttributeName": TTL, "Enabled": True}
    policy = "Retain" if protect else "Delete"
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": policy,
        "UpdateReplacePolicy": policy,
        "Properties": properties,
    }


def _hash_first(key_schema: list[Any]) -> list[Any]:
    """CloudFormation wants the hash key first; PynamoDB lists the keys by attribute name."""
    return sorted(key_schema, key=lambda element: element["KeyType"] != "HASH")


def logical_id(cls: type[PynamoModel]) -> str:
    words = re.split(r"[^A-Za-z0-9]+", cls.__name__)
    return "".join(w[:1].upper() + w[1:] for w in words if w) + "Table"
