"""Type-level `@index(fields: [...], sortBy: "...")`: declared and checked at start, kept right by
every write, and read by the planner a page at a time (store/sorted_keys.py, query/reader.py)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chalicelib.api import ids
from chalicelib.errors import INVALID_INPUT
from chalicelib.query import order
from chalicelib.query.loader import CONCURRENT_QUERIES
from chalicelib.schema.loader import SchemaError, load_schema
from chalicelib.store import sorted_keys
from tests.conftest import Api
from tests.functional.helpers import api_on, create_mutation, flipped, forged, hooked, opened, update_mutation

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

CREATE_USER = create_mutation("User")
CREATE_POST = create_mutation("Post")
UPDATE_POST = update_mutation("Post")
UPDATE_USER = update_mutation("User")


@pytest.fixture
def blog(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    return api_on(make_api, tmp_path, SCHEMA)


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


# Reads.

POSTS = """
query ($where: PostWhereInput, $orderBy: PostOrderByInput, $first: Int, $last: Int, $skip: Int,
       $after: String, $before: String) {
  postsConnection(where: $where, orderBy: $orderBy, first: $first, last: $last, skip: $skip,
                  after: $after, before: $before) {
    edges { node { id } cursor }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
USER_POSTS = """
query ($id: ID!, $orderBy: PostOrderByInput, $first: Int, $last: Int, $after: String, $where: PostWhereInput) {
  user(where: {id: $id}) { posts(orderBy: $orderBy, first: $first, last: $last, after: $after, where: $where) { id } }
}
"""
TOTAL = 1500


@pytest.fixture
def many(make_api: Callable[..., Api], tmp_path: Path) -> tuple[Api, list[dict[str, Any]], list[str]]:
    """1,500 posts, restored (25 to a BatchWriteItem): two authors and none, createdAt with ties
    and nulls, as the in-memory order sees them."""
    schema = tmp_path / "blog.graphql"
    schema.write_text(SCHEMA)
    api = make_api(schema)
    authors = [new_user(api, "ann"), new_user(api, "bob")]
    model = api.service.registry.model("Post")
    records: list[dict[str, Any]] = []
    for number in range(TOTAL):
        created = None if number % 97 == 0 else f"2024-01-{1 + number % 28:02d}T00:00:{number % 60:02d}.000Z"
        author = None if number % 10 == 0 else authors[number % 2]
        records.append(
            {
                "id": ids.new_id("Post"),
                "title": f"p{number}",
                "createdAt": created,
                "score": None if number % 7 == 0 else float(number % 50) - 20,
                "status": "LIVE" if number % 3 else "DRAFT",
                "author": author,
                "version_": 1,
            }
        )
    api.service.store.restore(model, records)
    return api, records, authors


def expected(records: list[dict[str, Any]], field: str, descending: bool, keep: Callable[..., bool]) -> list[str]:
    model_order = [(load_schema(SCHEMA).model("Post").fields[field], descending)]
    return [r["id"] for r in order.sort(model_order, [r for r in records if keep(r)])]


def page(api: Api, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = api.data(POSTS, variables)["postsConnection"]
    return found


def node_ids(found: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in found["edges"]]


@pytest.mark.parametrize("descending", [True, False])
def test_the_newest_20_of_1500_read_about_a_page_and_page_on_by_cursor(
    many: tuple[Api, list[dict[str, Any]], list[str]], descending: bool
) -> None:
    api, records, _ = many
    every = expected(records, "createdAt", descending, lambda r: True)
    direction = "DESC" if descending else "ASC"
    with api.calls() as calls:
        first = page(api, orderBy={"createdAt": direction}, first=20)
    assert node_ids(first) == every[:20]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    # One Query per shard, each of a page and one: no Scan.
    assert dict(calls.counts) == {"Query": 4}
    with api.calls() as calls:
        second = page(api, orderBy={"createdAt": direction}, first=20, after=first["pageInfo"]["endCursor"])
    assert node_ids(second) == every[20:40]
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert dict(calls.counts) == {"Query": 4}
    with api.calls() as calls:
        last = page(api, orderBy={"createdAt": direction}, last=5)
    assert node_ids(last) == every[-5:]
    assert last["pageInfo"]["hasPreviousPage"] is True
    assert last["pageInfo"]["hasNextPage"] is False
    assert calls.counts["Query"] <= 8
    assert "Scan" not in calls.counts
    before = page(api, orderBy={"createdAt": direction}, last=3, before=second["edges"][0]["cursor"])
    assert node_ids(before) == every[17:20]


def test_paging_the_whole_list_by_cursor_gives_every_record_once_in_order(
    many: tuple[Api, list[dict[str, Any]], list[str]],
) -> None:
    api, records, _ = many
    every = expected(records, "createdAt", True, lambda r: True)
    seen: list[str] = []
    after = None
    while True:
        found = page(api, orderBy={"createdAt": "DESC"}, first=400, after=after)
        seen += node_ids(found)
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
    assert seen == every


def test_a_range_reads_only_its_stretch(many: tuple[Api, list[dict[str, Any]], list[str]]) -> None:
    api, records, _ = many
    low, high = "2024-01-05T00:00:00.000Z", "2024-01-07T00:00:59.000Z"
    inside = expected(
        records, "createdAt", False, lambda r: r["createdAt"] is not None and low <= r["createdAt"] <= high
    )
    where = {"range": {"createdAt": [low, high]}}
    with api.calls() as calls:
        found = page(api, where=where, orderBy={"createdAt": "ASC"}, first=10)
    assert node_ids(found) == inside[:10]
    assert dict(calls.counts) == {"Query": 4}
    found = page(api, where=where, orderBy={"createdAt": "DESC"}, first=500)
    assert node_ids(found) == list(reversed(inside))


def test_one_authors_newest_20_through_the_where_and_through_the_relation(
    many: tuple[Api, list[dict[str, Any]], list[str]],
) -> None:
    api, records, (ann, _) = many
    newest = expected(records, "createdAt", True, lambda r: r["author"] == ann)
    with api.calls() as calls:
        found = page(api, where={"author": {"match": {"id": [ann]}}}, orderBy={"createdAt": "DESC"}, first=20)
    assert node_ids(found) == newest[:20]
    # One Query of the author's partition; the author itself, for the rest of the where-clause.
    assert calls.counts["Query"] == 1
    assert "Scan" not in calls.counts
    with api.calls() as calls:
        listed = api.data(USER_POSTS, {"id": ann, "orderBy": {"createdAt": "DESC"}, "first": 20})["user"]["posts"]
    assert [p["id"] for p in listed] == newest[:20]
    assert dict(calls.counts) == {"GetItem": 1, "Query": 1}
    last = api.data(USER_POSTS, {"id": ann, "orderBy": {"createdAt": "DESC"}, "last": 5})["user"]["posts"]
    assert [p["id"] for p in last] == newest[-5:]


def test_two_fields_and_the_rest_of_the_where_clause(many: tuple[Api, list[dict[str, Any]], list[str]]) -> None:
    api, records, (_, bob) = many
    where = {"match": {"status": ["LIVE"]}, "author": {"match": {"id": [bob]}}, "not": {"match": {"title": ["p1"]}}}
    with api.calls() as calls:
        found = page(api, where=where, orderBy={"score": "DESC"}, first=1000)
    assert node_ids(found) == expected(
        records, "score", True, lambda r: r["author"] == bob and r["status"] == "LIVE" and r["title"] != "p1"
    )
    # Backward, the values, then the nulls: one Query each of the one partition.
    assert calls.counts["Query"] == 2
    assert "Scan" not in calls.counts


def test_a_moved_record_is_read_in_its_new_place(many: tuple[Api, list[dict[str, Any]], list[str]]) -> None:
    api, records, (ann, bob) = many
    moved = expected(records, "createdAt", True, lambda r: r["author"] == ann)[0]
    api.data(UPDATE_USER, {"id": bob, "data": {"posts": {"connect": [{"id": moved}]}}})
    api.data(UPDATE_POST, {"id": moved, "data": {"createdAt": "2030-01-01T00:00:00.000Z"}})
    bobs = api.data(USER_POSTS, {"id": bob, "orderBy": {"createdAt": "DESC"}, "first": 2})["user"]["posts"]
    anns = api.data(USER_POSTS, {"id": ann, "orderBy": {"createdAt": "DESC"}, "first": 2})["user"]["posts"]
    assert bobs[0]["id"] == moved
    assert moved not in [p["id"] for p in anns]
    assert node_ids(page(api, orderBy={"createdAt": "DESC"}, first=1)) == [moved]


def test_an_ordered_read_no_index_serves_names_the_index_that_would(
    many: tuple[Api, list[dict[str, Any]], list[str]],
) -> None:
    api, _, _ = many
    result = api.query(POSTS, {"orderBy": {"title": "ASC"}, "first": 5})
    message = result["errors"][0]["message"]
    assert "needs more than" in message
    assert '@index(sortBy: "title")' in message


def test_ties_are_broken_by_id_in_the_direction_of_the_sort() -> None:
    model = load_schema(SCHEMA).model("Post")
    records: list[dict[str, Any]] = [
        {"id": "a", "score": 1.0},
        {"id": "b", "score": 1.0},
        {"id": "c", "score": None},
        {"id": "d"},
    ]
    assert [r["id"] for r in order.sort([(model.fields["score"], True)], records)] == ["b", "a", "d", "c"]
    assert [r["id"] for r in order.sort([(model.fields["score"], False)], records)] == ["a", "b", "c", "d"]


UPDATE_MANY = """
mutation ($where: PostWhereInput!, $data: PostUpdateInput!) {
  updateManyPosts(input: {where: $where, data: $data}) { count }
}
"""
DELETE_MANY = "mutation ($where: PostWhereInput!) { deleteManyPosts(input: {where: $where}) { count } }"
IMPORT = "mutation ($data: [JSON]!) { importData(data: $data) { data } }"
EVERY_POST = "{ posts { id createdAt score status author { id } } }"


def assert_indexes_agree(api: Api, authors: list[str]) -> None:
    """Every ordered read through the indexes equals the in-memory order of every post as stored."""
    stored = [{**p, "author": (p["author"] or {}).get("id")} for p in api.data(EVERY_POST)["posts"]]
    for direction in ("ASC", "DESC"):
        found = page(api, orderBy={"createdAt": direction}, first=1000)
        assert node_ids(found) == expected(stored, "createdAt", direction == "DESC", lambda r: True)
        for author in authors:
            for status in ("LIVE", "DRAFT"):
                where = {"match": {"status": [status]}, "author": {"match": {"id": [author]}}}
                found = page(api, where=where, orderBy={"score": direction}, first=1000)

                def keep(r: dict[str, Any], author: str = author, status: str = status) -> bool:
                    return r["author"] == author and r["status"] == status

                assert node_ids(found) == expected(stored, "score", direction == "DESC", keep)


def test_bulk_updates_imports_and_deletes_keep_the_indexes_right(blog: Api) -> None:
    authors = [new_user(blog, "ann"), new_user(blog, "bob")]
    for number in range(12):
        new_post(
            blog,
            f"p{number}",
            authors[number % 2],
            createdAt=f"2024-02-{1 + number % 5:02d}T00:00:00.000Z",
            score=float(number % 4),
            status="LIVE" if number % 3 else "DRAFT",
        )
    assert_indexes_agree(blog, authors)
    blog.data(
        UPDATE_MANY, {"where": {"match": {"title": ["p1", "p2", "p3"]}}, "data": {"status": "DRAFT", "score": 9.5}}
    )
    blog.data(UPDATE_MANY, {"where": {"match": {"title": ["p4"]}}, "data": {"createdAt": None}})
    assert_indexes_agree(blog, authors)
    imported = [
        {"__typename": "Post", "title": "i1", "createdAt": "2023-01-01T00:00:00.000Z", "status": "LIVE", "score": 3},
        {"__typename": "Post", "title": "i2", "status": "DRAFT"},
    ]
    blog.data(IMPORT, {"data": imported})
    assert_indexes_agree(blog, authors)
    blog.data(DELETE_MANY, {"where": {"match": {"title": ["p0", "p5", "i1"]}}})
    assert_indexes_agree(blog, authors)


def test_a_tampered_cursor_is_a_client_error(blog: Api) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps([{"a": 1}, "x"]).encode()).decode().rstrip("=")
    result = blog.query(POSTS, {"orderBy": {"createdAt": "DESC"}, "first": 2, "after": cursor})
    assert result["errors"][0]["extensions"]["code"] == INVALID_INPUT


def test_a_cursor_is_refused_by_another_order_and_when_changed(blog: Api) -> None:
    """Cursors of reads through an index are signed like any other: one read in another order, or
    edited to start elsewhere, is not read from."""
    ann = new_user(blog, "ann")
    for number in range(4):
        new_post(blog, f"p{number}", ann, createdAt=f"2024-03-0{1 + number}T00:00:00.000Z", score=number)
    newest = page(blog, orderBy={"createdAt": "DESC"}, first=2)
    cursor = newest["pageInfo"]["endCursor"]
    assert node_ids(page(blog, orderBy={"createdAt": "DESC"}, first=2, after=cursor)) != []
    tag, position = opened(cursor)
    earlier = page(blog, orderBy={"createdAt": "ASC"}, first=1)["edges"][0]["node"]["id"]
    for order_by, after in [
        ({"createdAt": "ASC"}, cursor),
        ({"score": "DESC"}, cursor),
        ({"title": "DESC"}, cursor),
        ({"createdAt": "DESC"}, flipped(cursor, len(cursor) - 3)),
        ({"createdAt": "DESC"}, forged(position)),
        ({"createdAt": "DESC"}, forged([position[0], earlier], tag)),
        ({"createdAt": "DESC"}, forged(["2099-01-01T00:00:00.000Z", position[1]], tag)),
    ]:
        result = blog.query(POSTS, {"orderBy": order_by, "first": 2, "after": after})
        assert result["errors"][0]["extensions"]["code"] == INVALID_INPUT, (order_by, result)
        assert "is not a cursor of this list" in result["errors"][0]["message"]


def test_a_to_one_named_by_its_unique_field_is_resolved_to_its_id_first(blog: Api) -> None:
    ann = blog.data(CREATE_USER, {"data": {"name": "ann", "email": "ann@x.com"}})["createUser"]["data"]["id"]
    bob = blog.data(CREATE_USER, {"data": {"name": "bob", "email": "bob@x.com"}})["createUser"]["data"]["id"]
    for number in range(6):
        new_post(blog, f"p{number}", (ann, bob)[number % 2], createdAt=f"2024-03-0{1 + number}T00:00:00.000Z")
    by_id = page(blog, where={"author": {"match": {"id": [ann]}}}, orderBy={"createdAt": "DESC"}, first=2)
    with blog.calls() as calls:
        by_email = page(
            blog, where={"author": {"match": {"email": ["ann@x.com"]}}}, orderBy={"createdAt": "DESC"}, first=2
        )
    assert node_ids(by_email) == node_ids(by_id)
    assert len(node_ids(by_email)) == 2
    assert "Scan" not in calls.counts
    nobody = page(blog, where={"author": {"match": {"email": ["no@x.com"]}}}, orderBy={"createdAt": "DESC"}, first=2)
    assert node_ids(nobody) == []
    # A field that is not unique is no equality on the relation: the read falls back, and agrees.
    by_name = page(blog, where={"author": {"match": {"name": ["ann"]}}}, orderBy={"createdAt": "DESC"}, first=2)
    assert node_ids(by_name) == node_ids(by_id)


DELETE_POST = "mutation ($id: ID!) { deletePost(input: {where: {id: $id}}) { data { id } } }"
NEWEST = {"createdAt": "DESC"}


def dated_posts(api: Api, author: str, count: int) -> list[str]:
    """`count` posts of `author`, newest first."""
    posts = [new_post(api, f"p{n}", author, createdAt=f"2024-04-{1 + n:02d}T00:00:00.000Z") for n in range(count)]
    return list(reversed(posts))


def test_skip_counts_from_the_start_before_a_cursor_and_with_last(blog: Api) -> None:
    newest = dated_posts(blog, new_user(blog, "ann"), 8)
    cursors = [edge["cursor"] for edge in page(blog, orderBy=NEWEST, first=8)["edges"]]
    with blog.calls() as calls:
        # The three skipped are the list's first three, whether or not a cursor is past some of them.
        assert node_ids(page(blog, orderBy=NEWEST, skip=3, after=cursors[0], first=2)) == newest[3:5]
        assert node_ids(page(blog, orderBy=NEWEST, skip=3, after=cursors[4], first=2)) == newest[5:7]
        found = page(blog, orderBy=NEWEST, skip=3, last=2)
        assert node_ids(found) == newest[6:]
        assert (found["pageInfo"]["hasPreviousPage"], found["pageInfo"]["hasNextPage"]) == (True, False)
        assert node_ids(page(blog, orderBy=NEWEST, skip=6, last=4)) == newest[6:]
        assert node_ids(page(blog, orderBy=NEWEST, skip=2, last=2, before=cursors[5])) == newest[3:5]
        found = page(blog, orderBy=NEWEST, skip=9, last=2)
        assert node_ids(found) == []
        assert (found["pageInfo"]["hasPreviousPage"], found["pageInfo"]["hasNextPage"]) == (True, False)
    assert "Scan" not in calls.counts


def test_page_info_at_a_cursor_is_exact_and_free_while_its_record_stands_there(blog: Api) -> None:
    newest = dated_posts(blog, new_user(blog, "ann"), 6)
    cursors = [edge["cursor"] for edge in page(blog, orderBy=NEWEST, first=6)["edges"]]

    def info(found: dict[str, Any]) -> tuple[bool, bool]:
        return found["pageInfo"]["hasPreviousPage"], found["pageInfo"]["hasNextPage"]

    with blog.calls() as calls:
        forward = page(blog, orderBy=NEWEST, first=2, after=cursors[0])
    assert (node_ids(forward), info(forward)) == (newest[1:3], (True, True))
    # The cursor's own record is read at the start of the page, and tells: one Query per shard.
    assert dict(calls.counts) == {"Query": 4}
    backward = page(blog, orderBy=NEWEST, last=2, before=cursors[5])
    assert (node_ids(backward), info(backward)) == (newest[3:5], (True, True))

    for gone in (newest[0], newest[5]):
        blog.data(DELETE_POST, {"id": gone})
    with blog.calls() as calls:
        forward = page(blog, orderBy=NEWEST, first=2, after=cursors[0])
    assert (node_ids(forward), info(forward)) == (newest[1:3], (False, True))
    # Nothing stands at the cursor any more: the index is read from it backward, one item a shard.
    assert dict(calls.counts) == {"Query": 8}
    backward = page(blog, orderBy=NEWEST, last=2, before=cursors[5])
    assert (node_ids(backward), info(backward)) == (newest[3:5], (True, False))
    # Between two cursors, both ends tell.
    between = page(blog, orderBy=NEWEST, first=5, after=cursors[0], before=cursors[5])
    assert (node_ids(between), info(between)) == (newest[1:5], (False, False))
    between = page(blog, orderBy=NEWEST, first=2, after=cursors[1], before=cursors[4])
    assert (node_ids(between), info(between)) == (newest[2:4], (True, True))


@pytest.mark.parametrize(("created", "title"), [("DESC", "ASC"), ("ASC", "DESC")])
def test_further_order_keys_order_the_ties_of_the_first_and_cursors_resume_inside_a_tie(
    many: tuple[Api, list[dict[str, Any]], list[str]], created: str, title: str
) -> None:
    api, records, (ann, _) = many
    fields = load_schema(SCHEMA).model("Post").fields
    by = [(fields["createdAt"], created == "DESC"), (fields["title"], title == "DESC")]
    every = [r["id"] for r in order.sort(by, records)]
    order_by = {"createdAt": created, "title": title}
    with api.calls() as calls:
        first = page(api, orderBy=order_by, first=20)
    assert node_ids(first) == every[:20]
    # The page's last tie is read to its end, one past it: still one Query per shard.
    assert dict(calls.counts) == {"Query": 4}
    # Pages of 7 end inside ties (of up to 4 posts, and 16 nulls): each resumes exactly.
    seen: list[str] = []
    after = None
    while True:
        found = page(api, orderBy=order_by, first=7, after=after)
        seen += node_ids(found)
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
    assert seen == every
    cursors = [edge["cursor"] for edge in page(api, orderBy=order_by, first=1000, skip=500)["edges"]]
    backward = page(api, orderBy=order_by, last=5, before=cursors[3])
    assert node_ids(backward) == every[498:503]
    assert (backward["pageInfo"]["hasPreviousPage"], backward["pageInfo"]["hasNextPage"]) == (True, True)
    assert node_ids(page(api, orderBy=order_by, last=3)) == every[-3:]
    assert node_ids(page(api, orderBy=order_by, skip=2, last=3, after=cursors[0])) == every[-3:]
    # Through the relation too, the further key in the order written.
    anns = [r["id"] for r in order.sort(by, [r for r in records if r["author"] == ann])]
    listed = api.data(USER_POSTS, {"id": ann, "orderBy": order_by, "first": 9})["user"]["posts"]
    assert [p["id"] for p in listed] == anns[:9]


def test_a_tie_longer_than_the_read_cap_is_refused(make_api: Callable[..., Api], tmp_path: Path) -> None:
    api = api_on(make_api, tmp_path, SCHEMA, page_cap=5)
    for number in range(6):
        new_post(api, f"p{number}", createdAt="2024-05-01T00:00:00.000Z")
    new_post(api, "later", createdAt="2024-05-02T00:00:00.000Z")
    # Ordered by the index's key alone, the tie is read a page at a time.
    assert len(node_ids(page(api, orderBy={"createdAt": "DESC"}, first=2))) == 2
    result = api.query(POSTS, {"orderBy": {"createdAt": "DESC", "title": "ASC"}, "first": 2})
    assert result["errors"][0]["extensions"]["code"] == INVALID_INPUT
    assert "needs more than 5 records" in result["errors"][0]["message"]


USERS_POSTS = """
query ($orderBy: PostOrderByInput, $first: Int, $where: PostWhereInput) {
  users(first: 20) { id posts(orderBy: $orderBy, first: $first, where: $where) { id } }
}
"""


# A further key, which no tie here needs: the page's last tie is seen to end within its Query.
TWO_KEYS = {"createdAt": "DESC", "title": "ASC"}


@contextmanager
def queries_in_flight(api: Api) -> Iterator[list[int]]:
    """The most Queries in flight at once inside the block, in a list of one. Each is held 20 ms
    before it is sent, so that Queries sent together overlap however fast the embedded DynamoDB is."""
    lock = threading.Lock()
    now, peak = [0], [0]

    def before(model: Any, **_: Any) -> None:
        if model.name == "Query":
            with lock:
                now[0] += 1
                peak[0] = max(peak[0], now[0])
            time.sleep(0.02)

    def after(model: Any, **_: Any) -> None:
        if model.name == "Query":
            with lock:
                now[0] -= 1

    with hooked(api, {"before-call.dynamodb": before, "after-call.dynamodb": after}):
        yield peak


def test_a_list_of_parents_reads_each_ones_ordered_page_with_one_query_all_sent_together(blog: Api) -> None:
    users = [new_user(blog, f"u{n}") for n in range(12)]
    # Four posts each: a page of three and one more to tell that there is more.
    newest = {user: dated_posts(blog, user, 4) for user in users}
    for direction, order_by in (("DESC", {"createdAt": "DESC"}), ("ASC", {"createdAt": "ASC"}), ("DESC", TWO_KEYS)):
        with blog.calls() as calls, queries_in_flight(blog) as peak:
            found = blog.data(USERS_POSTS, {"orderBy": order_by, "first": 3})["users"]
        for user in found:
            expected = newest[user["id"]] if direction == "DESC" else list(reversed(newest[user["id"]]))
            assert [p["id"] for p in user["posts"]] == expected[:3]
        # The users' Scan, then one Query per user's partition of the index: no more.
        assert dict(calls.counts) == {"Scan": 1, "Query": len(users)}
        # Sent together, as many at once as the loader allows.
        assert 1 < peak[0] <= CONCURRENT_QUERIES


def test_a_parents_page_read_ahead_goes_on_where_it_ended(blog: Api) -> None:
    users = [new_user(blog, f"u{n}") for n in range(3)]
    newest = {user: dated_posts(blog, user, 7) for user in users}
    titles = {f"p{n}" for n in range(7) if n % 3}
    where = {"match": {"title": sorted(titles)}}
    with blog.calls() as calls:
        found = blog.data(USERS_POSTS, {"orderBy": {"createdAt": "DESC"}, "first": 3, "where": where})["users"]
    kept = {p["id"] for p in blog.data("{ posts { id title } }")["posts"] if p["title"] in titles}
    for user in found:
        assert [p["id"] for p in user["posts"]] == [p for p in newest[user["id"]] if p in kept][:3]
    # A first page of four read ahead for each user holds fewer than four matches: each reads on, once.
    assert dict(calls.counts) == {"Scan": 1, "Query": 2 * len(users)}
