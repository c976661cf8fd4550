"""What a relation costs as its lists grow: linking a child is one write that does not touch the
parent, whose item stays the same size however many children it has, and a page of a to-many is
one Query whatever the length of the list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chalicelib.store.sizes import item_size
from tests.conftest import Api

SCHEMA = """
type User { id: ID! name: String posts: [Post] }
type Post { id: ID! title: String author: User tags: [Tag] }
type Tag { id: ID! name: String posts: [Post] }
"""

CREATE = "mutation ($d: {model}CreateInput!) {{ create{model}(input: {{data: $d}}) {{ data {{ id }} }} }}"
WITH_AUTHOR = (
    'mutation ($id: ID!) { createPost(input: {data: {title: "p", author: {connect: {id: $id}}}}) { data { id } } }'
)
WITH_TAG = (
    'mutation ($id: ID!) { createPost(input: {data: {title: "p", tags: {connect: [{id: $id}]}}}) { data { id } } }'
)
PAGE = 20


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("relation-costs") / "blog.graphql"
    path.write_text(SCHEMA)
    return path


@pytest.fixture
def blog(make_api: Callable[..., Api], schema: Path) -> Api:
    return make_api(schema)


def create(api: Api, model: str, data: dict[str, Any]) -> str:
    record_id: str = api.data(CREATE.format(model=model), {"d": data})[f"create{model}"]["data"]["id"]
    return record_id


def link(api: Api, mutation: str, parent_id: str, count: int) -> None:
    for _ in range(count):
        api.data(mutation, {"id": parent_id})


def stored(api: Api, model: str, record_id: str) -> dict[str, Any]:
    """The record's item as DynamoDB stores it."""
    table = api.service.tables.model_class(model).Meta.table_name
    client = api.service.tables.clients()[0]
    item: dict[str, Any] = client.get_item(TableName=table, Key={"id": {"S": record_id}}, ConsistentRead=True)["Item"]
    return item


@contextmanager
def requests(api: Api) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB request made inside the block: (operation, parameters)."""
    sent: list[tuple[str, dict[str, Any]]] = []

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        sent.append((model.name, params))

    events = api.service.tables.clients()[0].meta.events
    events.register("provide-client-params.dynamodb", hook)
    try:
        yield sent
    finally:
        events.unregister("provide-client-params.dynamodb", hook)


def written_tables(operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(action, table) of each item one write request puts, updates, deletes or checks."""
    if operation == "TransactWriteItems":
        return [(kind, body["TableName"]) for action in params["TransactItems"] for kind, body in action.items()]
    return [(operation, params["TableName"])]


@pytest.mark.parametrize(("mutation", "parent"), [(WITH_AUTHOR, "User"), (WITH_TAG, "Tag")])
def test_linking_a_child_is_one_write_that_leaves_the_parent_alone(blog: Api, mutation: str, parent: str) -> None:
    parent_id = create(blog, parent, {"name": "parent"})
    link(blog, mutation, parent_id, 3)
    before = stored(blog, parent, parent_id)
    parent_table = blog.service.tables.model_class(parent).Meta.table_name

    with requests(blog) as sent:
        blog.data(mutation, {"id": parent_id})

    ((operation, params),) = sent
    assert operation in ("TransactWriteItems", "PutItem")
    actions = written_tables(operation, params)
    # The parent is at most checked for existence, never written.
    assert [table for kind, table in actions if kind not in ("Put", "PutItem")] in ([], [parent_table])
    assert all(kind in ("Put", "PutItem", "ConditionCheck") for kind, _ in actions)
    assert parent_table not in [table for kind, table in actions if kind in ("Put", "PutItem")]

    link(blog, mutation, parent_id, 26)
    after = stored(blog, parent, parent_id)
    assert after == before
    assert item_size(after) == item_size(before)


@pytest.mark.parametrize(
    ("model", "linking", "expected"),
    [
        # The user, and one Query of its posts' author index (whole records).
        ("User", WITH_AUTHOR, {"GetItem": 1, "Query": 1}),
        # The tag, one Query of the edge index, and the page's posts by id.
        ("Tag", WITH_TAG, {"GetItem": 1, "Query": 1, "BatchGetItem": 1}),
    ],
)
def test_a_page_of_links_costs_the_same_however_many_there_are(
    blog: Api, model: str, linking: str, expected: dict[str, int]
) -> None:
    few, many = create(blog, model, {"name": "few"}), create(blog, model, {"name": "many"})
    link(blog, linking, few, 3)
    link(blog, linking, many, 30)
    root = model[:1].lower() + model[1:]
    query = f"query ($id: ID!) {{ {root}(where: {{id: $id}}) {{ id posts(first: {PAGE}) {{ id }} }} }}"
    counts = []
    for parent_id, size in ((few, 3), (many, PAGE)):
        with blog.calls() as calls:
            posts = blog.data(query, {"id": parent_id})[root]["posts"]
        assert len(posts) == size
        counts.append(dict(calls.counts))
    assert counts[0] == counts[1] == expected


def test_a_forward_edge_read_is_consistent_and_a_backward_one_goes_through_the_index(blog: Api) -> None:
    tag_id = create(blog, "Tag", {"name": "t"})
    post_id = blog.data(WITH_TAG, {"id": tag_id})["createPost"]["data"]["id"]
    edge_table = blog.service.tables.edge.Meta.table_name
    reads = {
        "post": (f"query ($id: ID!) {{ post(where: {{id: $id}}) {{ tags(first: {PAGE}) {{ id }} }} }}", post_id),
        "tag": (f"query ($id: ID!) {{ tag(where: {{id: $id}}) {{ posts(first: {PAGE}) {{ id }} }} }}", tag_id),
    }
    queries = {}
    for name, (query, record_id) in reads.items():
        with requests(blog) as sent:
            related = blog.data(query, {"id": record_id})[name]
        assert [r["id"] for r in next(iter(related.values()))] == [tag_id if name == "post" else post_id]
        (queries[name],) = [p for operation, p in sent if operation == "Query" and p["TableName"] == edge_table]
    # Post.tags is stored forward: a Query of the edge table itself, strongly consistent.
    assert "IndexName" not in queries["post"]
    assert queries["post"]["ConsistentRead"] is True
    # Tag.posts reads it backward, through the edge index, which DynamoDB keeps eventually consistent.
    assert queries["tag"]["IndexName"] == "backward"
    assert not queries["tag"].get("ConsistentRead")
