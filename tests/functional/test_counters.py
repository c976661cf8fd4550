"""Counters (store/counters.py): kept right by every writer, and read for counts in O(1)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from chalicelib.store import counters
from chalicelib.store.cleanup import Budget
from chalicelib.store.cleanup import run as run_cleanup
from tests.conftest import ADMIN, Api
from tests.dynamodb_answers import Declining, answering, recorded_waits
from tests.functional.helpers import api_on, call, create_mutation, sign_up, update_mutation
from tests.functional.trust_schema import TRUST_SCHEMA
from tooling import transfer
from tooling.consistency import check

SCHEMA = """
enum Status { DRAFT LIVE }

type User @model {
  id: ID!
  email: String @unique
  posts: [Post] @connection
}

type Post @model
  @index(sortBy: "createdAt")
  @index(fields: ["author"], sortBy: "createdAt")
  @index(fields: ["author"], sortBy: "title")
  @index(fields: ["status"], sortBy: "createdAt")
{
  id: ID!
  title: String
  createdAt: DateTime @createdTimestamp
  status: Status
  author: User
}

type Note @model {
  id: ID!
  text: String
}
"""

CREATE_USER = create_mutation("User")
CREATE_POST = create_mutation("Post")
UPDATE_POST = update_mutation("Post")
COUNT = """
query ($where: PostWhereInput) { postsConnection(where: $where) { aggregate { count } } }
"""
USER_COUNT = """
query ($id: ID!) { user(id: $id) { posts { aggregate { count } } } }
"""


@pytest.fixture
def blog(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    return api_on(make_api, tmp_path, SCHEMA)


def new_user(api: Api, email: str) -> str:
    user_id: str = api.data(CREATE_USER, {"data": {"email": email}})["createUser"]["data"]["id"]
    return user_id


def new_post(api: Api, author: str | None, status: str = "DRAFT", title: str = "t") -> str:
    data: dict[str, Any] = {"title": title, "status": status}
    if author is not None:
        data["author"] = {"connect": {"id": author}}
    post_id: str = api.data(CREATE_POST, {"data": data})["createPost"]["data"]["id"]
    return post_id


def count(api: Api, where: dict[str, Any] | None = None) -> int:
    value: int = api.data(COUNT, {"where": where})["postsConnection"]["aggregate"]["count"]
    return value


def by_author(author: str) -> dict[str, Any]:
    return {"author": {"match": {"id": [author]}}}


def stored(api: Api) -> dict[str, int]:
    """Every counter's stored count, by a key naming what it counts."""
    return {key: n for key, n in counters.stored(api.service.tables).items() if n}


def assert_counts(api: Api, expected: dict[str | None, int]) -> None:
    """The total (None) and each author's count, through the API and the stage's own check."""
    for author, n in expected.items():
        assert count(api, None if author is None else by_author(author)) == n, author
    assert list(check(api.service.store)) == []


def test_every_write_keeps_the_total_and_each_value_count(blog: Api) -> None:
    ann, bob = new_user(blog, "ann@example.com"), new_user(blog, "bob@example.com")
    posts = [new_post(blog, ann) for _ in range(3)] + [new_post(blog, bob, "LIVE"), new_post(blog, None)]
    assert_counts(blog, {None: 5, ann: 3, bob: 1})
    # Moved to another author, through the post and through the user's list.
    blog.data(UPDATE_POST, {"id": posts[0], "data": {"author": {"connect": {"id": bob}}}})
    blog.data(
        "mutation ($id: ID!, $post: ID!) { updateUser(input: {where: {id: $id}, "
        "data: {posts: {connect: [{id: $post}]}}}) { data { id } } }",
        {"id": bob, "post": posts[4]},
    )
    blog.data(UPDATE_POST, {"id": posts[1], "data": {"author": {"disconnect": True}, "status": "LIVE"}})
    assert_counts(blog, {None: 5, ann: 1, bob: 3})
    assert count(blog, {"match": {"status": ["LIVE"]}}) == 2
    # Created with its author, from the author's side.
    blog.data(
        "mutation ($id: ID!) { updateUser(input: {where: {id: $id}, "
        'data: {posts: {create: [{title: "nested"}]}}}) { data { id } } }',
        {"id": ann},
    )
    blog.data(
        "mutation ($id: ID!) { deletePost(input: {where: {id: $id}}) { data { id } } }",
        {"id": posts[3]},
    )
    assert_counts(blog, {None: 5, ann: 2, bob: 2})


def test_bulk_writes_and_import_keep_the_counters(blog: Api) -> None:
    ann, bob = new_user(blog, "ann@example.com"), new_user(blog, "bob@example.com")
    for _ in range(4):
        new_post(blog, ann)
    blog.data(
        'mutation ($id: ID!) { importData(data: [{title: "i1", author: $id}, {title: "i2", author: $id}], '
        'defaultTypename: "Post") { data } }',
        {"id": bob},
    )
    assert_counts(blog, {None: 6, ann: 4, bob: 2})
    moved = blog.data(
        "mutation ($ann: ID!, $bob: ID!) { updateManyPosts(input: {where: {author: {match: {id: [$ann]}}}, "
        "data: {author: {connect: {id: $bob}}}}) { count } }",
        {"ann": ann, "bob": bob},
    )
    assert moved["updateManyPosts"]["count"] == 4
    assert_counts(blog, {None: 6, ann: 0, bob: 6})
    blog.data("mutation { updateManyPosts(input: {where: {}, data: {status: LIVE}}) { count } }")
    assert count(blog, {"match": {"status": ["LIVE"]}}) == 6
    with blog.calls() as calls:
        deleted = blog.data("mutation { deleteManyPosts(input: {where: {}}) { count complete } }")
    assert deleted["deleteManyPosts"] == {"count": 6, "complete": True}
    # Six deletes and their summed counts are one transaction, not a BatchWriteItem and updates.
    assert calls.counts["TransactWriteItems"] == 1
    assert "BatchWriteItem" not in calls.counts
    assert_counts(blog, {None: 0, ann: 0, bob: 0})


def test_a_delete_many_of_many_records_is_99_a_transaction(make_api: Callable[..., Api], tmp_path: Path) -> None:
    api = api_on(make_api, tmp_path, 'type Post @model @index(sortBy: "title") { id: ID! title: String }')
    for size in (99, 99, 2):  # a transaction's 100 items: the records and the total's counter
        rows = ", ".join('{title: "x"}' for _ in range(size))
        api.data(f'mutation {{ importData(data: [{rows}], defaultTypename: "Post") {{ data }} }}')
    assert count(api) == 200
    with api.calls() as calls:
        api.data("mutation { deleteManyPosts(input: {where: {}}) { count } }")
    assert calls.counts["TransactWriteItems"] == 3  # 99 + 99 + 2
    assert count(api) == 0
    assert list(check(api.service.store)) == []


def test_counts_are_read_from_the_counters(blog: Api) -> None:
    ann = new_user(blog, "ann@example.com")
    for status in ("DRAFT", "LIVE", "LIVE"):
        new_post(blog, ann, status)
    new_post(blog, None)
    asked: list[tuple[str, dict[str, Any], int]] = [
        (COUNT, {"where": None}, 4),
        (COUNT, {"where": by_author(ann)}, 3),
        (COUNT, {"where": {"and": [{"match": {"status": ["LIVE", "DRAFT"]}}]}}, 4),
        (USER_COUNT, {"id": ann}, 3),
    ]
    for query, variables, expected in asked:
        with blog.calls() as calls:
            reply = blog.data(query, variables)
        found = reply.get("postsConnection") or reply["user"]["posts"]
        assert found["aggregate"]["count"] == expected, variables
        # The counters' shards in one BatchGetItem (and the user, or the author checked to exist).
        assert not {"Scan", "Query"} & calls.counts.keys(), (variables, calls.counts)
        assert calls.counts["BatchGetItem"] + calls.counts.get("GetItem", 0) <= 2, (variables, calls.counts)
    # By the author's unique email: resolved to its id first (one index Query).
    by_email = {"author": {"match": {"email": ["ann@example.com"]}}}
    assert count(blog, by_email) == 3
    assert count(blog, {"author": {"match": {"email": ["nobody@example.com"]}}}) == 0


def test_a_count_the_counters_do_not_hold_is_read_as_before(blog: Api) -> None:
    ann = new_user(blog, "ann@example.com")
    for title in ("a", "b", "b"):
        new_post(blog, ann, title=title)
    with blog.calls() as calls:
        assert count(blog, {"match": {"title": ["b"]}}) == 2
    assert calls.counts["Scan"] >= 1
    assert count(blog, {"and": [by_author(ann), {"match": {"title": ["b"]}}]}) == 2
    # A model without a type-level @index keeps no counters: its writes stay one call each.
    with blog.calls() as calls:
        blog.data(create_mutation("Note"), {"data": {"text": "n"}})
    assert dict(calls.counts) == {"PutItem": 1}


def test_a_count_with_its_page_reads_the_page_and_the_counters(blog: Api) -> None:
    ann = new_user(blog, "ann@example.com")
    for _ in range(5):
        new_post(blog, ann)
    reply = blog.data(
        "query ($id: ID!) { user(id: $id) { posts(first: 2, orderBy: {createdAt: DESC}) "
        "{ aggregate { count } edges { node { id } } pageInfo { hasNextPage } } } }",
        {"id": ann},
    )
    page = reply["user"]["posts"]
    assert page["aggregate"]["count"] == 5
    assert len(page["edges"]) == 2
    assert page["pageInfo"]["hasNextPage"] is True


def test_a_deleted_author_counts_nothing_and_the_cleanup_moves_its_counter(blog: Api) -> None:
    ann = new_user(blog, "ann@example.com")
    for _ in range(3):
        new_post(blog, ann)
    blog.data("mutation ($id: ID!) { deleteUser(input: {where: {id: $id}}) { data { id } } }", {"id": ann})
    # As a relation filter judges it: no author, no match; the posts still count in the total.
    assert count(blog, by_author(ann)) == 0
    assert count(blog) == 3
    report = run_cleanup(blog.service.tables, Budget(), min_age=0)
    assert report.unset == 3
    assert not any(ann in key for key in stored(blog))
    assert list(check(blog.service.store)) == []


def test_concurrent_writes_keep_the_counters_exact(blog: Api) -> None:
    authors = [new_user(blog, f"u{n}@example.com") for n in range(3)]

    def work(n: int) -> None:
        post = new_post(blog, authors[n % 3])
        blog.data(UPDATE_POST, {"id": post, "data": {"author": {"connect": {"id": authors[(n + 1) % 3]}}}})
        if n % 2:
            blog.data("mutation ($id: ID!) { deletePost(input: {where: {id: $id}}) { data { id } } }", {"id": post})

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(work, range(24)))
    assert_counts(blog, {None: 12, authors[0]: 4, authors[1]: 4, authors[2]: 4})
    # The counts went to several shards of the total: no one item takes every write.
    shards = [key for key in counters.stored(blog.service.tables) if key == counters.total(_post(blog))]
    assert len(shards) == 1
    total_items = [item for item in blog.service.tables.counter.scan() if item.key.startswith("Post##")]
    assert len(total_items) > 1


def test_an_owner_counts_what_it_may_read(make_api: Callable[..., Api], tmp_path: Path) -> None:
    schema = TRUST_SCHEMA.replace(
        "type Note @model\n", 'type Note @model @index(fields: ["author"], sortBy: "score")\n'
    )
    assert schema != TRUST_SCHEMA
    api = api_on(make_api, tmp_path, schema)
    ann, bob = sign_up(api, "ann@example.com"), sign_up(api, "bob@example.com")
    create = 'mutation { createNote(input: {data: {slug: "n"}}) { data { id } } }'
    for login, n in ((ann, 3), (bob, 2)):
        for _ in range(n):
            assert call(api, create, auth=login.auth).data["createNote"]["data"]["id"]
    query = "{ notesConnection { aggregate { count } } }"
    with api.calls() as calls:
        assert call(api, query, auth=ann.auth).data["notesConnection"]["aggregate"]["count"] == 3
    assert "Scan" not in calls.counts
    assert "Query" not in calls.counts
    assert call(api, query, auth=bob.auth).data["notesConnection"]["aggregate"]["count"] == 2
    assert api.data(query)["notesConnection"]["aggregate"]["count"] == 5


def test_a_restore_writes_the_counters(blog: Api) -> None:
    ann = new_user(blog, "ann@example.com")
    for status in ("DRAFT", "LIVE"):
        new_post(blog, ann, status)
    before = stored(blog)
    lines = list(transfer.export_lines(blog.service.registry, blog.service.store))
    blog.service.tables.delete_all()
    blog.service.tables.create_all()
    # Resumed after its first lines were written: the counters still count every record.
    transfer.import_lines(blog.service.registry, blog.service.store, lines[:2], bucket=None)
    transfer.import_lines(blog.service.registry, blog.service.store, lines, bucket=None, skip=2)
    assert stored(blog) == dict(before.items())
    assert count(blog, by_author(ann)) == 2
    assert list(check(blog.service.store)) == []


def _post(api: Api) -> Any:
    return api.service.registry.model("Post")


def test_export_past_the_cap_is_refused_whatever_the_counters_say(make_api: Callable[..., Api], tmp_path: Path) -> None:
    api = api_on(make_api, tmp_path, 'type Post @model @index(sortBy: "title") { id: ID! title: String }', page_cap=5)
    for rows in ('{title: "x"}, {title: "y"}, {title: "z"}',) * 2:
        api.data(f'mutation {{ importData(data: [{rows}], defaultTypename: "Post") {{ data }} }}')
    reply = call(api, "{ exportData }", auth=ADMIN["Authorization"])
    assert reply.codes == ["GGT_INVALID_INPUT"]
    assert "more than 5 records" in reply.body["errors"][0]["message"]
    assert count(api) == 6


def test_an_import_cancelled_for_a_conflict_is_planned_again(blog: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent writes of one model meet on its counters now and then; an import, like every
    mutation, is then planned and sent again."""
    recorded_waits(blog, monkeypatch)
    conflict = {"CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}]}
    declining = Declining(frozenset({"TransactWriteItems"}), "TransactionCanceledException", times=1, fields=conflict)
    with answering(blog, declining):
        blog.data('mutation { importData(data: [{title: "a"}, {title: "b"}], defaultTypename: "Post") { data } }')
    assert declining.sent["TransactWriteItems"] == 2
    assert count(blog) == 2
