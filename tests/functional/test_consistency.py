"""The consistency checker finds nothing on data written through the API, and finds what breaks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

import pytest
from pynamodb.expressions.operand import Path

from chalicelib.store import sorted_keys
from tests.conftest import Api
from tests.functional.helpers import api_on, create_mutation, update_mutation
from tooling.cli import main
from tooling.consistency import check

CREATE = """
mutation ($i: Int!, $name: String!, $email: String!) {
  createCity(input: {data: {name: $name, population: $i, user: {create: [{email: $email, displayname: $name}]}}}) {
    data { id }
  }
}
"""


def _populate(cities: Api, count: int = 4) -> None:
    for i in range(count):
        cities.data(CREATE, {"i": i, "name": f"c{i}", "email": f"u{i}@x.com"})


def test_data_written_through_the_api_is_consistent(cities: Api) -> None:
    _populate(cities)
    cities.data('mutation { updateManyCities(input: {where: {}, data: {name: "x"}}) { count } }')
    cities.data('mutation { deleteUser(input: {where: {email: "u0@x.com"}}) { data { id } } }')
    assert list(check(cities.service.store)) == []


def test_each_kind_of_break_is_reported(cities: Api) -> None:
    _populate(cities, 2)
    tables = cities.service.tables
    user = next(iter(tables.model_class("User").scan()))
    tables.guard(key="User#email#=ghost@x.com", owner=user.attribute_values["id"]).save()
    user.update(actions=[Path("_ix_displayname").set({"S": "=wrong"}), Path("address").set({"S": "Q2l0eTpub3doZXJl"})])
    problems = list(check(cities.service.store))
    assert sorted(p.kind for p in problems) == ["guard", "index", "relation"]
    assert any("ghost@x.com" in p.detail for p in problems)


def _point_the_command_at(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = api.service.settings
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", settings.store.endpoint_url or "")
    monkeypatch.setenv("TABLE_PREFIX", settings.store.table_prefix)
    monkeypatch.setenv("SCHEMA", str(settings.schema_path))


def test_the_command_exits_non_zero_on_problems(cities: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    _populate(cities, 1)
    _point_the_command_at(cities, monkeypatch)
    assert main(["check"]) == 0
    cities.service.tables.guard(key="User#email#=ghost@x.com", owner="nobody").save()
    assert main(["check"]) == 1


# Ordered indexes: each record's stored keys are those its values give.

BLOG = """
type User @model { id: ID! name: String posts: [Post] }
type Post @model @index(sortBy: "createdAt") @index(fields: ["author"], sortBy: "score") {
  id: ID!
  title: String
  createdAt: DateTime @createdTimestamp(allowManual: true)
  score: Float
  author: User
}
"""


@pytest.fixture
def blog(make_api: Callable[..., Api], tmp_path: FilePath) -> Api:
    api = api_on(make_api, tmp_path, BLOG)
    ann = api.data(create_mutation("User"), {"data": {"name": "ann"}})["createUser"]["data"]["id"]
    for number in range(4):
        data: dict[str, Any] = {"title": f"p{number}", "score": number if number else None}
        if number % 2:
            data["author"] = {"connect": {"id": ann}}
        api.data(create_mutation("Post"), {"data": data})
    return api


def _post_ids(api: Api) -> dict[str, str]:
    return {p["title"]: p["id"] for p in api.data("{ posts { id title } }")["posts"]}


def _set_keys(api: Api, post_id: str, set_: dict[str, str], remove: tuple[str, ...] = ()) -> None:
    """Writes a post's attributes straight to DynamoDB, past the store."""
    names = {f"#a{n}": name for n, name in enumerate([*set_, *remove])}
    by_name = {name: alias for alias, name in names.items()}
    clauses = []
    if set_:
        clauses.append("SET " + ", ".join(f"{by_name[name]} = :v{n}" for n, name in enumerate(set_)))
    if remove:
        clauses.append("REMOVE " + ", ".join(by_name[name] for name in remove))
    values = {f":v{n}": {"S": value} for n, value in enumerate(set_.values())}
    api.service.tables.connection.client.update_item(
        TableName=api.service.tables.model_class("Post").Meta.table_name,
        Key={"id": {"S": post_id}},
        UpdateExpression=" ".join(clauses),
        ExpressionAttributeNames=names,
        **({"ExpressionAttributeValues": values} if values else {}),
    )


def test_ordered_index_keys_written_through_the_api_are_consistent(blog: Api) -> None:
    ids = _post_ids(blog)
    blog.data(update_mutation("Post"), {"id": ids["p1"], "data": {"score": 7.5, "author": {"disconnect": True}}})
    blog.data(update_mutation("Post"), {"id": ids["p2"], "data": {"createdAt": None}})
    blog.data("mutation { updateManyPosts(input: {where: {}, data: {score: 1}}) { count } }")
    blog.data(f'mutation {{ deletePost(input: {{where: {{id: "{ids["p3"]}"}}}}) {{ data {{ id }} }} }}')
    assert list(check(blog.service.store)) == []


def test_a_missing_stale_or_extra_ordered_index_key_is_reported(blog: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _post_ids(blog)
    model = blog.service.registry.model("Post")
    by_created, by_author = model.sorted_indexes
    _point_the_command_at(blog, monkeypatch)
    assert main(["check"]) == 0
    # p0 has no author: in no partition of the author index. p1 has one.
    _set_keys(blog, ids["p0"], {sorted_keys.hash_attribute(model, by_author): ids["p0"]})
    _set_keys(blog, ids["p1"], {}, remove=(sorted_keys.hash_attribute(model, by_author),))
    stale = sorted_keys.range_key(model, by_created, "2000-01-01T00:00:00.000Z", ids["p2"])
    _set_keys(blog, ids["p2"], {sorted_keys.range_attribute(model, by_created): stale})
    problems = list(check(blog.service.store))
    assert sorted((p.kind, p.record_id) for p in problems) == sorted(
        ("sorted index", ids[title]) for title in ("p0", "p1", "p2")
    )
    found = {p.record_id: p.detail for p in problems}
    created, author = sorted_keys.index_name(model, by_created), sorted_keys.index_name(model, by_author)
    assert found[ids["p0"]] == f"{author}: hash key {ids['p0']!r}, where its values keep it out of the index"
    assert found[ids["p1"]].startswith(f"{author}: no hash key, where its values give ")
    assert found[ids["p2"]].startswith(f"{created}: range key {stale!r}, where its values give ")
    assert main(["check"]) == 1
