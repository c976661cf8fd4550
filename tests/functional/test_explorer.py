"""The GraphiQL explorer's page: what it opens with, on any schema, and its settings."""

from __future__ import annotations

import json
import re
from typing import Any

from graphql import build_schema, parse, validate

from chalicelib.explorer.default_query import TYPENAME_QUERY, default_query
from tests.conftest import Api


def _config(api: Api) -> dict[str, Any]:
    response = api.client.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    found = re.search(rb'<script id="explorer-config" type="application/json">(.*?)</script>', response.body)
    assert found is not None
    config: dict[str, Any] = json.loads(found.group(1))
    return config


def test_the_default_query_of_a_schema_without_sessions_is_a_page_of_its_first_model(cities: Api) -> None:
    query = _config(cities)["defaultQuery"]
    assert "cities(first: 10) {" in query
    assert "currentSession" not in query
    assert validate(cities.service.schema, parse(query)) == []
    cities.data('mutation { createCity(input: {data: {name: "NY"}}) { data { id } } }')
    assert cities.data(query)["cities"][0]["name"] == "NY"


def test_the_default_query_of_the_default_schema_is_the_current_session(api: Api) -> None:
    query = _config(api)["defaultQuery"]
    assert "currentSession" in query
    assert validate(api.service.schema, parse(query)) == []
    assert api.data(query)["currentSession"]["id"]


def test_a_schema_without_lists_opens_with_typename() -> None:
    schema = build_schema("type Query { hello(name: String!): String }")
    query = default_query(schema)
    assert query.endswith(TYPENAME_QUERY)
    assert validate(schema, parse(query)) == []
