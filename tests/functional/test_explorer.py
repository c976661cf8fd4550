"""The GraphiQL explorer's page: what it opens with, on any schema, and its settings."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

from graphql import build_schema, parse, validate

from chalicelib.api.descriptions import describe
from chalicelib.api.sdl import generate_sdl
from chalicelib.explorer import LIBRARIES, page
from chalicelib.explorer.default_query import TYPENAME_QUERY, default_query
from chalicelib.schema import load_schema
from chalicelib.settings import Settings
from tests.conftest import Api
from tests.functional.test_interfaces import SCHEMA as INTERFACES
from tooling.local.server import GRAPHIQL


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


INTROSPECTION = """
{ __schema { types { name description kind
    fields { name description args { name description } }
    inputFields { name description }
    enumValues { name description } } } }
"""


def _undescribed(api: Api) -> list[str]:
    """Every type, field, argument, input field and enum value of the API without a description."""
    missing = []
    for kind in api.data(INTROSPECTION)["__schema"]["types"]:
        name = kind["name"]
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue  # GraphQL's own
        missing += [] if kind["description"] else [name]
        for field in kind["fields"] or []:
            missing += [] if field["description"] else [f"{name}.{field['name']}"]
            missing += [f"{name}.{field['name']}({a['name']})" for a in field["args"] if not a["description"]]
        for part in [*(kind["inputFields"] or []), *(kind["enumValues"] or [])]:
            missing += [] if part["description"] else [f"{name}.{part['name']}"]
    return missing


def test_every_part_of_the_cities_api_is_described(cities: Api) -> None:
    assert _undescribed(cities) == []
    types = {t["name"]: t for t in cities.data(INTROSPECTION)["__schema"]["types"]}
    query = {f["name"]: f for f in types["Query"]["fields"]}
    assert query["cities"]["description"].startswith("City records: filter with `where`")
    assert {a["name"]: a["description"] for a in query["cities"]["args"]}["name"] == (
        "Only the records whose `name` is any of these values (as `where: {match: ...}`)."
    )
    city = {f["name"]: f["description"] for f in types["City"]["fields"]}
    assert city["user"].startswith("The related User records (the other side: User.address)")
    assert city["name"] == "The City's `name`, a String; never null."
    nested = {f["name"]: f["description"] for f in types["UserUpdateManyWithoutAddressInput"]["inputFields"]}
    assert nested["disconnect"] == "Linked User records to unlink (the parent's own only)."


def test_every_part_of_the_default_api_is_described_and_the_schemas_own_words_stay(api: Api) -> None:
    assert _undescribed(api) == []
    types = {t["name"]: t for t in api.data(INTROSPECTION)["__schema"]["types"]}
    session = {f["name"]: f["description"] for f in types["Session"]["fields"]}
    assert session["cart"] == "Domain names in the cart."  # from schema.graphql


def test_the_subscriptions_url_comes_from_the_setting_and_cannot_close_its_script(cities: Api) -> None:
    assert _config(cities)["subscriptionsUrl"] is None  # the page's own host and path
    url = "wss://example.execute-api.us-east-1.amazonaws.com/dev?x=</script><script>alert(1)</script>"
    html = page(cities.service.schema, url)
    assert html.count("</script>") == html.count("<script")
    found = re.search(r'<script id="explorer-config" type="application/json">(.*?)</script>', html)
    assert found is not None
    assert json.loads(found.group(1))["subscriptionsUrl"] == url
    assert Settings.from_environ({"GRAPHIQL_SUBSCRIPTIONS_URL": url}).graphiql_subscriptions_url == url


def test_the_page_serves_its_own_script_and_loads_the_libraries_beside_it_locally(cities: Api) -> None:
    html = page(cities.service.schema)
    for library in LIBRARIES:
        assert f'"graphql/assets/{library.name}"' in html
    assert 'src="graphql/assets/explorer.js"' in html
    response = cities.client.http.get("/graphql/assets/explorer.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
    # The libraries are the local server's to serve (tests/functional/test_local_server.py): the
    # Lambda package has none of them.
    assert cities.client.http.get("/graphql/assets/graphiql.min.js").status_code == 404


def test_a_deployed_page_loads_the_pinned_libraries_from_npm_with_their_integrity(cities: Api) -> None:
    settings = Settings.from_environ({"STAGE": "dev"})
    assert settings.graphiql_libraries_url == "https://cdn.jsdelivr.net/npm/"
    html = page(cities.service.schema, None, settings.graphiql_libraries_url)
    for library in LIBRARIES:
        # The hash is the one of the file the local server serves, byte for byte the one on npm.
        digest = base64.b64encode(hashlib.sha384((GRAPHIQL / library.name).read_bytes()).digest()).decode()
        assert library.integrity == f"sha384-{digest}"
        url = f"https://cdn.jsdelivr.net/npm/{library.npm_path}"
        assert f'"{url}" integrity="{library.integrity}" crossorigin="anonymous"' in html
    assert "graphql/assets/graphiql" not in html
    assert Settings.from_environ({}).graphiql_libraries_url is None  # the local stage: served beside the page
    for given in ["https://npm.example/", "https://npm.example"]:
        mirror = Settings.from_environ({"STAGE": "dev", "GRAPHIQL_LIBRARIES_URL": given})
        assert mirror.graphiql_libraries_url == "https://npm.example/"


def test_the_inputs_of_interfaces_and_unions_are_described() -> None:
    registry = load_schema(INTERFACES)
    schema = build_schema(generate_sdl(registry))
    describe(schema, registry)
    missing = [name for name, kind in schema.type_map.items() if not name.startswith("__") and not kind.description]
    assert set(missing) <= {"Boolean", "ID", "String", "Int", "Float"}  # GraphQL's own
    for kind in schema.type_map.values():
        if kind.name.startswith("__"):
            continue  # introspection's own
        for name, field in getattr(kind, "fields", {}).items():
            assert field.description, (kind.name, name)
            for arg_name, arg in getattr(field, "args", {}).items():
                assert arg.description, (kind.name, name, arg_name)
