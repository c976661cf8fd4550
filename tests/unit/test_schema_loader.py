"""The schema loader: what a valid schema becomes, and every rule a bad one breaks."""

from __future__ import annotations

import pytest

from chalicelib.schema import FieldKind, SchemaError, load_schema, load_schema_file
from tests.conftest import CITIES_SCHEMA, DEFAULT_SCHEMA


def test_cities_schema_pairs_the_relation_both_ways() -> None:
    registry = load_schema_file(CITIES_SCHEMA)
    city, user = registry.model("City"), registry.model("User")
    assert city.plural == "Cities"
    assert city.fields["user"].relation is not None
    assert city.fields["user"].relation.inverse == "address"
    assert user.fields["address"].relation is not None
    assert user.fields["address"].relation.inverse == "user"
    assert city.fields["neighborhoods"].is_list
    assert [f.name for f in user.unique_fields()] == ["id", "displayname", "email"]


def test_default_schema_models_and_session_is_not_crud() -> None:
    registry = load_schema_file(DEFAULT_SCHEMA)
    assert set(registry.models) == {"User", "Session", "ShopifyShop"}
    assert [m.name for m in registry.crud_models()] == ["User", "ShopifyShop"]
    user = registry.model("User")
    assert user.fields["roles"].kind is FieldKind.ROLE
    assert user.fields["roles"].default == ["signed-in"]
    assert not user.fields["password"].readable


def test_only_model_types_are_models_once_one_is_marked() -> None:
    registry = load_schema(
        """
        type A @model { id: ID! }
        type Helper { id: ID! }
        """
    )
    assert set(registry.models) == {"A"}


def test_defaults_are_coerced_from_genie_strings() -> None:
    registry = load_schema(
        """
        enum Color { RED BLUE }
        type A {
          id: ID!
          count: Int @default(value: "0")
          ratio: Float @default(value: 1.5)
          on: Boolean @default(value: "true")
          name: String @default(value: "0")
          color: Color @default(value: "RED")
          tags: [String] @default(value: "[\\"a\\"]")
        }
        """
    )
    fields = registry.model("A").fields
    assert fields["count"].default == 0
    assert fields["ratio"].default == 1.5
    assert fields["on"].default is True
    assert fields["name"].default == "0"
    assert fields["color"].default == "RED"
    assert fields["tags"].default == ["a"]


def test_symmetric_self_relation() -> None:
    registry = load_schema("type User { id: ID! friends: [User] }")
    relation = registry.model("User").fields["friends"].relation
    assert relation is not None
    assert relation.inverse == "friends"


def test_named_relations_pair_by_name() -> None:
    registry = load_schema(
        """
        type User { id: ID! written: [Post] @relation(name: "author") liked: [Post] @relation(name: "likes") }
        type Post { id: ID! author: User @relation(name: "author") likers: [User] @relation(name: "likes") }
        """
    )
    fields = registry.model("User").fields
    assert fields["written"].relation is not None
    assert fields["written"].relation.inverse == "author"
    assert fields["liked"].relation is not None
    assert fields["liked"].relation.inverse == "likers"


def test_one_way_relation_has_no_inverse() -> None:
    registry = load_schema("type A { id: ID! b: B } type B { id: ID! }")
    relation = registry.model("A").fields["b"].relation
    assert relation is not None
    assert relation.inverse is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("type A { id: ID! name: String", "line 1"),
        ("type A { name: String }", "A.id: every model needs an `id: ID!` field"),
        ("type A { id: String! }", "A.id: every model needs an `id: ID!` field"),
        ("type A { id: ID! b: Nope }", "A.b: unknown type Nope"),
        ("type A { id: ID! tags: [String] @unique }", "A.tags: @unique applies to single scalar fields"),
        ("type A { id: ID! b: B @unique } type B { id: ID! }", "A.b: @unique applies to single scalar fields"),
        ("type A { id: ID! tags: [String] @index }", "A.tags: @index applies to single scalar fields"),
        ("type A { id: ID! p: Password @unique }", "A.p: @unique cannot apply to a Password field"),
        ('type A { id: ID! name: String @relation(name: "x") }', "A.name: @relation applies to fields whose type"),
        ("type A { id: ID! name: String @connection }", "A.name: @connection applies to list relation fields"),
        ("type A { id: ID! at: String @createdTimestamp }", "A.at: @createdTimestamp applies to DateTime"),
        (
            "type A { id: ID! at: DateTime @createdTimestamp @updatedTimestamp }",
            "A.at: a field is either @createdTimestamp or @updatedTimestamp",
        ),
        ('type A { id: ID! n: Int @default(value: "x") }', "A.n: @default value 'x' is not a valid Int"),
        ("type A { id: ID! n: Int @default(value: 1.5) }", "A.n: @default value 1.5 is not a valid Int"),
        ('type A { id: ID! b: B @default(value: "x") } type B { id: ID! }', "A.b: @default cannot apply"),
        ("type A { id: ID! n: Int @frobnicate }", "A.n: unknown directive @frobnicate"),
        ("type A @unique { id: ID! }", "type A: unknown or misplaced directive @unique"),
        ("type A { id: ID! m: [[String]] }", "A.m: lists of lists are not supported"),
        ("type A { id: ID! f: [File] }", "A.f: a File field holds one file"),
        ("type A { id: ID! f: File @unique }", "A.f: @unique cannot apply to a File field"),
        ('type A { id: ID! f: File @default(value: "x") }', "A.f: @default cannot apply to a relation"),
        ("type File { id: ID! } type A { id: ID! }", "type File: File is the built-in file field type"),
        ("type A { id: ID! @index }", "A.id: the id is managed by the server"),
        ("type A { id: ID! n: Int @unique @index }", "A.n: @unique already indexes the field"),
        (
            'type A { id: ID! x: String @storeName(value: "y") y: String }',
            "A.y: @storeName 'y' is already used by A.x",
        ),
        ('type A { id: ID! x: String @storeName(value: "_x") }', "A.x: @storeName must be a non-empty name"),
        ("scalar Money type A { id: ID! }", "scalar Money: unknown scalar"),
        ("type Query { a: Int }", "type Query: root types are generated"),
        ("input I { id: ID! } type A { id: ID! }", "I: InputObjectTypeDefinition is not supported"),
        ("interface I { id: ID! } type A { id: ID! }", "interface I: no model implements it"),
        ("interface I { id: ID! n: Int } type A implements I { id: ID! }", "A.n: A implements I, so it needs I.n"),
        (
            "interface I { id: ID! n: Int! } type A implements I { id: ID! n: Int }",
            "A.n: its type must fit I.n's",
        ),
        ("interface I { id: ID! n: Int } type A implements I { id: ID! n: String }", "A.n: its type must fit"),
        ("union U = A | H type A @model { id: ID! u: [U] } type H { id: ID! }", "union U: member H is not a model"),
        ("interface I { id: ID! n: Int @unique } type A implements I { id: ID! n: Int }", "I.n: interface fields"),
        ('type A { id: ID! x: [X] @relation(name: "r") } union X = A', "A.x: @relation cannot pair"),
        ("type A implements U { id: ID! } union U = A", "type A: implements U, which is not an interface"),
        ("type A @model { id: ID! h: Helper } type Helper { id: ID! }", "A.h: type Helper is not a model"),
        ("type A { id: ID! roles: Role }", "A.roles: Role fields are lists of roles"),
        (
            "type A { id: ID! b1: B b2: B } type B { id: ID! a: A }",
            "ambiguous relation",
        ),
        (
            "type A { id: ID! b: B } type B { id: ID! a1: A a2: A }",
            "A.b: ambiguous relation: it could pair with B.a1, B.a2",
        ),
        ("type User { id: ID! a: User b: User }", "User.a: ambiguous relation"),
        (
            'type A { id: ID! x: B @relation(name: "r") y: B @relation(name: "r") } '
            'type B { id: ID! a: A @relation(name: "r") }',
            "is used by more than two fields",
        ),
        ("type A { id: ID! } type AConnection { id: ID! }", "type AConnection: the name is generated for model A"),
        ("type Sheep { id: ID! }", "type Sheep: its root field sheep collides with its own"),
        ("type Box { id: ID! } type Boxe { id: ID! }", "type Boxe: its root field boxes collides with type Box's"),
        ('enum E { X } type A { id: ID! e: E @default(value: "Y") }', "A.e: @default value 'Y' is not a valid E"),
        ("type A { id: ID! n: Int @default }", "A.n: line 1, column 25: Argument '@default(value:)'"),
        ("type User { id: ID! } type Session { id: ID! }", "Session.user: the session API needs this field"),
        ('type A @access(read: ["owner"]) { id: ID! }', "type A: @access grants read to owner but names no `owner`"),
        ('type A @access(read: ["owner"], owner: "x") { id: ID! x: String }', "must name a to-one relation to User"),
        ('type User @access(bulk: ["owner"], owner: "id") { id: ID! }', "cannot grant bulk to owner"),
    ],
)
def test_bad_schema_names_type_field_and_rule(source: str, message: str) -> None:
    with pytest.raises(SchemaError) as raised:
        load_schema(source, origin="bad.graphql")
    assert str(raised.value).startswith("bad.graphql: ")
    assert message in str(raised.value)


def test_missing_file_is_a_schema_error(tmp_path: object) -> None:
    with pytest.raises(SchemaError, match="cannot read schema"):
        load_schema_file("/nonexistent/schema.graphql")
