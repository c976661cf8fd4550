"""The moto patch: pinned to the moto it was written for, and a transaction's outcome is moto's own.

Each transaction runs on two identical backends, through moto's original method and through the
patched one: the error (type, cancellation reasons in order, their items) and the state left
(items, stream records) must be the same.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

import pytest
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionContext
from moto.core.serialize import get_serializer_class
from moto.core.utils import get_service_model
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    ProvidedKeyDoesNotExist,
    TransactionCanceledException,
)
from moto.dynamodb.models import DynamoDBBackend, DynamoType, create_condition_expression_parser
from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import dynamo_to_dict
from moto.dynamodb.parsing.ast_nodes import ExpressionAttributeName, UpdateExpressionSetAction  # type: ignore[attr-defined]
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.responses import DynamoHandler, DynamoResult

from tests.unit.moto_tables import backend, create, key, put, state, update, with_condition
from tooling.local import moto_expressions, moto_order, moto_patch, moto_queries, moto_serializer
from tooling.local.moto_patch import MOTO_VERSION, PINS, MotoChanged, Pin, verify

ONE = {":one": {"N": "1"}}
WRITES = [
    put("plain", id="p9"),
    update("plain", "SET n = n + :one", ONE, id="p1"),
    key("plain", "Delete", id="p2"),
    put("ranged", h="h2", r="a"),
    put("ranged", h="h1", r="c"),
    key("ranged", "Delete", h="h1", r="b"),
]
TRANSACTIONS: dict[str, list[dict[str, Any]]] = {
    "lands": [*WRITES, with_condition(key("plain", "ConditionCheck", id="p3"), "attribute_exists(id)")],
    "a failed condition after writes": [
        *WRITES,
        with_condition(key("plain", "ConditionCheck", id="p3"), "attribute_not_exists(id)"),
    ],
    "failed conditions in order, with their old items": [
        *WRITES[:3],
        {
            "ConditionCheck": {
                **key("plain", "ConditionCheck", id="p3")["ConditionCheck"],
                "ConditionExpression": "n = :one",
                "ExpressionAttributeValues": ONE,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        with_condition(put("ranged", h="h1", r="a"), "attribute_not_exists(h)"),
    ],
    "an update that cannot apply": [*WRITES[:3], update("plain", "SET n = n + :one", {":one": {"S": "x"}}, id="p3")],
    "a table that does not exist": [*WRITES[:3], put("nowhere", id="x")],
    "an item named twice": [*WRITES, key("plain", "Delete", id="p1")],
    "a put without its key": [*WRITES, put("plain", other="x")],
}


def outcome(transact: Any, items: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    db = backend()
    try:
        transact(db, items)
        error = None
    except Exception as raised:
        error = (type(raised).__name__, getattr(raised, "description", str(raised)))
    return error, state(db)


@pytest.mark.parametrize("items", TRANSACTIONS.values(), ids=TRANSACTIONS.keys())
def test_the_patched_transaction_ends_as_moto_s_own(items: list[dict[str, Any]]) -> None:
    moto_patch.apply()
    original = PINS[0].function
    assert DynamoDBBackend.transact_write_items is not original
    assert outcome(DynamoDBBackend.transact_write_items, items) == outcome(original, items)


def test_a_failed_transaction_leaves_the_tables_as_they_were() -> None:
    moto_patch.apply()
    error, after = outcome(DynamoDBBackend.transact_write_items, TRANSACTIONS["a failed condition after writes"])
    assert error is not None
    assert error[0] == "TransactionCanceledException"
    assert after == state(backend())


def test_the_installed_moto_is_the_pinned_one() -> None:
    verify()


def test_another_moto_version_is_refused() -> None:
    with pytest.raises(MotoChanged, match=f"moto 9.9.9 is installed, the patch is for {MOTO_VERSION}"):
        verify("9.9.9")


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """What a later moto might have in place of the method the patch wraps."""
    self.apply_atomically(transact_items)


def test_a_changed_source_is_refused() -> None:
    changed = Pin(transact_write_items, PINS[0].sha256)
    with pytest.raises(MotoChanged, match=r"the source of tests\.unit\.test_moto_patch\.transact_write_items changed"):
        verify(MOTO_VERSION, [*PINS[1:], changed])


# Expressions: parsed and checked once (moto_expressions). Each run of calls ends as it does on
# moto's own code: the same answers and errors, in order, and the same items after.

S = {"S": "x"}


def call_update(
    expression: str, names: dict[str, str] | None, values: dict[str, Any] | None, condition: str | None = None
) -> Callable[[DynamoDBBackend, str], Any]:
    def run(db: DynamoDBBackend, item_id: str) -> Any:
        # Values of its own, as each request parsed has: moto stores a set's list as given, and
        # later writes of the item change that list in place.
        item = db.update_item(
            "plain", {"id": {"S": item_id}}, expression, names or {}, copy.deepcopy(values or {}), None, None, condition
        )
        return item.to_json()

    return run


def answers(calls: list[tuple[Callable[[DynamoDBBackend, str], Any], str]]) -> tuple[list[Any], dict[str, Any]]:
    db = backend()
    said = []
    for call, item_id in calls:
        try:
            said.append(("ok", call(db, item_id)))
        except Exception as raised:
            said.append((type(raised).__name__, getattr(raised, "description", str(raised))))
    return said, state(db)


SET_N = call_update("SET #n = :n", {"#n": "n"}, {":n": {"N": "10"}})
RUNS: dict[str, list[tuple[Callable[[DynamoDBBackend, str], Any], str]]] = {
    "one expression, other values": [
        (SET_N, "p1"),
        (call_update("SET #n = :n", {"#n": "n"}, {":n": {"N": "20"}}), "p2"),
        (call_update("SET #n = :n", {"#n": "n"}, {":n": {"S": "twenty"}}), "p3"),
    ],
    "one condition, met then failed": [
        (call_update("SET #n = :n", {"#n": "n"}, {":n": {"N": "7"}, ":was": {"N": "1"}}, "#n = :was"), "p1"),
        (call_update("SET #n = :n", {"#n": "n"}, {":n": {"N": "7"}, ":was": {"N": "1"}}, "#n = :was"), "p2"),
        (call_update("SET #n = :n", {"#n": "n"}, {":n": {"N": "8"}, ":was": {"N": "2"}}, "#n = :was"), "p2"),
        (call_update("SET #n = :n", {"#n": "n"}, {":n": {"N": "9"}, ":was": {"N": "2"}}, "#n = :was"), "p2"),
    ],
    "a condition of functions, ranges and sizes, with other values": [
        *(
            (
                call_update(
                    "SET #n = :n",
                    {"#n": "n", "#t": "tags"},
                    {":n": {"N": "0"}, ":lo": {"N": lo}, ":hi": {"N": "3"}, ":size": {"N": size}, ":in": S},
                    "#n BETWEEN :lo AND :hi AND size(#t) > :size AND NOT contains(#t, :in) AND #n IN (:lo, :hi)",
                ),
                item_id,
            )
            for lo, size, item_id in (("1", "1", "p1"), ("2", "1", "p2"), ("2", "2", "p3"), ("3", "1", "p3"))
        )
    ],
    "a value or name the request lacks": [
        (SET_N, "p1"),
        (call_update("SET #n = :n", {"#n": "n"}, {":n": {"N": "1"}}, "#n = :gone"), "p1"),
        (call_update("SET #n = :n", {"#n": "n"}, {":n": {"N": "1"}, ":gone": S}, "#n = :gone"), "p1"),
        (call_update("SET #n = :n", {"#n": "n"}, {":n": {"N": "1"}}, "#n = :gone"), "p1"),
        (call_update("SET #n = :n", {"#n": "n"}, {}), "p1"),
        (call_update("SET #n = :n", {}, {":n": {"N": "1"}}), "p1"),
    ],
    "names that overlap, then names that do not, then names that do": [
        *(
            (call_update("SET #a = :a, #b = :b", {"#a": "n", "#b": b}, {":a": {"N": "1"}, ":b": {"N": "2"}}), "p1")
            for b in ("n", "m", "n")
        )
    ],
    "a key attribute set, then another attribute by the same expression, then the key again": [
        *((call_update("SET #k = :v", {"#k": name}, {":v": S}), "p1") for name in ("id", "other", "id"))
    ],
    "the same expression written twice, then once right": [
        (call_update("SET n = = :v", None, {":v": S}), "p1"),
        (call_update("SET n = = :v", None, {":v": S}), "p1"),
        (call_update("SET n = :v SET m = :v", None, {":v": S}), "p1"),
        (call_update("SET n = :v SET m = :v", None, {":v": S}), "p2"),
        (call_update("SET n = :v, m = :v", None, {":v": S}), "p2"),
    ],
    "arithmetic, functions, sets, lists and removal on the item as it stands": [
        *(
            (call_update("SET n = n + :one, l = list_append(if_not_exists(l, :none), :more)", None, values), "p1")
            for values in (
                {":one": {"N": "1"}, ":none": {"L": []}, ":more": {"L": [S]}},
                {":one": {"N": "2"}, ":none": {"L": []}, ":more": {"L": [{"N": "5"}]}},
            )
        ),
        (call_update("SET l[0] = :v", None, {":v": {"S": "first"}}), "p1"),
        (call_update("SET l[0] = :v", None, {":v": {"S": "first"}}), "p2"),
        (call_update("ADD tags :more, n :one", None, {":more": {"SS": ["c"]}, ":one": {"N": "1"}}), "p2"),
        (call_update("ADD tags :more, n :one", None, {":more": {"NS": ["1"]}, ":one": {"N": "1"}}), "p3"),
        (call_update("REMOVE tags DELETE l :v", None, {":v": {"SS": ["a"]}}), "p1"),
        (call_update("REMOVE tags, l[0]", None, None), "p1"),
        (call_update("SET n = n - :one", None, {":one": {"N": "1"}}), "p9"),
        (call_update("SET n = :one", None, {":one": {"N": "1"}}), "p9"),
    ],
    "one validated update on several items, each then changed on its own": [
        *(
            (call_update("SET tags = :s, #n = :n", {"#n": "n"}, {":s": {"SS": ["x"]}, ":n": S}), i)
            for i in ("p1", "p2")
        ),
        (call_update("DELETE tags :d", None, {":d": {"SS": ["x"]}}), "p1"),
        (call_update("ADD tags :a", None, {":a": {"SS": ["y"]}}), "p2"),
        *(
            (call_update("SET tags = :s, #n = :n", {"#n": "n"}, {":s": {"SS": ["x"]}, ":n": S}), i)
            for i in ("p3", "p9")
        ),
        (call_update("SET tags = :s, #n = :n", {"#n": "n"}, {":s": {"NS": ["1"]}, ":n": S}), "p3"),
        (call_update("SET #n = :s", {"#n": "id"}, {":s": S}), "p3"),
        (call_update("SET #n = :s", {"#n": "n"}, {":s": S}), "p3"),
        (call_update("SET #n = :s", {"#n": "id"}, {":s": S}), "p3"),
    ],
}


@pytest.mark.parametrize("calls", RUNS.values(), ids=RUNS.keys())
def test_expressions_end_as_with_moto_s_own(calls: list[tuple[Callable[[DynamoDBBackend, str], Any], str]]) -> None:
    moto_patch.apply()
    with moto_expressions.moto_s_own():
        expected = answers(calls)
    # Twice: the second run finds every expression remembered from the first.
    assert answers(calls) == expected
    assert answers(calls) == expected


def guarded(item_id: str, new: str, was: str) -> dict[str, Any]:
    """An update of `n` to `new`, if `n` is still `was`: one expression, values of its own."""
    ((kind, operation),) = update("plain", "SET n = :new", {":new": {"N": new}, ":was": {"N": was}}, id=item_id).items()
    return {kind: {**operation, "ConditionExpression": "n = :was"}}


def test_one_expression_in_a_transaction_writes_each_item_by_its_own_values() -> None:
    moto_patch.apply()
    items = [guarded("p1", "10", "1"), guarded("p2", "20", "2"), guarded("p3", "30", "3")]
    error, after = outcome(DynamoDBBackend.transact_write_items, items)
    assert error is None
    assert {k: v["Attributes"]["n"] for k, v in after["plain"]["items"].items()} == {
        "p1": {"N": "10"},
        "p2": {"N": "20"},
        "p3": {"N": "30"},
    }


def test_one_expression_in_a_transaction_still_fails_where_its_own_values_do_not_match() -> None:
    moto_patch.apply()
    items = [guarded("p1", "10", "1"), guarded("p2", "20", "1"), guarded("p3", "30", "3")]
    error, after = outcome(DynamoDBBackend.transact_write_items, items)
    assert error is not None
    assert error[0] == "TransactionCanceledException"
    assert "[None, ConditionalCheckFailed, None]" in error[1]
    assert after == state(backend())
    with moto_expressions.moto_s_own():
        assert outcome(DynamoDBBackend.transact_write_items, items) == (error, after)


def test_an_expression_is_parsed_once() -> None:
    moto_patch.apply()
    assert UpdateExpressionParser.make("SET n = :v") is UpdateExpressionParser.make("SET n = :v")
    with moto_expressions.moto_s_own():
        assert UpdateExpressionParser.make("SET n = :v") is not UpdateExpressionParser.make("SET n = :v")


def test_a_parsed_expression_s_clauses_are_found_once_as_moto_finds_them() -> None:
    moto_patch.apply()
    expression = "SET #a = :a, b = :b ADD #c :c REMOVE #d"
    tree = UpdateExpressionParser.make(expression)
    with moto_expressions.moto_s_own():
        own = UpdateExpressionParser.make(expression)
        expected = [node.get_attribute_name_placeholder() for node in own.find_clauses([ExpressionAttributeName])]
    found = tree.find_clauses([ExpressionAttributeName])
    assert [node.get_attribute_name_placeholder() for node in found] == expected == ["#a", "#c", "#d"]
    assert tree.find_clauses([ExpressionAttributeName]) == found
    assert tree.find_clauses([ExpressionAttributeName]) is not found
    assert len(tree.find_clauses([UpdateExpressionSetAction])) == 2


def test_a_condition_on_strings_and_numbers_is_built_once_for_its_values() -> None:
    moto_patch.apply()

    def built(values: dict[str, Any]) -> Any:
        return create_condition_expression_parser("n = :v", None, values).parse()

    one = {":v": {"N": "1"}}
    assert built(one) is built(copy.deepcopy(one))
    assert built(one) is not built({":v": {"N": "2"}})
    assert built({":v": {"L": [{"N": "1"}]}}) is not built({":v": {"L": [{"N": "1"}]}})


def test_a_condition_on_a_binary_value_is_built_as_moto_builds_it() -> None:
    # A request's binary value is parsed into bytes, which have no JSON form.
    moto_patch.apply()
    item = Item(DynamoType({"S": "k"}), None, {"b": DynamoType({"B": b"abc"})})

    def met(raw: bytes) -> bool:
        values: dict[str, Any] = {":v": {"B": raw}}
        return bool(create_condition_expression_parser("b = :v", None, values).parse().expr(item))

    assert (met(b"abc"), met(b"xyz")) == (True, False)


class ConditionExpressionParser:
    """What a later moto might have in place of a class the patch relies on."""


def test_a_changed_class_is_refused() -> None:
    pinned = next(pin for pin in PINS if pin.name.endswith(".ConditionExpressionParser"))
    changed = Pin(ConditionExpressionParser, pinned.sha256)
    with pytest.raises(MotoChanged, match=r"the source of tests\.unit\.test_moto_patch\.ConditionExpressionParser"):
        verify(MOTO_VERSION, [*(pin for pin in PINS if pin is not pinned), changed])


# Answers: plain attribute values written directly (moto_serializer), byte for byte as moto does.


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


STORED: dict[str, dict[str, Any]] = {
    "s": {"S": "x"},
    "empty": {"S": ""},
    "text": {"S": 'ünï "quoted" \\ \u2028'},
    "n": {"N": "-1.5E+10"},
    "b": {"B": b64(b"\x00\xff")},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b64(b"a"), b64(b"\x01")]},
    "m": {"M": {"a": {"S": "x"}, "b": {"M": {"c": {"L": [{"N": "1"}, {"BOOL": False}, {"NULL": True}]}}}}},
    "m with binary": {"M": {"a": {"S": "x"}, "b": {"L": [{"B": b64(b"z")}]}}},
    "empty m": {"M": {}},
    "empty l": {"L": []},
    "l": {"L": [{"L": [{"S": "deep"}]}, {"SS": ["x"]}, {"M": {"k": {"N": "0"}}}]},
    "null": {"NULL": True},
    "true": {"BOOL": True},
    "false": {"BOOL": False},
}
# Values moto's code never makes, which must go through moto's walk all the same.
ODD: dict[str, Any] = {
    "number for a string": {"S": 5},
    "lower case": {"s": "x"},
    "two kinds": {"S": "x", "N": "1"},
    "no kind": {},
    "none in a map": {"M": {"a": None}},
    "none in a list": {"L": [None]},
    "number in a set": {"SS": ["a", 1]},
    "string for a bool": {"BOOL": "true"},
    "tuple for a list": {"L": ({"S": "x"},)},
}


def scan_answer(items: list[dict[str, Any]]) -> Any:
    service = get_service_model("dynamodb")
    operation = service.operation_model("Scan")
    context = ActionContext(service, operation, get_serializer_class("dynamodb", service.protocol), DynamoHandler())
    return DynamoResult({"Items": items, "Count": len(items), "ScannedCount": len(items)}).execute_result(context)


@pytest.mark.parametrize(
    "items",
    [
        [{name: DynamoType(value) for name, value in STORED.items()}],
        [{name: DynamoType(value)} for name, value in STORED.items()],
        [{name: value} for name, value in ODD.items()],
        [dict(ODD)],
        [{"": DynamoType(STORED["s"]), "a": DynamoType(STORED["b"]), "c": DynamoType(STORED["m"])}],
    ],
    ids=["stored, in one item", "stored, an item each", "odd, an item each", "odd, in one item", "an empty name"],
)
def test_an_answer_is_written_as_by_moto_s_own(items: list[dict[str, Any]]) -> None:
    moto_patch.apply()
    with moto_serializer.moto_s_own():
        expected = scan_answer(items)
    assert scan_answer(items) == expected


def test_an_answer_s_values_are_read_as_by_moto_s_own() -> None:
    moto_patch.apply()
    read = moto_serializer._to_dict
    stored = LimitedSizeDict({name: DynamoType(value) for name, value in STORED.items()})
    for value in (stored, [stored, dict(ODD)], {"Items": [stored], "Count": 1, "None": None, "Yes": True}):
        assert read(value) == dynamo_to_dict(value)
    assert type(read(stored)) is dict
    assert read(stored)["m"] is not STORED["m"]


def errors() -> list[Exception]:
    return [
        ConditionalCheckFailed(),
        ConditionalCheckFailed(item={"id": {"S": "p1"}}),
        ProvidedKeyDoesNotExist(),
        MockValidationException("one or more parameter values were invalid"),
        TransactionCanceledException([(None, None, None), ("ConditionalCheckFailed", "failed", None)]),
        JsonRESTError("ResourceNotFoundException", "Requested resource not found"),
    ]


def test_an_error_is_built_as_by_moto_s_own() -> None:
    moto_patch.apply()
    with moto_serializer.moto_s_own():
        expected = [(type(e), e.args, vars(e)) for e in errors()]
    assert [(type(e), e.args, vars(e)) for e in errors()] == expected


def test_a_table_s_items_come_in_moto_s_order() -> None:
    moto_patch.apply()
    db = backend()
    create(db, "numbered", ["k"], {"k": "N"})
    for number in ("10", "9", "1.50", "-3", "2E1", "0.001", "-0", "7"):
        db.put_item("numbered", {"k": {"N": number}})
    for h, r in (("h2", "b"), ("h0", "z"), ("h2", "a"), ("h10", "a")):
        db.put_item("ranged", {"h": {"S": h}, "r": {"S": r}})
    for n in ("p0", "p10", "P5", "p2"):
        db.put_item("plain", {"id": {"S": n}})
    moto_s = next(pin.function for pin in PINS if pin.name.endswith("Table.all_items"))
    assert Table.all_items is not moto_s
    for name in ("numbered", "ranged", "plain"):
        table = db.get_table(name)
        assert [item.to_json() for item in table.all_items()] == [item.to_json() for item in moto_s(table)]


# Scans from every kind of start key: the pages moto's own code makes (moto_order, moto_queries).


def scan_pages(db: DynamoDBBackend, table: str, start: dict[str, Any] | None, limit: int) -> list[Any]:
    """Every page from `start` on: its items, scanned count and last key; or the error."""
    pages: list[Any] = []
    while True:
        try:
            items, scanned, start = db.scan(table, {}, limit, start, None, {}, {}, None, False, None, (None, None))  # type: ignore[arg-type]
        except Exception as raised:
            return [*pages, (type(raised).__name__, str(raised))]
        pages.append(([item.to_json() for item in items], scanned, start))
        if start is None:
            return pages


def filled() -> DynamoDBBackend:
    db = backend()
    for n in range(4, 12):
        db.put_item("plain", {"id": {"S": f"p{n}"}})
        db.put_item("ranged", {"h": {"S": f"h{n % 3}"}, "r": {"S": f"r{n}"}})
    return db


STARTS = {
    "the first page": ("plain", None),
    "an item's key": ("plain", {"id": {"S": "p3"}}),
    "a key no item has": ("plain", {"id": {"S": "p35"}}),
    "a key past the last item": ("plain", {"id": {"S": "zz"}}),
    "a key of another kind": ("plain", {"id": {"N": "3"}}),
    "a key without its attribute": ("plain", {"other": {"S": "p3"}}),
    "a range key item's key": ("ranged", {"h": {"S": "h1"}, "r": {"S": "r4"}}),
    "a range key no item has": ("ranged", {"h": {"S": "h1"}, "r": {"S": "r"}}),
    "a hash key with no range key": ("ranged", {"h": {"S": "h1"}}),
}


@pytest.mark.parametrize(("table", "start"), STARTS.values(), ids=STARTS.keys())
def test_scan_pages_are_moto_s_own(table: str, start: dict[str, Any] | None) -> None:
    moto_patch.apply()
    with moto_order.moto_s_own(), moto_queries.moto_s_own():
        expected = [scan_pages(filled(), table, start, limit) for limit in (1, 3, 100)]
    assert [scan_pages(filled(), table, start, limit) for limit in (1, 3, 100)] == expected
