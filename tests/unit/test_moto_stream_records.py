"""Stream records built when read (moto_stream_records): each is the record moto builds at the write.

Each run of writes goes to two identical backends, one with moto's records built at each write and
one with the deferred ones, both with the same random seed and the same clock; the records, read
after every write is done (the items changed in place since), must be equal, and so must the
GetRecords answer written from them, byte for byte.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import moto.dynamodb.models.table as table_module
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core.responses import ActionContext, ActionResult
from moto.core.serialize import get_serializer_class
from moto.core.utils import get_service_model
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_api._internal import mock_random

from tests.unit.moto_tables import backend, create
from tooling.local import moto_patch, moto_stream_records
from tooling.local.moto_stream_records import DeferredRecord

Write = Callable[[DynamoDBBackend], Any]


def ticking() -> Callable[[], datetime.datetime]:
    """A clock that moves on by a varying number of microseconds at each reading (the float written
    for a time, whose length SizeBytes counts, then varies too)."""
    steps = itertools.count()
    start = datetime.datetime(2025, 1, 2, 3, 4, 5)
    return lambda: start + datetime.timedelta(microseconds=next(steps) * 7919)


def records(writes: list[Write], monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The records of `plain`'s stream and of `ranged`'s (a stream of old images), once all is written."""
    monkeypatch.setattr(table_module, "utcnow", ticking())
    mock_random.seed(7)
    db = backend()
    create(db, "olds", ["h", "r"], {"h": "S", "r": "S"}, {"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"})
    for write in writes:
        with contextlib.suppress(Exception):  # a write moto refuses makes no record, either way
            write(db)
    shards = [db.tables[name].stream_shard for name in ("plain", "olds")]
    return [record.to_json() for shard in shards if shard is not None for record in shard.items]


def both(writes: list[Write], monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    """The records with moto's own records, and with the deferred ones."""
    moto_patch.apply()
    with moto_stream_records.moto_s_own():
        own = records(writes, monkeypatch)
    deferred = records(writes, monkeypatch)
    return own, deferred


def get_records_answer(found: list[dict[str, Any]]) -> Any:
    service = get_service_model("dynamodbstreams")
    operation = service.operation_model("GetRecords")
    serializer = get_serializer_class("dynamodbstreams", service.protocol)
    context = ActionContext(service, operation, serializer, DynamoDBStreamsHandler())
    return ActionResult({"Records": found, "NextShardIterator": "next"}).execute_result(context)


def put(table: str, item: dict[str, Any]) -> Write:
    return lambda db: db.put_item(table, item)


def update(key: dict[str, Any], expression: str, values: dict[str, Any]) -> Write:
    return lambda db: db.update_item("plain", key, expression, {}, values)


def delete(table: str, key: dict[str, Any]) -> Write:
    return lambda db: db.delete_item(table, key)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


P1 = {"id": {"S": "p1"}}
WRITES: dict[str, list[Write]] = {
    "puts, updates in place, deletes": [
        put("plain", {"id": {"S": "p1"}, "l": {"L": [{"S": "a"}]}, "m": {"M": {"k": {"SS": ["x"]}}}}),
        update(P1, "SET l[0] = :v, m.k = :s", {":v": {"S": "b"}, ":s": {"SS": ["y", "z"]}}),
        update(P1, "ADD tags :t", {":t": {"SS": ["c"]}}),
        update(P1, "DELETE tags :t", {":t": {"SS": ["a"]}}),
        update(P1, "SET l = list_append(l, :more)", {":more": {"L": [{"N": "1.50"}]}}),
        update({"id": {"S": "p9"}}, "SET n = :n", {":n": {"N": "3"}}),
        update({"id": {"S": "p9"}}, "ADD n :n", {":n": {"N": "3"}}),
        delete("plain", {"id": {"S": "p2"}}),
        delete("plain", {"id": {"S": "nothing"}}),
    ],
    "every kind of value, text that JSON escapes": [
        put(
            "plain",
            {
                "id": {"S": 'ünï "q" \\ \u2028 \U0001f600'},
                "b": {"B": b64(b"\x00\xff")},
                "bs": {"BS": [b64(b"a"), b64(b"\x01")]},
                "ns": {"NS": ["1", "2.5"]},
                "null": {"NULL": True},
                "no": {"BOOL": False},
                "deep": {"L": [{"M": {"b": {"B": b64(b"z")}}}, {"L": []}, {"M": {}}]},
            },
        ),
        delete("plain", {"id": {"S": 'ünï "q" \\ \u2028 \U0001f600'}}),
    ],
    "a stream of old images, of a table with a range key": [
        put("olds", {"h": {"S": "h"}, "r": {"S": "a"}, "v": {"N": "1"}}),
        put("olds", {"h": {"S": "h"}, "r": {"S": "a"}, "v": {"N": "2"}}),
        delete("olds", {"h": {"S": "h"}, "r": {"S": "a"}}),
    ],
}


@pytest.mark.parametrize("writes", WRITES.values(), ids=WRITES.keys())
def test_records_are_moto_s_own(writes: list[Write], monkeypatch: pytest.MonkeyPatch) -> None:
    own, deferred = both(writes, monkeypatch)
    assert len(own) > 1
    assert deferred == own
    assert get_records_answer(deferred) == get_records_answer(own)


def test_a_record_is_kept_unbuilt_until_read(monkeypatch: pytest.MonkeyPatch) -> None:
    moto_patch.apply()
    monkeypatch.setattr(table_module, "utcnow", ticking())
    db = backend()
    db.put_item("plain", {"id": {"S": "p7"}})
    record = db.tables["plain"].stream_shard.items[-1]  # type: ignore[union-attr]
    assert isinstance(record, DeferredRecord)
    assert record._record is None
    assert record.to_json()["dynamodb"]["Keys"] == {"id": {"S": "p7"}}
    assert record.to_json() is record.record


# Values as a client writes them: every kind DynamoDB has, nested.
scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=8)),
    st.builds(lambda n: {"N": str(n)}, st.integers(-(10**6), 10**6) | st.decimals(places=3, allow_nan=False)),
    st.builds(lambda b: {"B": b64(b)}, st.binary(max_size=6)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda s: {"SS": sorted(s)}, st.sets(st.text(min_size=1, max_size=4), min_size=1, max_size=3)),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.builds(lambda members: {"L": members}, st.lists(inner, max_size=3))
        | st.builds(lambda m: {"M": m}, st.dictionaries(st.text(min_size=1, max_size=4), inner, max_size=3))
    ),
    max_leaves=6,
)
attributes = st.dictionaries(st.sampled_from(["a", "b", "c", "é"]), values, max_size=3)


def writes_of(ids: list[str], items: list[dict[str, Any]], deleted: list[bool]) -> Iterator[Write]:
    for item_id, attrs, gone in zip(ids, items, deleted, strict=True):
        key = {"id": {"S": item_id}}
        yield put("plain", {**attrs, **key})
        if "a" in attrs:
            yield update(key, "SET b = a, a = :v", {":v": {"S": "changed"}})
        if gone:
            yield delete("plain", key)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    drawn=st.lists(st.sampled_from(["p1", "p2", "x", "Ω"]), min_size=1, max_size=5).flatmap(
        lambda ids: st.tuples(
            st.just(ids),
            st.lists(attributes, min_size=len(ids), max_size=len(ids)),
            st.lists(st.booleans(), min_size=len(ids), max_size=len(ids)),
        )
    )
)
def test_records_of_any_items_are_moto_s_own(
    drawn: tuple[list[str], list[dict[str, Any]], list[bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = list(writes_of(*drawn))
    own, deferred = both(writes, monkeypatch)
    assert deferred == own
    assert get_records_answer(deferred) == get_records_answer(own)
