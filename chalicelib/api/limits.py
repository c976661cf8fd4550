"""Validation rules that refuse operations too deep or too costly to run, before anything executes.

Both are plain graphql-core `ValidationRule` classes (as Ariadne's own rules are), made once per
limit by `depth_limit` / `cost_limit`: the same limit gives the same class, so the validation cache
(`chalicelib.api.documents`) can key results on the rules in force.

Both walk each operation themselves, through its fragments, memoizing each fragment (a document of
fragments spread many times over must not cost exponential time) and taking a fragment cycle as
empty (`NoFragmentCyclesRule` reports those). Introspection (`__schema`, `__type`) is left out, as
GraphQL Armor does: GraphiQL's own introspection query is about 13 levels deep, it reads no table,
and production turns introspection off altogether (`Settings.introspection`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_composite_type,
    is_list_type,
)
from graphql.language.visitor import SKIP, VisitorAction
from graphql.validation import ValidationContext, ValidationRule

# Fields that ask about the schema, not the data: governed by `Settings.introspection` instead.
INTROSPECTION = frozenset({"__schema", "__type"})
PAGE_ARGS = ("first", "last")
# The page size assumed for a list of records (or a connection) without a literal `first` / `last`.
DEFAULT_LIST_SIZE = 100


@cache
def depth_limit(limit: int) -> type[ValidationRule]:
    """The rule refusing operations whose fields nest deeper than `limit` (`{ a { b } }` is 2)."""

    class DepthLimit(_DepthRule):
        max_depth = limit

    return DepthLimit


@cache
def cost_limit(limit: int) -> type[ValidationRule]:
    """The rule refusing operations whose estimated cost (see `query_cost`) exceeds `limit`."""

    class CostLimit(_CostRule):
        max_cost = limit

    return CostLimit


def _operation_label(node: OperationDefinitionNode) -> str:
    return f"Operation '{node.name.value}'" if node.name else "The operation"


class _DepthRule(ValidationRule):
    max_depth: int

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.fragments: dict[str, int] = {}
        self.visiting: set[str] = set()

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> VisitorAction:
        depth = self.depth(node.selection_set)
        if depth > self.max_depth:
            message = f"{_operation_label(node)} is {depth} levels deep; the limit is {self.max_depth}"
            self.report_error(GraphQLError(message, node))
        return SKIP  # this rule has seen the whole operation already

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        deepest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.name.value in INTROSPECTION:
                    continue
                deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self.fragment_depth(selection.name.value))
        return deepest

    def fragment_depth(self, name: str) -> int:
        if name not in self.fragments:
            fragment = self.context.get_fragment(name)
            if fragment is None or name in self.visiting:
                return 0  # unknown, or a cycle: other rules report both
            self.visiting.add(name)
            self.fragments[name] = self.depth(fragment.selection_set)
            self.visiting.discard(name)
        return self.fragments[name]


class _CostRule(ValidationRule):
    max_cost: int

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> VisitorAction:
        cost = query_cost(self.context, node)
        if cost > self.max_cost:
            message = f"{_operation_label(node)} has an estimated cost of {cost}; the limit is {self.max_cost}"
            self.report_error(GraphQLError(message, node))
        return SKIP


def query_cost(context: ValidationContext, operation: OperationDefinitionNode) -> int:
    """An upper estimate of the work of an operation.

    Every field selection costs 1. The selections under a list of records are counted once per
    record it may hold: its literal `first` / `last` (the smaller of the two), else
    `DEFAULT_LIST_SIZE`; a variable page size counts as none, since a document is validated once
    whatever its variables. A list of records is a list field that takes `first` / `last`: other
    lists of objects are parts of what holds them, not reads of their own (a user's `roles`, an
    action's `errors`), and count once, except a connection's: the page size of a connection (a
    field taking `first` / `last` that is not itself a list) bounds the lists inside it (`edges`):
    `citiesConnection(first: 10) { edges { node { name } } }` costs 1 + 1 + 10 * 2.
    """
    return _Cost(context).operation(operation)


class _Cost:
    def __init__(self, context: ValidationContext) -> None:
        self.context = context
        self.fragments: dict[tuple[str, int | None], int] = {}
        self.visiting: set[str] = set()

    def operation(self, node: OperationDefinitionNode) -> int:
        return self.selections(node.selection_set, self.context.schema.get_root_type(node.operation), None)

    def selections(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, page: int | None
    ) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.context.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, target, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, page)
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, page: int | None) -> int:
        name = node.name.value
        if name in INTROSPECTION:
            return 0
        fields = parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        definition = fields.get(name)
        if definition is None or node.selection_set is None:
            return 1  # a leaf (or an unknown field, which FieldsOnCorrectTypeRule reports)
        named = get_named_type(definition.type)
        pages = any(argument in definition.args for argument in PAGE_ARGS)
        own = _page_size(node)
        size = own if own is not None else DEFAULT_LIST_SIZE if pages else None
        if is_list_type(get_nullable_type(definition.type)) and is_composite_type(named):
            times = size if size is not None else page if page is not None else 1
            return 1 + times * self.selections(node.selection_set, named, None)
        return 1 + self.selections(node.selection_set, named, size)

    def fragment(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key not in self.fragments:
            fragment = self.context.get_fragment(name)
            if fragment is None or name in self.visiting:
                return 0  # unknown, or a cycle: other rules report both
            self.visiting.add(name)
            target = self.context.schema.get_type(fragment.type_condition.name.value)
            self.fragments[key] = self.selections(fragment.selection_set, target, page)
            self.visiting.discard(name)
        return self.fragments[key]


def _page_size(node: FieldNode) -> int | None:
    """The smallest literal `first` / `last` of a field (paging applies both), None without one."""
    sizes = [
        max(int(argument.value.value), 0)
        for argument in node.arguments or ()
        if argument.name.value in PAGE_ARGS and isinstance(argument.value, IntValueNode)
    ]
    return min(sizes) if sizes else None


def request_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> int:
    """The estimated cost (see `query_cost`) of the operation a request selects in `document`;
    0 when it selects none, which validation refuses anyway."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    context = ValidationContext(schema, document, TypeInfo(schema), lambda _error: None)
    return query_cost(context, operation)
