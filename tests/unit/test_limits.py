"""The depth and cost rules, and the document cache, on a small schema of their own."""

from __future__ import annotations

import time

import pytest
from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    TypeInfo,
    build_schema,
    get_introspection_query,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import ValidationContext

from chalicelib.api import documents as documents_module
from chalicelib.api.documents import Documents
from chalicelib.api.limits import DEFAULT_LIST_SIZE, cost_limit, depth_limit, query_cost

SCHEMA = build_schema(
    """
    interface Node { id: ID! }
    type City implements Node { id: ID! name: String neighborhoods: [String] users(first: Int, last: Int): [User] }
    type Role { key: String! name: String }
    type User implements Node { id: ID! name: String address: City roles: [Role!] }
    type CityEdge { node: City! cursor: String! }
    type CityAggregate { count: Int! }
    type CityConnection { edges: [CityEdge!]! aggregate: CityAggregate! }
    type Query {
      city: City
      node: Node
      cities(first: Int, last: Int): [City]!
      citiesConnection(first: Int, last: Int): CityConnection!
    }
    type Mutation { createCity(name: String): City }
    """
)


def _errors(query: str, *rules: type) -> list[str]:
    return [e.message for e in validate(SCHEMA, parse(query), [*specified_rules, *rules])]


def _cost(query: str) -> int:
    document = parse(query)
    context = ValidationContext(SCHEMA, document, TypeInfo(SCHEMA), lambda _error: None)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return query_cost(context, operation)


# Depth.


@pytest.mark.parametrize(
    ("query", "depth"),
    [
        ("{ city { name } }", 2),
        ("{ __typename }", 1),
        ("{ city { users { address { name } } } }", 4),
        ("{ node { ... on City { users { name } } } }", 3),
        ("{ city { ...F } } fragment F on City { users { ...G } } fragment G on User { address { id } }", 4),
        ('mutation { createCity(name: "x") { users { name } } }', 3),
    ],
)
def test_depth_counts_nested_fields_through_fragments(query: str, depth: int) -> None:
    assert _errors(query, depth_limit(depth)) == []
    assert _errors(query, depth_limit(depth - 1)) == [f"The operation is {depth} levels deep; the limit is {depth - 1}"]


def test_depth_names_the_operation_and_checks_each_one() -> None:
    query = "query Shallow { city { id } } query Deep { city { users { address { id } } } }"
    assert _errors(query, depth_limit(3)) == ["Operation 'Deep' is 4 levels deep; the limit is 3"]


def test_fragment_cycles_are_reported_by_graphql_not_looped_on() -> None:
    query = "{ city { ...A } } fragment A on City { users { ...B } } fragment B on User { address { ...A } }"
    errors = _errors(query, depth_limit(2), cost_limit(10))
    assert "Cannot spread fragment 'A' within itself via 'B'." in errors
    assert any("levels deep" in e for e in errors)


def test_fragments_spread_many_times_are_walked_once() -> None:
    # Each fragment spreads the next one twice, per field: without memoizing, 2**40 walks.
    fragments = "".join(f"fragment F{i} on City {{ a: users {{ address {{ ...F{i + 1} }} }} }}\n" for i in range(40))
    query = "{ city { ...F0 } }\n" + fragments + "fragment F40 on City { id }"
    started = time.monotonic()
    errors = _errors(query, depth_limit(12), cost_limit(1000))
    assert time.monotonic() - started < 5
    assert "The operation is 82 levels deep; the limit is 12" in errors
    assert any(e.startswith("The operation has an estimated cost of") for e in errors)


def test_introspection_is_left_to_its_own_switch() -> None:
    # GraphiQL's introspection query is deeper than any sane limit; production turns it off instead.
    assert _errors(get_introspection_query(), depth_limit(2), cost_limit(1)) == []


def test_the_same_limit_is_the_same_rule() -> None:
    # The validation cache keys on the rules in force: a rule per limit, made once.
    assert depth_limit(4) is depth_limit(4)
    assert depth_limit(4) is not depth_limit(5)
    assert cost_limit(50) is cost_limit(50)


# Cost.


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        ("{ city { name } }", 2),
        ("{ __typename }", 1),
        ("{ city { neighborhoods } }", 2),  # a list of scalars is one value
        ("{ cities { name } }", 1 + DEFAULT_LIST_SIZE),
        ("{ cities(first: 5) { name id } }", 1 + 5 * 2),
        ("{ cities(last: 3) { name } }", 1 + 3),
        ("{ cities(first: 10, last: 3) { name } }", 1 + 3),
        ("{ cities(first: 5) { name users(first: 2) { name } } }", 1 + 5 * (1 + 1 + 2)),
        ("{ cities(first: 5) { users { name } } }", 1 + 5 * (1 + DEFAULT_LIST_SIZE)),
        ("query ($n: Int) { cities(first: $n) { name } }", 1 + DEFAULT_LIST_SIZE),
        # A connection's page size bounds its edges; its aggregate is one record.
        ("{ citiesConnection(first: 10) { edges { node { name } } aggregate { count } } }", 1 + 1 + 10 * 2 + 2),
        ("{ citiesConnection { edges { cursor } } }", 1 + 1 + DEFAULT_LIST_SIZE),
        ("{ node { id ... on City { users(first: 4) { name } } } }", 1 + 1 + 1 + 4),
        ("{ cities(first: 2) { ...F } } fragment F on City { name users(first: 3) { name } }", 1 + 2 * (1 + 1 + 3)),
        ("{ city { ... { name } } }", 2),
        # A list of objects that pages nothing (a user's roles) is part of the record holding it.
        ("{ city { users { roles { key name } } } }", 1 + 1 + DEFAULT_LIST_SIZE * (1 + 2)),
        ("{ city { users(first: 2) { roles { key } } } }", 1 + 1 + 2 * (1 + 1)),
        ("{ __schema { types { name } } city { id } }", 2),
    ],
)
def test_cost_estimates(query: str, cost: int) -> None:
    assert _cost(query) == cost


def test_cost_over_the_limit_names_the_estimate_and_the_limit() -> None:
    assert _errors("{ cities(first: 10) { name } }", cost_limit(11)) == []
    assert _errors("{ cities(first: 10) { name } }", cost_limit(10)) == [
        "The operation has an estimated cost of 11; the limit is 10"
    ]


def test_cost_of_unknown_fields_and_fragments_is_left_to_the_spec_rules() -> None:
    errors = _errors("{ zzz { x } city { ...Missing } }", cost_limit(100), depth_limit(10))
    assert errors == ["Cannot query field 'zzz' on type 'Query'.", "Unknown fragment 'Missing'."]


# The document cache.


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []

    def counting(query: str) -> DocumentNode:
        parsed.append(query)
        return parse(query)

    monkeypatch.setattr(documents_module, "parse", counting)
    return parsed


def test_documents_parse_and_validate_each_query_once_per_rule_set(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _count_parses(monkeypatch)
    validated: list[object] = []

    def counting_validate(*args: object) -> list[GraphQLError]:
        validated.append(args)
        return validate(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(documents_module, "validate", counting_validate)
    documents = Documents(SCHEMA)
    rules = (*specified_rules, depth_limit(1))
    first = documents.parse(None, {"query": "{ city { id } }"})
    assert documents.parse(None, {"query": "{ city { id } }"}) is first
    assert parsed == ["{ city { id } }"]
    errors = documents.validate(SCHEMA, first, rules)
    again = documents.validate(SCHEMA, first, rules)
    assert (
        [e.message for e in again] == [e.message for e in errors] == ["The operation is 2 levels deep; the limit is 1"]
    )
    assert again is not errors  # a fresh list each time: Ariadne's callers may extend it
    assert len(validated) == 1
    assert documents.validate(SCHEMA, first, (*specified_rules, depth_limit(2))) == []
    assert len(validated) == 2


def test_documents_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _count_parses(monkeypatch)
    documents = Documents(SCHEMA, size=2)
    for query in ["{ a: city { id } }", "{ b: city { id } }", "{ c: city { id } }", "{ a: city { id } }"]:
        documents.parse(None, {"query": query})
    assert len(parsed) == 4  # the first was evicted by the third


def test_syntax_errors_are_raised_every_time() -> None:
    documents = Documents(SCHEMA)
    for _ in range(2):
        with pytest.raises(GraphQLError, match="Syntax Error"):
            documents.parse(None, {"query": "{ city { id "})
