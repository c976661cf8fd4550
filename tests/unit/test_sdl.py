"""The generated SDL: Genie's names, and every seed operation validating against it."""

from __future__ import annotations

import re

import pytest
from graphql import build_schema, parse, validate

from chalicelib.api.sdl import generate_sdl
from chalicelib.schema import load_schema, load_schema_file
from tests.conftest import CITIES_SCHEMA, DEFAULT_SCHEMA, SEEDS


def _graphql_operations(text: str) -> list[str]:
    blocks = re.findall(r"```graphql\n(.*?)```", text, re.S)
    return [b for b in blocks if b.lstrip().startswith(("mutation", "query", "{"))]


GENIE_OPERATIONS = _graphql_operations((SEEDS / "graphql-genie-mutations.md").read_text())


def test_the_seed_has_its_operations() -> None:
    assert len(GENIE_OPERATIONS) == 9


@pytest.mark.parametrize("operation", GENIE_OPERATIONS, ids=lambda op: op.split("(")[0].split()[-1])
def test_every_genie_operation_validates_against_the_cities_example(operation: str) -> None:
    schema = build_schema(generate_sdl(load_schema_file(CITIES_SCHEMA)))
    assert validate(schema, parse(operation)) == []


def test_genie_root_fields_and_inputs() -> None:
    schema = build_schema(generate_sdl(load_schema_file(CITIES_SCHEMA)))
    query, mutation = schema.query_type, schema.mutation_type
    assert query is not None
    assert mutation is not None
    assert {"city", "cities", "citiesConnection", "user", "users", "usersConnection", "node", "exportData"} <= set(
        query.fields
    )
    assert {
        "createCity",
        "updateCity",
        "upsertCity",
        "deleteCity",
        "updateManyCities",
        "deleteManyCities",
        "importData",
    } <= set(mutation.fields)
    for name in [
        "UserCreateManyWithoutAddressInput",
        "UserUpdateManyWithoutAddressInput",
        "UserUpdateWithWhereUniqueWithoutAddressInput",
        "UserUpsertWithWhereUniqueWithoutAddressInput",
        "CityCreateOneWithoutUserInput",
        "CityUpdateOneWithoutUserInput",
        "StringScalarListInput",
        "CityWhereInput",
        "CityOrderByInput",
    ]:
        assert name in schema.type_map, name
    assert set(schema.type_map["UserWhereUniqueInput"].fields) == {"id", "displayname", "email"}  # type: ignore[attr-defined]
    assert set(query.fields["users"].args) >= {"where", "orderBy", "first", "last", "skip", "before", "after", "email"}


def test_session_gets_no_generic_crud_and_passwords_are_not_readable() -> None:
    schema = build_schema(generate_sdl(load_schema_file(DEFAULT_SCHEMA)))
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    assert "sessions" not in schema.query_type.fields
    assert "createSession" not in schema.mutation_type.fields
    assert "password" not in schema.type_map["User"].fields  # type: ignore[attr-defined]
    assert "password" in schema.type_map["UserCreateInput"].fields  # type: ignore[attr-defined]
    assert "password" not in schema.type_map["UserMatchInput"].fields  # type: ignore[attr-defined]
    assert "createdAt" not in schema.type_map["UserCreateInput"].fields  # type: ignore[attr-defined]


def test_connection_directive_and_empty_inputs() -> None:
    registry = load_schema(
        """
        type Tag { id: ID! posts: [Post] @connection }
        type Post { id: ID! tags: [Tag] }
        """
    )
    schema = build_schema(generate_sdl(registry))
    posts = schema.type_map["Tag"].fields["posts"]  # type: ignore[attr-defined]
    assert str(posts.type) == "PostConnection!"
    assert "_" in schema.type_map["TagCreateWithoutPostsInput"].fields  # type: ignore[attr-defined]
