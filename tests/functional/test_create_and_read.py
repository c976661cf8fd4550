"""createX, the singular query, the plain list query and node(id), through the GraphQL API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.errors import INVALID_INPUT, INVALID_RECORD
from tests.conftest import CITIES_SCHEMA, Api

CREATE_CITY = """
mutation ($data: CityCreateInput!, $id: String) {
  createCity(input: {data: $data, clientMutationId: $id}) {
    data { id name neighborhoods founded population }
    clientMutationId
    unalteredData { id }
  }
}
"""
CREATE_USER = """
mutation ($data: UserCreateInput!) {
  createUser(input: {data: $data}) { data { id email name username roles { key name } createdAt updatedAt } }
}
"""


CREATE_GENIE_USER = """
mutation ($data: UserCreateInput!) { createUser(input: {data: $data}) { data { id } } }
"""


def create_user(api: Api, **data: object) -> Any:
    """The createUser result of the cities example, errors included."""
    return api.query(CREATE_GENIE_USER, {"data": data})


def create_city(api: Api, **data: object) -> dict[str, object]:
    result: dict[str, object] = api.data(CREATE_CITY, {"data": {"name": "NY", **data}})["createCity"]["data"]
    return result


def test_create_city_round_trips_by_id_and_node(cities: Api) -> None:
    result = cities.data(
        CREATE_CITY,
        {"data": {"name": "NY", "neighborhoods": ["queens", "manhattan"], "founded": "1624-01-01"}, "id": "c1"},
    )["createCity"]
    city = result["data"]
    assert result["clientMutationId"] == "c1"
    assert result["unalteredData"] is None
    assert city["name"] == "NY"
    assert city["neighborhoods"] == ["queens", "manhattan"]
    assert city["population"] is None
    fetched = cities.data("query ($id: ID!) { city(id: $id) { id name neighborhoods founded } }", {"id": city["id"]})
    assert fetched["city"] == {k: city[k] for k in ("id", "name", "neighborhoods", "founded")}
    node = cities.data("query ($id: ID!) { node(id: $id) { __typename id ... on City { name } } }", {"id": city["id"]})
    assert node["node"] == {"__typename": "City", "id": city["id"], "name": "NY"}


def test_client_mutation_id_is_null_when_omitted(cities: Api) -> None:
    result = cities.data(CREATE_CITY, {"data": {"name": "NY"}})["createCity"]
    assert result["clientMutationId"] is None


def test_ids_are_generated_by_the_server(cities: Api) -> None:
    result = cities.query('mutation { createCity(input: {data: {name: "NY", id: "mine"}}) { data { id } } }')
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    first, second = create_city(cities), create_city(cities)
    assert first["id"] != second["id"]


def test_list_nulls_survive_and_singular_by_unique_field(cities: Api) -> None:
    city = create_city(cities, neighborhoods=["a", None, "a"])
    assert city["neighborhoods"] == ["a", None, "a"]
    user = cities.data(
        'mutation { createUser(input: {data: {email: "s@example.com", displayname: "steve"}}) { data { id } } }'
    )
    user_id = user["createUser"]["data"]["id"]
    by_email = cities.data('{ user(email: "s@example.com") { id displayname } }')["user"]
    by_where = cities.data('{ user(where: {displayname: "steve"}) { id } }')["user"]
    assert by_email == {"id": user_id, "displayname": "steve"}
    assert by_where == {"id": user_id}


def test_where_unique_keys_must_all_match_one_record(cities: Api) -> None:
    create_user(cities, email="a@example.com", displayname="a")
    create_user(cities, email="b@example.com", displayname="b")
    assert cities.data('{ user(where: {email: "a@example.com", displayname: "a"}) { email } }')["user"] == {
        "email": "a@example.com"
    }
    assert cities.data('{ user(where: {email: "a@example.com", displayname: "b"}) { email } }')["user"] is None
    assert cities.data('{ user(where: {email: "a@example.com"}, displayname: "b") { email } }')["user"] is None
    assert cities.data('{ user(email: "nobody@example.com") { email } }')["user"] is None


def test_empty_or_null_where_unique_is_an_error(cities: Api) -> None:
    for query in ["{ city(where: {}) { id } }", "{ city { id } }", "{ user(where: {email: null}) { id } }"]:
        result = cities.query(query)
        assert result["data"]["city" if "city" in query else "user"] is None
        assert result["errors"][0]["extensions"]["code"] == INVALID_INPUT


def test_ids_of_other_types_find_nothing_and_bad_ids_are_errors(cities: Api) -> None:
    city = create_city(cities)
    assert cities.data("query ($id: ID!) { user(id: $id) { id } }", {"id": city["id"]})["user"] is None
    result = cities.query('{ node(id: "not-an-id") { id } }')
    assert result["errors"][0]["extensions"]["code"] == INVALID_INPUT
    assert result["errors"][0]["message"] == "'not-an-id' is not a valid id"


def test_plain_list_query(cities: Api) -> None:
    names = {"A", "B", "C"}
    for name in names:
        create_city(cities, name=name)
    listed = cities.data("{ cities { name } }")["cities"]
    assert {c["name"] for c in listed} == names


def test_list_beyond_the_page_cap_is_reported_not_truncated(make_api: Callable[..., Api]) -> None:
    cities = make_api(CITIES_SCHEMA, page_cap=2)
    for _ in range(2):
        create_city(cities)
    assert len(cities.data("{ cities { id } }")["cities"]) == 2
    create_city(cities)
    result = cities.query("{ cities { id } }")
    assert result["data"] is None
    assert "more than 2 records to read" in result["errors"][0]["message"]


def test_defaults_timestamps_and_roles(api: Api) -> None:
    user = api.data(CREATE_USER, {"data": {"email": "ann@example.com", "name": "Ann"}})["createUser"]["data"]
    assert user["roles"] == [{"key": "signed-in", "name": "Signed In"}]
    assert user["createdAt"] == user["updatedAt"]
    assert user["createdAt"].endswith("Z")
    explicit = api.data(CREATE_USER, {"data": {"email": "bob@example.com", "roles": None}})["createUser"]["data"]
    assert explicit["roles"] is None


def test_managed_timestamps_cannot_be_written(api: Api) -> None:
    result = api.query(CREATE_USER, {"data": {"email": "a@example.com", "createdAt": "2000-01-01T00:00:00Z"}})
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_passwords_are_stored_as_argon2id_hashes_and_never_readable(api: Api) -> None:
    user = api.data(CREATE_USER, {"data": {"email": "p@example.com", "password": "correct horse battery"}})
    user_id = user["createUser"]["data"]["id"]
    stored = api.service.tables.model_class("User").get(user_id).attribute_values["f_password"]
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    result = api.query("query ($id: ID!) { user(id: $id) { password } }", {"id": user_id})
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_scalar_validation_errors_name_the_problem(api: Api) -> None:
    result = api.query(CREATE_USER, {"data": {"email": "not-an-email"}})
    error = result["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "'not-an-email' is not an email address" in error["message"]
    result = api.query(CREATE_USER, {"data": {"email": "a@example.com", "password": "short"}})
    assert "a password has 8 to 256 characters" in result["errors"][0]["message"]


def test_duplicate_unique_value_fails_naming_type_and_field_and_writes_nothing(cities: Api) -> None:
    create_user(cities, email="s@example.com", displayname="steve")
    result = create_user(cities, email="s@example.com", displayname="other")
    error = result["errors"][0]
    assert result["data"]["createUser"] is None
    assert error["extensions"]["code"] == INVALID_RECORD
    assert error["extensions"]["model"] == "User"
    assert error["extensions"]["field"] == "email"
    assert "User.email must be unique" in error["message"]
    users = cities.data("{ users { displayname } }")["users"]
    assert users == [{"displayname": "steve"}]
    assert cities.data('{ user(displayname: "other") { id } }')["user"] is None


def test_null_unique_values_do_not_collide(cities: Api) -> None:
    for email in ["a@example.com", "b@example.com"]:
        assert "errors" not in create_user(cities, email=email)
    assert len(cities.data("{ users { id } }")["users"]) == 2


def test_empty_string_is_a_unique_value_like_any_other(cities: Api) -> None:
    create_user(cities, email="a@example.com", displayname="")
    assert (
        create_user(cities, email="b@example.com", displayname="")["errors"][0]["extensions"]["field"] == "displayname"
    )
    assert cities.data('{ user(displayname: "") { email } }')["user"] == {"email": "a@example.com"}
