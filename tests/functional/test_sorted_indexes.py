"""Type-level `@index(fields: [...], sortBy: "...")`: declared and checked at start, kept right by
every write, and read by the planner a page at a time (store/sorted_keys.py, query/reader.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.schema.loader import SchemaError, load_schema
from chalicelib.store import sorted_keys
from tests.conftest import Api

SCHEMA = """
enum Status { DRAFT LIVE }

type User @model {
  id: ID!
  name: String
  email: String @unique
  posts: [Post]
}

type Post @model
  @index(sortBy: "createdAt")
  @index(fields: ["author"], sortBy: "createdAt")
  @index(fields: ["status", "author"], sortBy: "score")
{
  id: ID!
  title: String
  createdAt: DateTime @createdTimestamp(allowManual: true)
  score: Float
  status: Status
  author: User
}
"""

CREATE_USER = "mutation ($data: UserCreateInput!) { createUser(input: {data: $data}) { data { id } } }"
CREATE_POST = "mutation ($data: PostCreateInput!) { createPost(input: {data: $data}) { data { id } } }"
UPDATE_POST = """
mutation ($id: ID!, $data: PostUpdateInput!) { updatePost(input: {where: {id: $id}, data: $data}) { data { id } } }
"""
UPDATE_USER = """
mutation ($id: ID!, $data: UserUpdateInput!) { updateUser(input: {where: {id: $id}, data: $data}) { data { id } } }
"""


@pytest.fixture
def blog(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    schema = tmp_path / "blog.graphql"
    schema.write_text(SCHEMA)
    return make_api(schema)


def new_user(api: Api, name: str) -> str:
    user_id: str = api.data(CREATE_USER, {"data": {"name": name}})["createUser"]["data"]["id"]
    return user_id


def new_post(api: Api, title: str, author: str | None = None, **data: Any) -> str:
    if author is not None:
        data["author"] = {"connect": {"id": author}}
    post_id: str = api.data(CREATE_POST, {"data": {"title": title, **data}})["createPost"]["data"]["id"]
    return post_id


def item(api: Api, post_id: str) -> dict[str, Any]:
    cls = api.service.tables.model_class("Post")
    found: dict[str, Any] = cls.get(post_id, consistent_read=True).serialize()
    return found


def keys(api: Api, post_id: str) -> dict[str, str | None]:
    """The stored keys of each ordered index of the post, by index name."""
    model = api.service.registry.model("Post")
    stored = item(api, post_id)
    found: dict[str, str | None] = {}
    for index in model.sorted_indexes:
        name = sorted_keys.index_name(model, index)
        for part, attribute in (("hash", sorted_keys.hash_attribute), ("range", sorted_keys.range_attribute)):
            value = stored.get(attribute(model, index))
            found[f"{name}/{part}"] = None if value is None else value["S"]
    return found


# Declarations.


@pytest.mark.parametrize(
    ("directive", "rule"),
    [
        ("@index", "needs `sortBy`"),
        ('@index(sortBy: "nothing")', "has no field nothing"),
        ('@index(sortBy: "tags")', "Post.tags has no order"),
        ('@index(sortBy: "author")', "Post.author has no order"),
        ('@index(fields: ["tags"], sortBy: "title")', "Post.tags cannot be compared for equality"),
        ('@index(fields: ["id"], sortBy: "title")', "Post.id cannot be compared for equality"),
        ('@index(fields: ["title"], sortBy: "title")', "not sortBy's"),
        ('@index(sortBy: "title") @index(sortBy: "title")', "declared twice"),
        ('@index(fields: ["author"], sortBy: "title", shards: 8)', "`shards` applies to an index without"),
        ('@index(sortBy: "title", shards: 0)', "`shards` is from 1 to 100"),
    ],
)
def test_a_bad_declaration_fails_at_start_with_type_field_and_rule(directive: str, rule: str) -> None:
    schema = f"""
    type User @model {{ id: ID! posts: [Post] }}
    type Post @model {directive} {{ id: ID! title: String tags: [String] author: User }}
    """
    with pytest.raises(SchemaError, match="type Post: @index") as raised:
        load_schema(schema)
    assert rule in str(raised.value)


def test_a_field_level_index_takes_no_arguments() -> None:
    with pytest.raises(SchemaError, match=r"Post.title: a field takes one @index, without arguments"):
        load_schema('type Post @model { id: ID! title: String @index(sortBy: "title") }')


def test_the_registry_holds_each_declared_index(blog: Api) -> None:
    indexes = blog.service.registry.model("Post").sorted_indexes
    assert [(i.fields, i.sort_by, i.shards) for i in indexes] == [
        ((), "createdAt", 4),
        (("author",), "createdAt", 1),
        (("status", "author"), "score", 1),
    ]
    assert indexes[1].label == '@index(fields: ["author"], sortBy: "createdAt")'


# Storage.


def test_every_write_keeps_the_index_keys_right(blog: Api) -> None:
    ann, bob = new_user(blog, "ann"), new_user(blog, "bob")
    post = new_post(blog, "p", ann, createdAt="2024-01-01T00:00:00.000Z", score=2.5, status="LIVE")
    model = blog.service.registry.model("Post")
    every, by_author, by_status = model.sorted_indexes

    def expected(author: str | None, created: str | None, score: float | None, status: str | None) -> list[Any]:
        record = {"id": post, "author": author, "createdAt": created, "score": score, "status": status}
        return [sorted_keys.hash_key(model, index, record) for index in (every, by_author, by_status)] + [
            sorted_keys.range_key(model, index, record[index.sort_by], post) for index in (every, by_author, by_status)
        ]

    def stored() -> list[Any]:
        found = list(keys(blog, post).values())
        return found[0::2] + found[1::2]

    assert stored() == expected(ann, "2024-01-01T00:00:00.000Z", 2.5, "LIVE")
    # Moved to another author from the other side: the post was not read by the plan, so it is read
    # for the index of status and author.
    blog.data(UPDATE_USER, {"id": bob, "data": {"posts": {"connect": [{"id": post}]}}})
    assert stored() == expected(bob, "2024-01-01T00:00:00.000Z", 2.5, "LIVE")
    blog.data(UPDATE_POST, {"id": post, "data": {"status": "DRAFT", "score": None}})
    assert stored() == expected(bob, "2024-01-01T00:00:00.000Z", None, "DRAFT")
    blog.data(UPDATE_POST, {"id": post, "data": {"status": None, "createdAt": "2023-05-05T00:00:00.000Z"}})
    assert stored() == expected(bob, "2023-05-05T00:00:00.000Z", None, None)
    assert keys(blog, post)[sorted_keys.index_name(model, by_status) + "/hash"] is None


def test_the_range_key_orders_values_as_the_in_memory_order_does() -> None:
    model = load_schema(SCHEMA).model("Post")
    by_score = model.sorted_indexes[2]
    numbers = [-1e300, -2.5, -1, -1e-300, 0, 1e-300, 0.5, 1, 2, 10, 1e300]
    encoded = [sorted_keys.range_key(model, by_score, n, "id") for n in numbers]
    assert encoded == sorted(encoded)
    by_created = model.sorted_indexes[0]
    texts = ["", "\x00", "\x00a", "\x01", "a", "a\x00", "a\x01", "ab", "b", "\U0010ffff"]
    encoded = [sorted_keys.range_key(model, by_created, t, "id") for t in texts]
    assert encoded == sorted(encoded)
    # Ties fall in id order, every value before every null.
    assert sorted_keys.range_key(model, by_created, "a", "x1") < sorted_keys.range_key(model, by_created, "a", "x2")
    assert sorted_keys.range_key(model, by_created, "\U0010ffff", "z") < sorted_keys.range_key(
        model, by_created, None, "a"
    )
