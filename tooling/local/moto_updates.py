"""moto's UpdateItem of an item that is there, by plain actions, applied as compiled steps.

For each item it updates, moto deep-copies the whole item (the stream's old image), copies the
update's validated syntax tree and runs an executor per action, although the items of a bulk write
share one expression, its names and its values (`SET #tag = :tag ADD #v :one` on each of a
hundred items). Here an update whose every action is a SET of a top-level attribute to a value,
an ADD of a number to one or a REMOVE of one, and whose validated tree therefore depends on
nothing of the item (moto_expressions.validated_key), is compiled once from moto's own validated,
normalized tree into steps. Each item then gets those steps: the assignments moto's executors
make, in their order, through the item's own size-checking dict, and an old image that shares
the item's scalar values (journal.snapshot).

Everything else goes to moto as before, which then does what it always does: an item not there
(moto creates it), a condition not met (moto's own error, with the item if asked), an ADD to an
attribute that is not a number, or a step that fails: an item grown past its size limit, or an
addition moto's own raises on (the item is put back as it was first, so moto starts from the same
item).

The patch relies on moto's code as it is in the pinned version: `PINNED` names what moto_patch
checks before applying it.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend, create_condition_expression_parser
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import executors
from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
    DDBTypedValue,
    ExpressionAttribute,
    ExpressionAttributeName,
    Node,
    UpdateExpressionAddAction,
    UpdateExpressionPath,
    UpdateExpressionRemoveAction,
    UpdateExpressionSetAction,
)
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.parsing.validators import UpdateExpressionValidator

from tooling.local.journal import immutable, snapshot
from tooling.local.moto_expressions import Remembered, validated_key
from tooling.local.moto_sizes import value_size

# What the patch relies on, with the SHA-256 of its source in the pinned moto.
PINNED: tuple[tuple[Any, str], ...] = (
    (DynamoDBBackend.update_item, "218984588dd689a5de81678ce11e6a40d05c91e7b6c21b44c4ed4122fe74aa9f"),
    # The executors whose assignments the steps make, and the order they make them in.
    (executors.UpdateExpressionExecutor, "9c4ec4ab713474c122d5c81b05880446104b7245630b4abbb711a3356bf81aae"),
    (executors.NodeExecutor, "ded75682b10cec000b43e3b0b8f6a235f86d4f183c5f53719c9ac52b7f79cf1e"),
    (executors.SetExecutor, "ed9cad12581b815068c4695782a595e44bd92c295d155e136570695ca100bf62"),
    (executors.AddExecutor, "af00767b883f48f46265b7629e481bd2532aa9167a18f273f03cd8fa447444f5"),
    (executors.RemoveExecutor, "8d7d662fcaaf169f6cf110f7ef873bb1e810e0d2ae22c4f662c0cc6690238254"),
    (DynamoType.__add__, "c2852d8ddde02bb3460e9e4bb67cfecc9d94c379ebee2eb03075f60294f3ca9f"),
    # An item's parts, as snapshot copies them.
    (Item.__init__, "d9c12b62cb921831aab9b2eb22ac24fbd600689064a0219ae3ffbe057ae4be74"),
    (LimitedSizeDict, "c956079ac9554f8b8099aacd30689b0be79fbb20a665a225e3dc0ca79baca2d0"),
)

_SET, _ADD, _REMOVE = "set", "add", "remove"
_KINDS = {UpdateExpressionSetAction: _SET, UpdateExpressionAddAction: _ADD, UpdateExpressionRemoveAction: _REMOVE}


class _Step(NamedTuple):
    kind: str
    name: str
    value: DynamoType | None = None


Steps = tuple[_Step, ...]
# Per validated_key, the update's steps, or None when some action is not plain.
_compiled = Remembered()
_UNCOMPILED: Any = object()


class _Switch:
    """Whether the steps are in use. A switch rather than putting moto's method back (replaced.py):
    other patch modules wrap UpdateItem around this one, and must stay in place."""

    on = True


@contextmanager
def moto_s_own() -> Iterator[None]:
    """moto's own UpdateItem, for the span of the block (what the tests compare the steps with)."""
    _Switch.on = False
    try:
        yield
    finally:
        _Switch.on = True


def install() -> None:
    # Inside what other patch modules wrap around UpdateItem later (moto_queries, moto_changes).
    DynamoDBBackend.update_item = _direct(DynamoDBBackend.update_item)  # type: ignore[method-assign]


def _direct(original: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(original)
    def update_item(
        backend: DynamoDBBackend,
        table_name: str,
        key: dict[str, dict[str, Any]],
        update_expression: str,
        expression_attribute_names: dict[str, Any],
        expression_attribute_values: dict[str, Any],
        attribute_updates: dict[str, Any] | None = None,
        expected: dict[str, Any] | None = None,
        condition_expression: str | None = None,
        return_values_on_condition_check_failure: str | None = None,
    ) -> Item:
        names, values = expression_attribute_names, expression_attribute_values
        plain = not attribute_updates and not expected
        update = (
            planned(backend, table_name, key, update_expression, names, values, condition_expression) if plain else None
        )
        if update is not None and (made := applied(update)) is not None:
            streamed(update, made.before)
            return update.item
        return original(
            backend, table_name, key, update_expression, expression_attribute_names, expression_attribute_values,
            attribute_updates, expected, condition_expression, return_values_on_condition_check_failure,
        )  # fmt: skip

    return update_item


class Planned(NamedTuple):
    """An update the steps make: of this item, there now, of this table."""

    table: Table
    item: Item
    steps: Steps


def planned(
    backend: DynamoDBBackend, table_name: Any, key: Any, expression: Any, names: Any, values: Any, condition: Any
) -> Planned | None:
    """The update as steps, when it is plain, its item is there, its condition is met and each ADD
    adds to a number; else None, having changed nothing: moto must do it."""
    if not _Switch.on or not expression or not isinstance(table_name, str) or not isinstance(values or {}, dict):
        return None
    found = _existing(backend, table_name, key)
    if found is None:
        return None
    table, item = found
    try:
        steps = _steps(expression, names, values, table, item)
        if steps is None or not create_condition_expression_parser(condition, names, values).parse().expr(item):
            return None
    except Exception:  # moto's own attempt raises what moto raises
        return None
    if not all(_addable(item, step) for step in steps):
        return None
    return Planned(table, item, steps)


class Made(NamedTuple):
    """An update made: the item as it was before (its stream's old image), and its size now (Item.size)."""

    before: Item
    size: int


def applied(update: Planned) -> Made | None:
    """Make the update; None, the item left as it was, where a step failed: it grew the item past
    its size limit, or moto's own assignment raises (an ADD to a number written with an exponent,
    which DynamoType's addition cannot read). moto then does it, and fails as it does."""
    before = snapshot(update.item)
    try:
        size = _apply(update.item, update.steps)
    except Exception:
        undone(update, before)
        return None
    return Made(before, size)


def undone(update: Planned, before: Item) -> None:
    """The item put back as it was `before` the update."""
    dict.clear(update.item.attrs)
    dict.update(update.item.attrs, before.attrs)


def streamed(update: Planned, before: Item) -> None:
    """The update's stream record, as moto's UpdateItem writes it."""
    if update.table.stream_shard is not None:
        update.table.stream_shard.add(before, update.item)


def _existing(backend: DynamoDBBackend, table_name: str, key: dict[str, dict[str, Any]]) -> tuple[Table, Item] | None:
    """The table and the item at `key`, when `key` is exactly the table's key attributes and the item is there."""
    table = backend.tables.get(table_name)
    if table is None:
        return None
    attributes = [table.hash_key_attr] if table.range_key_attr is None else [table.hash_key_attr, table.range_key_attr]
    if not isinstance(key, dict) or sorted(key) != sorted(attributes):
        return None
    try:
        range_key = None if table.range_key_attr is None else DynamoType(key[table.range_key_attr])
        item: Item | None = table.get_item(DynamoType(key[table.hash_key_attr]), range_key)
    except Exception:
        return None
    return None if item is None else (table, item)


def _steps(expression: str, names: dict[str, Any], values: dict[str, Any], table: Table, item: Item) -> Steps | None:
    tree = UpdateExpressionParser.make(expression)
    key = validated_key(tree, names, values, table)
    if key is None:
        return None
    steps: Steps | None = _compiled.get(key, _UNCOMPILED)
    if steps is not _UNCOMPILED:
        return steps
    # moto's own validation, as its update_item runs it: on this key it reads nothing of the item.
    validated = UpdateExpressionValidator(
        tree, expression_attribute_names=names, expression_attribute_values=values, item=item, table=table
    ).validate()
    validated.normalize()
    compiled: list[_Step] = []
    compiled_steps: Steps | None = tuple(compiled) if _compile(validated, names, compiled) else None
    return _compiled.remember(key, compiled_steps)


def _compile(node: Any, names: dict[str, Any], steps: list[_Step]) -> bool:
    """`node`'s actions as steps, in the order moto's executor runs them; False if one is not plain."""
    if not isinstance(node, Node):
        return False
    action = next((cls for cls in executors.UpdateExpressionExecutor.execution_map if isinstance(node, cls)), None)
    if action is None:
        return all(_compile(child, names, steps) for child in node.children)
    kind = _KINDS.get(action)
    if kind is None:
        return False  # DELETE from a set
    path = node.children[0]
    if not isinstance(path, UpdateExpressionPath) or len(path.children) != 1:
        return False
    element = path.children[0]
    if type(element) is ExpressionAttribute:
        name = element.get_attribute_name()
    elif type(element) is ExpressionAttributeName:
        name = names[element.get_attribute_name_placeholder()]
    else:
        return False
    if kind == _REMOVE:
        steps.append(_Step(kind, name))
        return True
    typed = node.children[1]
    if type(typed) is not DDBTypedValue or type(typed.get_value()) is not DynamoType:
        return False
    value = typed.get_value()
    if kind == _ADD and value.type != "N":
        return False
    steps.append(_Step(kind, name, value))
    return True


def _addable(item: Item, step: _Step) -> bool:
    """An ADD's attribute is a number or absent, as moto's executor requires (else it raises)."""
    if step.kind != _ADD:
        return True
    current = item.attrs.get(step.name)
    return current is None or (type(current) is DynamoType and current.type == "N")


def _apply(item: Item, steps: Steps) -> int:
    """Make the steps' assignments, in their order, each refused as the item's LimitedSizeDict
    refuses it (ItemSizeTooLarge): where moto's check sums the sizes of the whole item at each
    assignment, the sum is kept up to date here, from one sum of the item as it was. That sum,
    of each attribute's name and value, is also what Item.size is: the item's size at the end."""
    attrs = item.attrs
    total = sum(value_size(name) + value_size(value) for name, value in attrs.items())
    for step in steps:
        if step.kind == _REMOVE:
            if step.name in attrs:
                total -= value_size(step.name) + value_size(attrs.pop(step.name))
            continue
        if step.kind == _SET:
            # Each item its own list, map or set, as each gets its own copy of the validated tree
            # from moto (a later write may change those in place); a scalar is never changed, and
            # is shared.
            value = step.value if immutable(step.value) else copy.deepcopy(step.value)
        else:
            assert step.value is not None
            value = attrs.get(step.name, _ZERO) + step.value
        # moto's check counts the value replaced as well as the new one.
        assigned = value_size(step.name) + value_size(value)
        if total + assigned > _MOST_SIZE:
            raise ItemSizeTooLarge
        if step.name in attrs:
            total -= value_size(step.name) + value_size(attrs[step.name])
        dict.__setitem__(attrs, step.name, value)
        total += assigned
    return total


# LimitedSizeDict's limit on the sizes of an item's keys and values.
_MOST_SIZE = 405_000
_ZERO = DynamoType({"N": "0"})
