"""moto's DynamoDB expressions, parsed and checked once per expression rather than once per item.

moto parses each ConditionExpression of a TransactWriteItems three times an item and each
UpdateExpression twice (the handler checks the request, the backend parses again to apply it),
then validates each update on a deep copy of its syntax tree in ten depth-first passes. The items
of one bulk write all share their expressions, yet each paid about 3 ms for this. Here moto's own
parser and validators still do all of the work; a result is reused only where it cannot differ:

- An UpdateExpression is parsed once per expression string: moto's parser reads the string alone,
  and nothing changes the tree it returns (the handlers search it; the Validator works on a copy).
  So the handlers' search of that tree for its clauses of some kind is made once too.
- The Validator copies that tree with `_copy_tree`, which makes what `copy.deepcopy` makes of a
  tree of moto's nodes (a new node each, parents pointing at the copies, the strings and numbers
  of the leaves shared) without its general machinery; anything else is deep-copied as before.
- The checks of an update that read only the expression, its attribute names and the table's key
  attributes (one clause of each kind, no overlapping paths, no key attribute set) pass once for
  each such combination: they return every node as it was, so skipping them once passed changes
  nothing. The passes that read the values or the item run for every item.
- moto's depth-first traversal finds the handler of a node class once per set of handled classes,
  rather than by `isinstance` against abstract classes at every node: the same nodes are visited
  in the same order, and given to the same handlers.
- An update whose result cannot depend on the item (each path it writes is one attribute name, and
  no value is read from the item: no function, no path on the right of `=`) is validated once per
  expression, names, values and table: moto's passes are a function of those alone there. Each
  item then gets its own copy of that validated tree (its own values, which moto stores in the
  item as they are), and moto normalizes and executes it on the item as always.
- A ConditionExpression is parsed once per expression and attribute names: the values are only in
  the value nodes of the tree moto's parser builds, so each use puts its own values there and has
  moto build the condition from that tree; a condition whose values are all strings or numbers is
  built once for those values (nothing changes it, or its operands, after it is built).

A parse or check that fails is never remembered: it runs, and fails, every time. What is kept is
bounded (`MOST` expressions of each kind). The patch relies on moto's code as it is in the pinned
version: `PINNED` names what moto_patch checks before applying it.
"""

from __future__ import annotations

import copy
import inspect
import json
import threading
from collections.abc import Hashable, Mapping
from typing import Any, NamedTuple

import moto.dynamodb.parsing.validators as validators
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
    DepthFirstTraverser,
    ExpressionAttribute,
    ExpressionAttributeName,
    ExpressionAttributeValue,
    Node,
    UpdateExpressionAddAction,
    UpdateExpressionDeleteAction,
    UpdateExpressionFunction,
    UpdateExpressionPath,
    UpdateExpressionRemoveAction,
    UpdateExpressionSetAction,
)
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.parsing.validators import (
    ActionCountValidator,
    OverlappingPathsValidator,
    UpdateExpressionValidator,
    UpdateHashRangeKeyValidator,
    Validator,
)
from moto.dynamodb.responses import DynamoHandler

from tooling.local.replaced import Places, Replaced

# Expressions (and combinations passed) remembered of each kind; the oldest is forgotten first.
MOST = 1024

_make = UpdateExpressionParser.make.__func__
_find_clauses = Node.find_clauses
_parse = ConditionExpressionParser.parse
_traverse = DepthFirstTraverser.traverse
_validate = Validator.validate

# What the patch relies on, with the SHA-256 of its source in the pinned moto.
PINNED: tuple[tuple[Any, str], ...] = (
    # The update parser; the code that uses its tree (reads it, or validates a copy).
    (_make, "2c00ed96d6e191f243b449166e75bfb38f307b2e19405bc0981847061e0dbee3"),
    (DynamoHandler.update_item, "638893af1afd43d274f3788d61ac13b447729de915c6f5ad3bbf008b92dd8e80"),
    (DynamoDBBackend.update_item, "218984588dd689a5de81678ce11e6a40d05c91e7b6c21b44c4ed4122fe74aa9f"),
    (Validator, "550a62418ff7b2242ad2fc622e9ae0ecf318e74895eacf6e647bb9a1909aacc0"),
    (UpdateExpressionValidator, "331b3222d0267489d70885ff11b4dabeec8e2c68deafe44c673c8a3f15e8abd2"),
    # The checks run once per expression, names and table keys.
    (ActionCountValidator, "3fe995f04a9c4a2d1edcdef932cbdcb8781c9229148d2475c63d8ede6e17f528"),
    (OverlappingPathsValidator, "27f48a77a1762303e8de34cb7b9b58020e972805e470c03dfd500fb5b4b8f20f"),
    (UpdateHashRangeKeyValidator, "18ca06e4b0d82e64d0999d03d079dd08e71e7832914f2f0d374e18d26ff1518d"),
    # The traversal, and the node a tree is made of.
    (DepthFirstTraverser, "ec3e3b9cd5fdd87f65cd0a2ac3627ffa7f8200d0c72f0e3f8b44eabadb3a3df5"),
    (Node.__init__, "73e3e0773294a2bfd242df71304525d49da5ef540d03b9b82455a292a125cd7d"),
    (_find_clauses, "b77be7ac447d7617ea68e818e2bceb652a8a14257001715c64b36b3244a04c55"),
    # Every pass of the validation, which `validated_key` relies on being the item's only readers.
    (validators, "345c1740c0c674a72a5ed56f5ea01ba385ccb69a1bf21f8c134b389d9b41a3e3"),
    # The condition parser, whose steps `_condition_tree` takes.
    (ConditionExpressionParser, "ba0de03156fea746536d0ec3986b7509749b4145d2919c7db2b128c2f4eabdd7"),
)


class Remembered(dict[Hashable, Any]):
    """At most MOST entries, the oldest forgotten first."""

    _lock = threading.Lock()

    def remember(self, key: Hashable, value: Any) -> Any:
        with self._lock:
            while len(self) >= MOST:
                del self[next(iter(self))]
            self[key] = value
        return value


_updates = Remembered()
# The update trees the parser handed out, by id, and the clauses found in them, by tree and types.
_shared = Remembered()
_clauses = Remembered()
_conditions = Remembered()
_built = Remembered()
_passed = Remembered()
_validated = Remembered()
# For each update tree, the value placeholders it reads, or None if its result may depend on the item.
_independent = Remembered()
# For each tuple of classes a traverser handles, which handler each node class gets.
_choices: dict[tuple[type, ...], dict[type, int]] = {}
_VALIDATOR = inspect.signature(Validator.__init__)
_ACTIONS = (
    UpdateExpressionSetAction,
    UpdateExpressionAddAction,
    UpdateExpressionRemoveAction,
    UpdateExpressionDeleteAction,
)
_INDEPENDENT_CHECKS = (ActionCountValidator, OverlappingPathsValidator, UpdateHashRangeKeyValidator)
_NOT_A_NODE = -2
_UNHANDLED = -1


def _replaced() -> Places:
    """What is replaced: where, and by what in the patch and in moto."""
    return (
        (UpdateExpressionParser, "make", classmethod(_make_once), classmethod(_make)),
        (Node, "find_clauses", _find_clauses_once, _find_clauses),
        (validators, "deepcopy", _deepcopy, copy.deepcopy),
        (UpdateExpressionValidator, "__init__", _validator_init, Validator.__init__),
        (UpdateExpressionValidator, "validate", _validate_once, _validate),
        (DepthFirstTraverser, "traverse", _traverse_fast, _traverse),
        (ConditionExpressionParser, "parse", _parse_once, _parse),
    )


_REPLACED = Replaced(_replaced)
install = _REPLACED.install
moto_s_own = _REPLACED.moto_s_own


# UpdateExpression: parsed once per string.


def _make_once(cls: type[UpdateExpressionParser], expression_str: Any) -> Any:
    if not isinstance(expression_str, str):
        return _make(cls, expression_str)
    tree = _updates.get(expression_str)
    if tree is None:
        tree = _updates.remember(expression_str, _make(cls, expression_str))
        _shared.remember(id(tree), tree)
    return tree


def _find_clauses_once(node: Node, clause_types: Any) -> list[Any]:
    """The clauses of these types in a tree the parser handed out (which nothing changes), searched
    for once; in any other tree, searched for as moto does. A list of its own each time."""
    if _shared.get(id(node)) is not node:
        return _find_clauses(node, clause_types)
    try:
        key: Hashable = (id(node), tuple(clause_types))
    except TypeError:
        return _find_clauses(node, clause_types)
    found = _clauses.get(key)
    if found is None or found[0] is not node:
        found = _clauses.remember(key, (node, _find_clauses(node, clause_types)))
    return list(found[1])


def _deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """`copy.deepcopy`, faster for a tree of moto's nodes."""
    if memo is None and isinstance(value, Node) and value.parent is None:
        copied = _copy_tree(value, None, {})
        if copied is not None:
            return copied
    return copy.deepcopy(value, memo)


_ATOMS = frozenset({str, int, bool, type(None)})
_node_classes: dict[type, bool] = {}
_NODE_ATTRIBUTES = {"type", "children", "parent"}


def _copy_tree(node: Any, parent: Any, memo: dict[int, Any]) -> Any:
    """A copy of `node` and the nodes under it under `parent`, as `copy.deepcopy` of the root makes
    it (`memo`: what is copied already, by id); None where the tree is not one this copy is sure to
    make the same of (a node twice, a parent that is not the node holding it, an attribute or a leaf
    of another kind). A validated tree's values (DynamoType) are deep-copied as by `copy.deepcopy`."""
    state = vars(node)
    if id(node) in memo or state.keys() != _NODE_ATTRIBUTES:
        return None
    kind: Any = type(node)
    copied = memo[id(node)] = kind.__new__(kind)
    children = state["children"]
    if children is not None:
        if type(children) is not list:
            return None
        new_children = []
        for child in children:
            if type(child) is DynamoType:
                child = copy.deepcopy(child, memo)
            elif type(child) not in _ATOMS:
                if not _is_node(type(child)) or child.parent is not node:
                    return None
                child = _copy_tree(child, copied, memo)
                if child is None:
                    return None
            new_children.append(child)
        children = new_children
    copied.__dict__ = {**state, "children": children, "parent": parent}
    return copied


def _is_node(kind: type) -> bool:
    known = _node_classes.get(kind)
    if known is None:
        known = _node_classes[kind] = issubclass(kind, Node)
    return known


def _validator_init(validator: UpdateExpressionValidator, expression: Any, *args: Any, **kwargs: Any) -> None:
    arguments = _VALIDATOR.bind(validator, expression, *args, **kwargs).arguments
    key = validated_key(
        expression,
        arguments["expression_attribute_names"],
        arguments["expression_attribute_values"],
        arguments["table"],
    )
    validated = None if key is None else _validated.get(key)
    if validated is not None:
        # What moto's own __init__ keeps, but its copy of the tree and its passes, not needed here.
        for name in ("expression_attribute_names", "expression_attribute_values", "item", "table"):
            setattr(validator, name, arguments[name])
        validator.validated = _copy_tree(validated, None, {})  # type: ignore[attr-defined]
        return
    Validator.__init__(validator, expression, *args, **kwargs)
    validator.source_tree = expression  # type: ignore[attr-defined]
    validator.validated_key = key  # type: ignore[attr-defined]


def _validate_once(validator: UpdateExpressionValidator) -> Any:
    """moto's validation, less the checks of the expression, its names and the table's keys once
    they have passed for that combination; of an update that reads nothing of the item, a copy of
    its validated tree once one validation for its expression, names, values and table passed."""
    validated = vars(validator).get("validated")
    if validated is not None:
        return validated
    node = _validate_passes(validator)
    key = vars(validator).get("validated_key")
    if key is not None:
        copied = _copy_tree(node, None, {})
        if copied is not None:
            _validated.remember(key, copied)
    return node


def validated_key(expression: Any, names: Any, values: Any, table: Any) -> Hashable | None:
    """What the validated tree of an update that reads nothing of the item is a function of; None
    for any other update (or names and values moto's checks must judge)."""
    try:
        placeholders = _independent.get(expression, False)
        if placeholders is False:
            placeholders = _independent.remember(expression, _value_placeholders(expression))
        if placeholders is None or not isinstance(values or {}, dict):
            return None
        used = tuple((name, _value_key(values[name])) for name in placeholders)
        attributes = tuple((d["AttributeName"], d["AttributeType"]) for d in table.attr)
        return (expression, _names(names), used, tuple(table.table_key_attrs), attributes, tuple(table.attribute_keys))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _value_key(value: Any) -> Hashable:
    """A value as a key: a scalar given as a string as its pair (`_scalar_key`), cheaper than its
    JSON, and which no JSON text equals; anything else as its JSON."""
    scalar = _scalar_key(value)
    return json.dumps(value, sort_keys=True) if scalar is None else scalar


def _scalar_key(value: Any) -> tuple[str, str] | None:
    """A scalar given as a string (`{"S": "x"}`, `{"N": "1"}`) as the pair of its type and string;
    None for any other value."""
    if type(value) is dict and len(value) == 1:
        ((kind, scalar),) = value.items()
        if type(scalar) is str:
            return (kind, scalar)
    return None


def _value_placeholders(tree: Any) -> tuple[str, ...] | None:
    """The value placeholders of an update tree whose validation reads nothing of the item: each
    path is one attribute name, written (the first child of its action), and no function reads
    one; else None."""
    found: list[str] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, UpdateExpressionFunction):
            return None
        if isinstance(node, UpdateExpressionPath):
            parent = node.parent
            if not isinstance(parent, _ACTIONS) or parent.children[0] is not node:
                return None
            if len(node.children) != 1 or not isinstance(
                node.children[0], ExpressionAttributeName | ExpressionAttribute
            ):
                return None
        if isinstance(node, ExpressionAttributeValue):
            found.append(node.get_value_name())
        if isinstance(node, Node) and node.children:
            pending.extend(node.children)
    return tuple(sorted(set(found)))


def _validate_passes(validator: UpdateExpressionValidator) -> Any:
    try:
        key: Hashable = (
            validator.source_tree,  # type: ignore[attr-defined]
            _names(validator.expression_attribute_names),
            tuple(validator.table.table_key_attrs),
        )
        passed = key in _passed
    except TypeError:  # a name that is not a string: moto's checks say what is wrong
        return _validate(validator)
    node = validator.node_to_validate
    for processor in validator.processors:
        if passed and type(processor) in _INDEPENDENT_CHECKS:
            continue
        node = processor.traverse(node)
    if not passed:
        _passed.remember(key, True)
    return node


def _names(names: Mapping[str, Any] | None) -> Hashable:
    return None if names is None else frozenset(names.items())


# The depth-first traversal every pass of the validation makes.


def _traverse_fast(traverser: DepthFirstTraverser, root: Any) -> Any:
    cls = type(traverser)
    if (
        cls.traverse_node_recursively is not DepthFirstTraverser.traverse_node_recursively
        or cls.process is not DepthFirstTraverser.process
        or cls.nodes_to_be_processed is not DepthFirstTraverser.nodes_to_be_processed
    ):
        return _traverse(traverser, root)
    handlers = traverser._processing_map()
    classes = tuple(handlers)
    functions = tuple(handlers.values())
    choices = _choices.setdefault(classes, {})
    before_child = traverser.pre_processing_of_child

    def visit(node: Any, child_id: int) -> Any:
        # As DepthFirstTraverser.traverse_node_recursively: the children first, then the node itself.
        kind = type(node)
        choice = choices.get(kind)
        if choice is None:
            choice = choices[kind] = _choice(kind, classes)
        if choice == _NOT_A_NODE:
            return node
        parent = node.parent
        if node.children is not None:
            for index, child in enumerate(node.children):
                before_child(node, index)
                visit(child, index)
        if choice != _UNHANDLED:
            node = functions[choice](node)
            node.parent = parent
            if parent:
                parent.children[child_id] = node
        return node

    return visit(root, -1)


def _choice(kind: type, classes: tuple[type, ...]) -> int:
    """The handler `DepthFirstTraverser.process` gives a node of class `kind`: the first class of the
    map it is an instance of (moto's nodes register no virtual subclasses)."""
    if not issubclass(kind, Node):
        return _NOT_A_NODE
    return next((index for index, cls in enumerate(classes) if issubclass(kind, cls)), _UNHANDLED)


# ConditionExpression: parsed once per expression and names, the values put in for each use.

_VALUE = ConditionExpressionParser.Kind.EXPRESSION_ATTRIBUTE_VALUE


class _Condition(NamedTuple):
    tree: Any
    names_found: list[str]
    values_found: list[str]


def _parse_once(parser: ConditionExpressionParser) -> Any:
    if not parser.condition_expression:
        return _parse(parser)
    try:
        key: Hashable = (parser.condition_expression, _names(parser.expression_attribute_names))
        condition = _conditions.get(key)
    except TypeError:
        return _parse(parser)
    if condition is None:
        condition = _conditions.remember(key, _condition_tree(parser))
    tree = condition.tree
    values = parser.expression_attribute_values
    if condition.values_found:
        try:
            tree = _with_values(tree, values)
        except (KeyError, TypeError):  # a value the request does not give: moto's own error
            return _parse(parser)
    parser.expr_attr_names_found.extend(condition.names_found)
    parser.expr_attr_values_found.extend(condition.values_found)
    # moto's condition is built anew from the tree at each use, although its operands only hold
    # what the tree does and evaluating it changes nothing: one built on scalar values (held as
    # strings, never changed in place) serves every use with those values.
    # Any other value (a list, a map, or a binary one, which a request gives as bytes) is not
    # keyed: it may have no JSON form, and its condition is built for this use alone.
    used = tuple(_scalar_key((values or {})[name]) for name in condition.values_found)
    if None in used:
        return parser._make_op_condition(tree)
    built = _built.get((key, used))
    if built is None:
        built = _built.remember((key, used), parser._make_op_condition(tree))
    return built


def _condition_tree(parser: ConditionExpressionParser) -> _Condition:
    """ConditionExpressionParser.parse up to building the condition from its tree."""
    nodes = parser._lex_condition_expression()
    nodes = parser._parse_paths(nodes)
    nodes = parser._apply_functions(nodes)
    nodes = parser._apply_comparator(nodes)
    nodes = parser._apply_in(nodes)
    nodes = parser._apply_between(nodes)
    nodes = parser._apply_parens_and_booleans(nodes)
    node = nodes[0]
    parser._assert_no_redundant_parentheses(node)
    return _Condition(node, parser._find_literals(node), parser._find_expr_attr_values(node))


def _with_values(node: Any, values: Any) -> Any:
    """The tree with each value node holding the value of its placeholder in `values`."""
    if node.kind == _VALUE:
        return node._replace(value=values[node.text])
    if not node.children:
        return node
    return node._replace(children=[_with_values(child, values) for child in node.children])
