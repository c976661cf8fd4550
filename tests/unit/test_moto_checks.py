"""The check of a written item's keys for empty strings (moto_checks) passes and fails as moto's."""

from __future__ import annotations

from typing import Any

import moto.dynamodb.responses as responses
import pytest
from moto.dynamodb.models import DynamoDBBackend

from tests.unit.moto_tables import create, key_schema
from tooling.local import moto_checks, moto_patch

CASES: list[dict[str, Any]] = [
    {"h": {"S": "a"}, "r": {"N": "1"}, "g": {"S": "x"}},
    {"h": {"S": ""}, "r": {"N": "1"}},
    {"h": {"S": "a"}, "r": {"N": "1"}, "g": {"S": ""}},
    {"h": {"S": "a"}, "r": {"N": "1"}, "g": {"B": ""}},
    {"h": {"S": "a"}, "r": {"N": "1"}, "other": {"S": ""}},
    {"h": {"S": "a"}, "bad": {}},
    {"h": {"S": "a"}, "bad": "not a value"},
    {"h": {"B": ""}},
    {},
]


def outcome(fields: Any, table: Any, message: str | None) -> Any:
    try:
        responses.validate_put_has_empty_keys(fields, table, message)
        return "passed"
    except Exception as raised:
        return type(raised).__name__, str(raised)


@pytest.mark.parametrize("fields", CASES)
@pytest.mark.parametrize("message", [None, "custom: {}"])
def test_the_check_passes_and_fails_as_moto_s_own(fields: dict[str, Any], message: str | None) -> None:
    moto_patch.apply()
    backend = DynamoDBBackend("us-east-1", "123456789012")
    by_g = {"IndexName": "by_g", "KeySchema": key_schema("g"), "Projection": {"ProjectionType": "ALL"}}
    create(backend, "t", ["h", "r"], {"h": "S", "r": "N", "g": "S"}, global_indexes=[by_g])
    table = backend.get_table("t")
    with moto_checks.moto_s_own():
        expected = outcome(fields, table, message)
    assert outcome(fields, table, message) == expected
