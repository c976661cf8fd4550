"""Relations at any size, through the API: one-to-many as children's pointers, many-to-many and
self-relations as edges, read from both sides, and links to deleted records read as absent."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.api import ids
from chalicelib.store.tables import StoreConfig
from tests.conftest import Api
from tests.functional.helpers import api_on, create_mutation, hooked, update_mutation
from tooling.local.dynamodb import LocalDynamoDB

SCHEMA = """
type User @model {
  id: ID!
  name: String
  posts: [Post] @connection
  friends: [User]
  follows: [User] @relation(name: "Follows")
  followers: [User] @relation(name: "Follows")
  partner: User @relation(name: "Partner")
}

type Post @model {
  id: ID!
  title: String
  author: User
  tags: [Tag] @connection
}

type Tag @model {
  id: ID!
  name: String
  posts: [Post]
}
"""

CREATE_USER = create_mutation("User")
CREATE_POST = create_mutation("Post")
UPDATE_USER = update_mutation("User")
UPDATE_TAG = update_mutation("Tag")


@pytest.fixture
def blog(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    return api_on(make_api, tmp_path, SCHEMA)


def new_user(api: Api, name: str, **data: Any) -> str:
    user_id: str = api.data(CREATE_USER, {"data": {"name": name, **data}})["createUser"]["data"]["id"]
    return user_id


def new_post(api: Api, title: str, author: str | None = None, **data: Any) -> str:
    if author is not None:
        data["author"] = {"connect": {"id": author}}
    post_id: str = api.data(CREATE_POST, {"data": {"title": title, **data}})["createPost"]["data"]["id"]
    return post_id


def titles(api: Api, user_id: str, arguments: str = "") -> list[str]:
    found = api.data(f'{{ user(id: "{user_id}") {{ posts{arguments} {{ edges {{ node {{ title }} }} }} }} }}')
    return [edge["node"]["title"] for edge in found["user"]["posts"]["edges"]]


def names(api: Api, query: str) -> list[str]:
    """The `name`s of the one list the query selects, whatever its path."""
    value: Any = api.data(query)
    while isinstance(value, dict):
        (value,) = value.values()
    return sorted(item.get("node", item)["name"] for item in value)


def user_item(api: Api, user_id: str) -> dict[str, Any]:
    cls = api.service.tables.model_class("User")
    item: dict[str, Any] = cls.get(user_id, consistent_read=True).serialize()
    return item


# One-to-many.


def test_a_parents_list_is_its_childrens_pointers_and_the_parent_item_never_grows(blog: Api) -> None:
    ann = new_user(blog, "ann")
    before = user_item(blog, ann)
    for index in range(3):
        new_post(blog, f"p{index}", ann)
    assert sorted(titles(blog, ann)) == ["p0", "p1", "p2"]
    assert user_item(blog, ann) == before
    found = blog.data(f'{{ user(id: "{ann}") {{ posts {{ aggregate {{ count }} }} }} }}')
    assert found["user"]["posts"]["aggregate"]["count"] == 3


def test_creating_a_child_writes_the_child_only(blog: Api) -> None:
    ann = new_user(blog, "ann")
    with blog.calls() as calls:
        new_post(blog, "p", ann)
    # The post, and a check that its author exists: one transaction, no write of the user.
    assert calls.counts == {"TransactWriteItems": 1}


def test_a_page_of_children_is_one_query_whatever_their_number(blog: Api) -> None:
    ann, bob = new_user(blog, "ann"), new_user(blog, "bob")
    for index in range(3):
        new_post(blog, f"a{index}", ann)
    for index in range(12):
        new_post(blog, f"b{index}", bob)
    counts = []
    for user_id in (ann, bob):
        with blog.calls() as calls:
            assert len(titles(blog, user_id, "(first: 2)")) == 2
        counts.append(dict(calls.counts))
    assert counts[0] == counts[1] == {"GetItem": 1, "Query": 1}


def test_children_page_with_cursors_in_id_order(blog: Api) -> None:
    ann = new_user(blog, "ann")
    created = {new_post(blog, f"p{index}", ann) for index in range(5)}
    seen: list[str] = []
    after: str | None = None
    while True:
        argument = f'(first: 2, after: "{after}")' if after else "(first: 2)"
        selection = "edges { node { id } } pageInfo { hasNextPage endCursor }"
        page = blog.data(f'{{ user(id: "{ann}") {{ posts{argument} {{ {selection} }} }} }}')["user"]["posts"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(created)


def test_moving_a_child_leaves_the_old_parents_list(blog: Api) -> None:
    ann, bob = new_user(blog, "ann"), new_user(blog, "bob")
    post = new_post(blog, "p", ann)
    blog.data(UPDATE_USER, {"id": bob, "data": {"posts": {"connect": [{"id": post}]}}})
    assert titles(blog, ann) == []
    assert titles(blog, bob) == ["p"]
    blog.data(UPDATE_USER, {"id": bob, "data": {"posts": {"disconnect": [{"id": post}]}}})
    assert titles(blog, bob) == []
    assert blog.data(f'{{ post(id: "{post}") {{ author {{ id }} }} }}')["post"]["author"] is None


def test_a_lists_of_parents_reads_each_parents_first_page(blog: Api) -> None:
    users = [new_user(blog, f"u{index}") for index in range(4)]
    for user_id in users:
        new_post(blog, f"post of {user_id}", user_id)
    with blog.calls() as calls:
        found = blog.data("{ users { id posts(first: 5) { edges { node { title } } } } }")["users"]
    assert {user["id"]: [e["node"]["title"] for e in user["posts"]["edges"]] for user in found} == {
        user_id: [f"post of {user_id}"] for user_id in users
    }
    # The list, then one Query per user (sent concurrently).
    assert calls.counts == {"Scan": 1, "Query": 4}


def test_filters_and_exists_see_children_through_the_index(blog: Api) -> None:
    ann, bob = new_user(blog, "ann"), new_user(blog, "bob")
    new_post(blog, "hello", ann)
    assert names(blog, '{ users(where: {posts: {match: {title: ["hello"]}}}) { name } }') == ["ann"]
    assert names(blog, "{ users(where: {exists: {posts: true}}) { name } }") == ["ann"]
    assert names(blog, "{ users(where: {exists: {posts: false}}) { name } }") == ["bob"]
    assert bob


# Deleting.


def test_a_deleted_parents_children_read_no_parent(blog: Api) -> None:
    ann = new_user(blog, "ann")
    posts = [new_post(blog, f"p{index}", ann) for index in range(3)]
    with blog.calls() as calls:
        blog.data(f'mutation {{ deleteUser(input: {{where: {{id: "{ann}"}}}}) {{ data {{ id }} }} }}')
    # Read, then one transaction (the user and its pending cleanup), whatever the number of posts.
    assert calls.counts == {"GetItem": 1, "TransactWriteItems": 1}
    for post in posts:
        assert blog.data(f'{{ post(id: "{post}") {{ author {{ id }} }} }}')["post"]["author"] is None
    assert len(blog.data("{ posts(where: {exists: {author: false}}) { id } }")["posts"]) == 3
    assert blog.data("{ posts(where: {exists: {author: true}}) { id } }")["posts"] == []


def test_a_deleted_tag_leaves_its_posts_lists(blog: Api) -> None:
    post = new_post(blog, "p", tags={"create": [{"name": "a"}, {"name": "b"}]})
    tags = blog.data(f'{{ post(id: "{post}") {{ tags {{ edges {{ node {{ id name }} }} }} }} }}')["post"]["tags"]
    doomed = next(edge["node"]["id"] for edge in tags["edges"] if edge["node"]["name"] == "a")
    blog.data(f'mutation {{ deleteTag(input: {{where: {{id: "{doomed}"}}}}) {{ data {{ id }} }} }}')
    query = f'{{ post(id: "{post}") {{ tags {{ edges {{ node {{ name }} }} aggregate {{ count }} }} }} }}'
    found = blog.data(query)["post"]["tags"]
    assert [edge["node"]["name"] for edge in found["edges"]] == ["b"]
    assert found["aggregate"]["count"] == 1


# Many-to-many.


def test_many_to_many_from_both_sides(blog: Api) -> None:
    post = new_post(blog, "p", tags={"create": [{"name": "a"}]})
    tag_b = blog.data('mutation { createTag(input: {data: {name: "b"}}) { data { id } } }')["createTag"]["data"]["id"]
    blog.data(UPDATE_TAG, {"id": tag_b, "data": {"posts": {"connect": [{"id": post}]}}})
    assert names(blog, f'{{ post(id: "{post}") {{ tags {{ edges {{ node {{ name }} }} }} }} }}') == ["a", "b"]
    for tag in blog.data("{ tags { id name posts { title } } }")["tags"]:
        assert tag["posts"] == [{"title": "p"}], tag
    blog.data(UPDATE_TAG, {"id": tag_b, "data": {"posts": {"disconnect": [{"id": post}]}}})
    assert names(blog, f'{{ post(id: "{post}") {{ tags {{ edges {{ node {{ name }} }} }} }} }}') == ["a"]
    assert names(blog, '{ tags(where: {posts: {match: {title: ["p"]}}}) { name } }') == ["a"]


def test_disconnecting_an_unlinked_record_is_refused(blog: Api) -> None:
    post = new_post(blog, "p")
    tag = blog.data('mutation { createTag(input: {data: {name: "t"}}) { data { id } } }')["createTag"]["data"]["id"]
    result = blog.query(UPDATE_TAG, {"id": tag, "data": {"posts": {"disconnect": [{"id": post}]}}})
    assert result["errors"][0]["extensions"]["code"] == "GGT_INVALID_INPUT"
    assert "is not related" in result["errors"][0]["message"]


# Self-relations.


def test_a_symmetric_self_relation_reads_the_same_from_both_ends(blog: Api) -> None:
    ann, bob, cat = new_user(blog, "ann"), new_user(blog, "bob"), new_user(blog, "cat")
    blog.data(UPDATE_USER, {"id": ann, "data": {"friends": {"connect": [{"id": bob}, {"id": cat}]}}})
    assert names(blog, f'{{ user(id: "{ann}") {{ friends {{ name }} }} }}') == ["bob", "cat"]
    assert names(blog, f'{{ user(id: "{bob}") {{ friends {{ name }} }} }}') == ["ann"]
    blog.data(UPDATE_USER, {"id": cat, "data": {"friends": {"disconnect": [{"id": ann}]}}})
    assert names(blog, f'{{ user(id: "{ann}") {{ friends {{ name }} }} }}') == ["bob"]
    assert names(blog, f'{{ user(id: "{cat}") {{ friends {{ name }} }} }}') == []


def test_a_named_self_relation_has_two_directions(blog: Api) -> None:
    ann, bob = new_user(blog, "ann"), new_user(blog, "bob")
    blog.data(UPDATE_USER, {"id": ann, "data": {"follows": {"connect": [{"id": bob}]}}})
    assert names(blog, f'{{ user(id: "{ann}") {{ follows {{ name }} }} }}') == ["bob"]
    assert names(blog, f'{{ user(id: "{ann}") {{ followers {{ name }} }} }}') == []
    assert names(blog, f'{{ user(id: "{bob}") {{ followers {{ name }} }} }}') == ["ann"]


def test_a_symmetric_to_one_points_both_ways(blog: Api) -> None:
    ann, bob = new_user(blog, "ann"), new_user(blog, "bob")
    blog.data(UPDATE_USER, {"id": ann, "data": {"partner": {"connect": {"id": bob}}}})
    assert blog.data(f'{{ user(id: "{bob}") {{ partner {{ name }} }} }}')["user"]["partner"] == {"name": "ann"}


# At size.


@pytest.mark.slow
def test_fifteen_thousand_children_on_one_parent(
    make_api: Callable[..., Api], dynamodb: LocalDynamoDB, tmp_path: Path
) -> None:
    schema = tmp_path / "blog.graphql"
    schema.write_text(SCHEMA)
    # moto answers a Query by sorting the whole table: pages of 15,000 items take seconds on a busy
    # machine, which only the embedded store's read timeout and a long deadline allow.
    store = StoreConfig.at_endpoint("test-", "us-east-1", dynamodb.url)
    api = make_api(schema, page_cap=20_000, store=store, deadline_seconds=600)
    ann = new_user(api, "ann")
    model = api.service.registry.model("Post")
    children = [{"id": ids.new_id("Post"), "title": f"p{index}", "author": ann} for index in range(15_000)]
    api.service.store.restore(model, children)
    every = sorted([child["id"] for child in children] + [new_post(api, "one more", ann)])
    count = api.data(f'{{ user(id: "{ann}") {{ posts {{ aggregate {{ count }} }} }} }}')["user"]["posts"]
    assert count["aggregate"]["count"] == 15_001
    page = api.data(f'{{ user(id: "{ann}") {{ posts(first: 20) {{ edges {{ node {{ id }} }} }} }} }}')
    assert [edge["node"]["id"] for edge in page["user"]["posts"]["edges"]] == every[:20]
    api.data(f'mutation {{ deleteUser(input: {{where: {{id: "{ann}"}}}}) {{ data {{ id }} }} }}')
    authors: list[Any] = []
    after = None
    while True:
        page = api.data(
            "query ($after: String) { postsConnection(first: 5000, after: $after) {"
            " edges { node { author { id } } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )["postsConnection"]
        authors += [edge["node"]["author"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(authors) == 15_001
    assert authors == [None] * 15_001


# Edge cases found in review.


def test_both_directions_of_a_named_self_relation_in_one_mutation(blog: Api) -> None:
    ann, bob = new_user(blog, "ann"), new_user(blog, "bob")
    both = {"follows": {"connect": [{"id": bob}]}, "followers": {"connect": [{"id": bob}]}}
    blog.data(UPDATE_USER, {"id": ann, "data": both})
    assert names(blog, f'{{ user(id: "{ann}") {{ follows {{ name }} }} }}') == ["bob"]
    assert names(blog, f'{{ user(id: "{ann}") {{ followers {{ name }} }} }}') == ["bob"]
    refused = blog.query(
        UPDATE_USER, {"id": bob, "data": {"followers": {"disconnect": [{"id": new_user(blog, "cat")}]}}}
    )
    assert refused["errors"][0]["extensions"]["code"] == "GGT_INVALID_INPUT"


def test_a_page_of_children_queries_the_index_without_a_filter(blog: Api) -> None:
    """DynamoDB refuses a FilterExpression on the index's own keys (the pointer, the id), which an
    owner rule or a where on `id` would put there: the where-clause is judged on the records."""
    ann = new_user(blog, "ann")
    posts = [new_post(blog, f"p{index}", ann) for index in range(3)]
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_kwargs: Any) -> None:
        sent.append(params)

    with hooked(blog, {"before-call.dynamodb.Query": record}):
        where = f'{{match: {{id: ["{posts[1]}"]}}, range: {{title: ["p1", null]}}}}'
        found = blog.data(
            f'{{ user(id: "{ann}") {{ posts(first: 2, where: {where}) {{ edges {{ node {{ id }} }} }} }} }}'
        )
    assert [edge["node"]["id"] for edge in found["user"]["posts"]["edges"]] == [posts[1]]
    assert sent
    assert all("FilterExpression" not in params for params in sent)


def test_an_empty_cursor_on_a_to_many_is_bad_input(blog: Api) -> None:
    ann = new_user(blog, "ann")
    cursor = base64.b64encode(json.dumps([""]).encode()).decode()
    result = blog.query(f'{{ user(id: "{ann}") {{ posts(first: 2, after: "{cursor}") {{ edges {{ cursor }} }} }} }}')
    assert result["errors"][0]["extensions"]["code"] == "GGT_INVALID_INPUT"


def test_an_import_merge_moves_a_to_one_and_its_old_partner_lets_go(blog: Api) -> None:
    ann, bob, cat = new_user(blog, "ann"), new_user(blog, "bob"), new_user(blog, "cat")
    blog.data(UPDATE_USER, {"id": ann, "data": {"partner": {"connect": {"id": bob}}}})
    blog.data(
        "mutation ($data: [JSON]!) { importData(data: $data, merge: true) { data } }",
        {"data": [{"__typename": "User", "id": ann, "partner": cat}]},
    )
    partners = {
        name: blog.data(f'{{ user(id: "{user_id}") {{ partner {{ name }} }} }}')["user"]["partner"]
        for name, user_id in (("ann", ann), ("bob", bob), ("cat", cat))
    }
    assert partners == {"ann": {"name": "cat"}, "bob": None, "cat": {"name": "ann"}}
