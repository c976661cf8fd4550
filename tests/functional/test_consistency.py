"""The consistency checker finds nothing on data written through the API, and finds what breaks."""

from __future__ import annotations

import pytest
from pynamodb.expressions.operand import Path

from chalicelib.__main__ import main
from chalicelib.consistency import check
from tests.conftest import Api

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


def test_the_command_exits_non_zero_on_problems(cities: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    _populate(cities, 1)
    settings = cities.service.settings
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", settings.store.endpoint_url or "")
    monkeypatch.setenv("TABLE_PREFIX", settings.store.table_prefix)
    monkeypatch.setenv("SCHEMA", str(settings.schema_path))
    assert main(["check"]) == 0
    cities.service.tables.guard(key="User#email#=ghost@x.com", owner="nobody").save()
    assert main(["check"]) == 1
