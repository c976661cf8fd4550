"""DynamoDB's limits on a request, checked on every request the store sends.

moto, which stands in for DynamoDB in the tests and in `make run`, accepts requests DynamoDB
refuses: a BatchWriteItem of more than 25 requests, an expression past 4 KB, an IN of more than 100
operands. `LimitChecker` is a botocore `provide-client-params` handler that holds each request to
DynamoDB's documented limits and raises `LimitExceeded` (naming the limit, the operation and the
value) before anything is sent, so that a request that would fail in production fails in a test.

It is on wherever the store talks to a DynamoDB of its own (`StoreConfig.checks_limits`: the test
suite, `make run`, the command line against the embedded server) and off against the service itself,
which is the authority on its limits and refuses such a request with a ValidationException anyway:
there a second opinion could only add a wrong refusal. What keeps production inside the limits is
the code that builds the requests (store/batch.py, store/transaction.py, query/conditions.py and the
key checks of the writers); this module is how the tests hold them to it.

The limits, from DynamoDB's documentation:
- Constraints in Amazon DynamoDB,
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html: partition keys
  of 1 to 2,048 bytes and sort keys of 1 to 1,024; attribute names of at least one character and
  under 64 KB, 255 bytes for key attributes (table and index keys); numbers of up to 38 significant
  digits, magnitudes from 1E-130 to 9.99...E+125; 32 levels of nested attributes; items of at most
  400 KB; an expression string of at most 4 KB; an expression attribute name or value placeholder
  of at most 255 bytes; ExpressionAttributeNames and ExpressionAttributeValues of at most 2 MB
  together; at most 100 operands of one IN; at most 300 operators or functions in an expression.
- Count expression operators in DynamoDB,
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/example_dynamodb_Scenario_ExpressionOperatorCounting_section.html:
  what counts toward the 300 (comparators, AND / OR / NOT, BETWEEN, IN, functions, + and -).
- API Reference: BatchGetItem (at most 100 keys, no key twice; at most 16 MB answered, the rest
  left in UnprocessedKeys, which store/batch.py sends again: nothing in a request to check),
  BatchWriteItem (at most 25 requests, no item twice; its 16 MB cannot be passed by 25 items of
  400 KB), TransactWriteItems (at most 100 actions, 4 MB of items, no two on one item),
  Query and Scan (`Limit` at least 1), KeySchemaElement (key attribute names of 1 to 255 bytes),
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB.html.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.store.sizes import (
    MAX_ITEM_BYTES,
    MAX_PARTITION_KEY_BYTES,
    item_size,
    significant_digits,
    value_size,
)

MB = 1024 * 1024
MAX_BATCH_GET_KEYS = 100
MAX_BATCH_WRITE_REQUESTS = 25
MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 4 * MB
MAX_NAME_BYTES = 64 * 1024 - 1
MAX_KEY_NAME_BYTES = 255
MAX_DIGITS = 38
SMALLEST_NUMBER = Decimal("1E-130")
NUMBER_BOUND = Decimal("1E+126")
MAX_DEPTH = 32
MAX_EXPRESSION_BYTES = 4 * 1024
MAX_PLACEHOLDER_BYTES = 255
MAX_SUBSTITUTION_BYTES = 2 * MB
MAX_IN_OPERANDS = 100
MAX_OPERATORS = 300

EXPRESSIONS = (
    "ConditionExpression",
    "FilterExpression",
    "KeyConditionExpression",
    "ProjectionExpression",
    "UpdateExpression",
)
# What counts toward MAX_OPERATORS. An UpdateExpression's `=` assigns and is not counted (DynamoDB's
# own example counts `SET a = :v1 + :v2 + :v3` as two operators); the AND of a BETWEEN is part of it.
_OPERATORS = frozenset(
    {
        *("<>", "<=", ">=", "=", "<", ">", "+", "-"),
        *("AND", "OR", "NOT", "BETWEEN", "IN"),
        *("ATTRIBUTE_EXISTS", "ATTRIBUTE_NOT_EXISTS", "ATTRIBUTE_TYPE", "BEGINS_WITH", "CONTAINS", "SIZE"),
        *("IF_NOT_EXISTS", "LIST_APPEND"),
    }
)
# Comparators and arithmetic, and words: keywords, functions, names, and placeholders (`#n`, `:v`),
# which are never operators whatever they spell.
_TOKEN = re.compile(r"<>|<=|>=|[=<>+-]|[#:]?\w+")
_IN = re.compile(r"\bIN\s*\(", re.IGNORECASE)
_PATH = re.compile(r"[#\w]+(?:\s*(?:\.\s*[#\w]+|\[\s*\d+\s*\]))*")
# `#a = :v` in an UpdateExpression's SET or a KeyConditionExpression: a key attribute given a value.
_ASSIGNED = re.compile(r"(#\w+)\s*=\s*(:\w+)")


@dataclass(frozen=True)
class TableKeys:
    """A table's own key attributes, and the most bytes a value of each key attribute of the table
    or of its indexes may have."""

    primary: tuple[str, ...]
    sizes: Mapping[str, int]


# The keys of each table the store uses, by table name.
KeySizes = Mapping[str, TableKeys]


class LimitExceeded(Exception):
    """A request DynamoDB would refuse: `operation` breaks `limit` with `value`."""

    def __init__(self, operation: str, limit: str, value: object) -> None:
        super().__init__(f"{operation}: {limit}, here {value}")
        self.operation = operation
        self.limit = limit
        self.value = value


class LimitChecker:
    """The botocore handler: raises LimitExceeded on a request past a limit, and keeps what it
    raised in `violations`, so that a test sees one even where the error was turned into an answer."""

    def __init__(self, keys: KeySizes) -> None:
        self.keys = keys
        self.violations: list[str] = []

    def __call__(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        try:
            check_request(model.name, params, self.keys)
        except LimitExceeded as error:
            self.violations.append(str(error))
            raise


def check_limits(client: Any, keys: KeySizes) -> LimitChecker:
    checker = LimitChecker(keys)
    client.meta.events.register("provide-client-params.dynamodb", checker)
    return checker


def check_request(operation: str, params: Mapping[str, Any], keys: KeySizes) -> None:
    if operation == "BatchGetItem":
        _batch_get(params, keys)
    elif operation == "BatchWriteItem":
        _batch_write(params, keys)
    elif operation == "TransactWriteItems":
        _transact_write(params, keys)
    elif operation == "CreateTable":
        _create_table(params)
    else:
        _part(operation, params, keys)
        limit = params.get("Limit")
        if limit is not None and limit < 1:
            raise LimitExceeded(operation, "`Limit` is at least 1", limit)


def _batch_get(params: Mapping[str, Any], keys: KeySizes) -> None:
    op = "BatchGetItem"
    requests = params.get("RequestItems", {})
    count = sum(len(request.get("Keys", ())) for request in requests.values())
    if count > MAX_BATCH_GET_KEYS:
        raise LimitExceeded(op, f"at most {MAX_BATCH_GET_KEYS} keys in one call", count)
    for table, request in requests.items():
        _part(op, {**request, "TableName": table}, keys)
        _distinct(op, table, request.get("Keys", ()))
        for key in request.get("Keys", ()):
            _key(op, table, key, keys)


def _batch_write(params: Mapping[str, Any], keys: KeySizes) -> None:
    op = "BatchWriteItem"
    requests = params.get("RequestItems", {})
    count = sum(len(writes) for writes in requests.values())
    if count > MAX_BATCH_WRITE_REQUESTS:
        raise LimitExceeded(op, f"at most {MAX_BATCH_WRITE_REQUESTS} requests in one call", count)
    for table, writes in requests.items():
        written = []
        for write in writes:
            if "PutRequest" in write:
                item = write["PutRequest"]["Item"]
                _item(op, table, item, keys)
                written.append(_primary(table, item, keys))
            else:
                key = write["DeleteRequest"]["Key"]
                _key(op, table, key, keys)
                written.append(key)
        _distinct(op, table, written)


def _transact_write(params: Mapping[str, Any], keys: KeySizes) -> None:
    op = "TransactWriteItems"
    actions = params.get("TransactItems", ())
    if len(actions) > MAX_TRANSACTION_ITEMS:
        raise LimitExceeded(op, f"at most {MAX_TRANSACTION_ITEMS} actions in one transaction", len(actions))
    total = 0
    targets = set()
    # The actions of a bulk write are alike but for their key: each part but the key is checked
    # once a request, keyed by the objects it is made of (held by `params`, unchanged meanwhile).
    passed: dict[tuple[object, ...], int] = {}
    for action in actions:
        ((kind, part),) = action.items()
        table = part.get("TableName", "")
        if "Key" in part:
            _key(f"{op} {kind}", table, part["Key"], keys)
        shape = (kind, *[(name, id(value)) for name, value in part.items() if name != "Key"])
        carried = passed.get(shape)
        if carried is None:
            carried = passed[shape] = _unkeyed(f"{op} {kind}", part, keys)
        total += carried
        target = (table, _canonical(part.get("Key") or _primary(table, part.get("Item", {}), keys)))
        if target in targets:
            raise LimitExceeded(op, "no two actions on one item", target)
        targets.add(target)
    if total > MAX_TRANSACTION_BYTES:
        raise LimitExceeded(op, f"at most {MAX_TRANSACTION_BYTES:,} bytes of items", f"{total:,} bytes")


def _create_table(params: Mapping[str, Any]) -> None:
    schemas = [params.get("KeySchema", ())]
    schemas += [index.get("KeySchema", ()) for index in params.get("GlobalSecondaryIndexes", ())]
    for schema in schemas:
        for element in schema:
            _name("CreateTable", element["AttributeName"], MAX_KEY_NAME_BYTES, "a key attribute name")


def _part(op: str, part: Mapping[str, Any], keys: KeySizes) -> int:
    """Check one request on one item or table (a call, or one action of a transaction); returns the
    bytes of item data it carries (a whole item, or an update's values)."""
    if "Key" in part:
        _key(op, part.get("TableName", ""), part["Key"], keys)
    return _unkeyed(op, part, keys)


def _unkeyed(op: str, part: Mapping[str, Any], keys: KeySizes) -> int:
    """`_part` but for the part's `Key`."""
    table = part.get("TableName", "")
    names = part.get("ExpressionAttributeNames", {})
    values = part.get("ExpressionAttributeValues", {})
    carried = _item(op, table, part["Item"], keys) if "Item" in part else 0
    for name in EXPRESSIONS:
        if name in part:
            check_expression(op, name, part[name])
    substitutions = 0
    for placeholder, name in names.items():
        _placeholder(op, placeholder)
        _name(op, name, MAX_NAME_BYTES, "an attribute name")
        substitutions += _utf8(placeholder) + _utf8(name)
    for placeholder, value in values.items():
        _placeholder(op, placeholder)
        _value(op, value, 0)
        substitutions += _utf8(placeholder) + value_size(value)
    if substitutions > MAX_SUBSTITUTION_BYTES:
        raise LimitExceeded(
            op,
            f"ExpressionAttributeNames and ExpressionAttributeValues of at most {MAX_SUBSTITUTION_BYTES:,} bytes",
            f"{substitutions:,} bytes",
        )
    for expression in ("UpdateExpression", "KeyConditionExpression"):
        for placeholder, value in _ASSIGNED.findall(part.get(expression, "")):
            name = names.get(placeholder, "")
            if name in _sizes(table, keys) and value in values:
                _key_value(op, table, name, values[value], keys)
    if "UpdateExpression" in part:
        carried += sum(value_size(value) for value in values.values())
    return carried


# The writes of a bulk update share their expressions: each is checked once (a refusal is not kept).
@functools.lru_cache(maxsize=1024)
def check_expression(op: str, name: str, text: str) -> None:
    """LimitExceeded if the expression `text` is longer, has more operators, a longer IN or a deeper
    document path than DynamoDB takes."""
    length = _utf8(text)
    if length > MAX_EXPRESSION_BYTES:
        raise LimitExceeded(op, f"a {name} of at most {MAX_EXPRESSION_BYTES:,} bytes", f"{length:,} bytes")
    operators = count_operators(name, text)
    if operators > MAX_OPERATORS:
        raise LimitExceeded(op, f"at most {MAX_OPERATORS} operators and functions in a {name}", operators)
    for operands in _in_operands(text):
        if operands > MAX_IN_OPERANDS:
            raise LimitExceeded(op, f"at most {MAX_IN_OPERANDS} operands of one IN in a {name}", operands)
    # Only a nested path has a dot or a bracket: most expressions skip the search.
    for path in _PATH.findall(text) if "." in text or "[" in text else ():
        depth = 1 + path.count(".") + path.count("[")
        if depth > MAX_DEPTH:
            raise LimitExceeded(op, f"document paths at most {MAX_DEPTH} levels deep in a {name}", depth)


def count_operators(name: str, text: str) -> int:
    found = [token for token in map(str.upper, _TOKEN.findall(text)) if token in _OPERATORS]
    count = len(found) - found.count("BETWEEN")
    return count - found.count("=") if name == "UpdateExpression" else count


def _in_operands(text: str) -> Iterator[int]:
    for match in _IN.finditer(text):
        depth, operands = 1, 1
        for char in text[match.end() :]:
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if not depth:
                    break
            elif char == "," and depth == 1:
                operands += 1
        yield operands


def _item(op: str, table: str, item: Mapping[str, Any], keys: KeySizes) -> int:
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise LimitExceeded(op, f"items of at most {MAX_ITEM_BYTES:,} bytes", f"{size:,} bytes")
    key_sizes = _sizes(table, keys)
    for name, value in item.items():
        if name in key_sizes:
            _key_value(op, table, name, value, keys)
        else:
            _name(op, name, MAX_NAME_BYTES, "an attribute name")
            _value(op, value, 0)
    return size


def _key(op: str, table: str, key: Mapping[str, Any], keys: KeySizes) -> None:
    for name, value in key.items():
        _key_value(op, table, name, value, keys)


def _key_value(op: str, table: str, name: str, value: Mapping[str, Any], keys: KeySizes) -> None:
    """A key attribute of the table or of one of its indexes: a name of at most 255 bytes, a value
    that is a non-empty string or binary (or a number) no longer than its kind of key takes."""
    _name(op, name, MAX_KEY_NAME_BYTES, "a key attribute name")
    ((kind, inner),) = value.items()
    if kind == "N":
        _number(op, inner)
        return
    size = len(inner) if kind == "B" else _utf8(inner)
    if size == 0:
        raise LimitExceeded(op, f"a non-empty value of key attribute {name!r} of {table}", "an empty value")
    most = _sizes(table, keys).get(name, MAX_PARTITION_KEY_BYTES)
    if size > most:
        raise LimitExceeded(
            op, f"a value of key attribute {name!r} of {table} of at most {most:,} bytes", f"{size:,} bytes"
        )


def _value(op: str, value: Mapping[str, Any], depth: int) -> None:
    ((kind, inner),) = value.items()
    if kind == "N":
        _number(op, inner)
    elif kind == "NS":
        for member in inner:
            _number(op, member)
    elif kind in ("L", "M"):
        if depth + 1 > MAX_DEPTH:
            raise LimitExceeded(op, f"attributes nested at most {MAX_DEPTH} levels deep", depth + 1)
        for member in inner.values() if kind == "M" else inner:
            _value(op, member, depth + 1)


def _number(op: str, text: str) -> None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise LimitExceeded(op, "a number DynamoDB can parse", repr(text)) from None
    if not number.is_finite():
        raise LimitExceeded(op, "a finite number", text)
    if number and significant_digits(number) > MAX_DIGITS:
        raise LimitExceeded(op, f"numbers of at most {MAX_DIGITS} significant digits", text)
    # copy_abs and comparisons are exact; abs() would round to the context's 28 digits.
    if number and not SMALLEST_NUMBER <= number.copy_abs() < NUMBER_BOUND:
        raise LimitExceeded(op, "numbers of magnitude 1E-130 to 9.99E+125", text)


def _name(op: str, name: str, most: int, what: str) -> None:
    size = _utf8(name)
    if size == 0:
        raise LimitExceeded(op, f"{what} of at least one character", "an empty name")
    if size > most:
        raise LimitExceeded(op, f"{what} of at most {most:,} bytes", f"{size:,} bytes")


def _placeholder(op: str, placeholder: str) -> None:
    size = _utf8(placeholder)
    if size > MAX_PLACEHOLDER_BYTES:
        raise LimitExceeded(op, f"placeholders of at most {MAX_PLACEHOLDER_BYTES} bytes", f"{size:,} bytes")


def _distinct(op: str, table: str, keys: Iterable[Mapping[str, Any]]) -> None:
    seen = set()
    for key in keys:
        canonical = _canonical(key)
        if canonical in seen:
            raise LimitExceeded(op, f"no key twice in one call ({table})", key)
        seen.add(canonical)


def _canonical(key: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, repr(value)) for name, value in key.items()))


def _primary(table: str, item: Mapping[str, Any], keys: KeySizes) -> Mapping[str, Any]:
    """The key of `item` in `table` (the whole item, for a table the store does not know)."""
    known = keys.get(table)
    return item if known is None else {name: item[name] for name in known.primary if name in item}


def _sizes(table: str, keys: KeySizes) -> Mapping[str, int]:
    known = keys.get(table)
    return {} if known is None else known.sizes


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))
