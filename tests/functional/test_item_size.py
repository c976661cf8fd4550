"""Writes past DynamoDB's 400 KB item limit are GGT_INVALID_INPUT, and nothing is written: a new
record is measured before it is sent; an update that grows a record past the limit is refused by
DynamoDB, and that refusal is reported as the client's input."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import INVALID_INPUT
from tests.conftest import Api

# 50 kB: a request body holds it once, and a list may name it many times over.
CHUNK = "x" * 50_000
TOO_LARGE = "DynamoDB stores in one item"


def _neighborhoods(count: int) -> str:
    return "[" + ", ".join(["$s"] * count) + "]"


def _create_city(chunks: int, nested: str = "") -> str:
    """A createCity whose neighborhoods name the variable `$s` `chunks` times."""
    data = f'{{name: "a", neighborhoods: {_neighborhoods(chunks)}{nested}}}'
    return f"mutation ($s: String) {{ createCity(input: {{data: {data}}}) {{ data {{ id }} }} }}"


def _refused(result: dict[str, Any]) -> None:
    assert [e["extensions"]["code"] for e in result.get("errors") or []] == [INVALID_INPUT], result
    assert TOO_LARGE in result["errors"][0]["message"]


def test_a_new_record_past_the_limit_is_refused_before_it_is_sent(cities: Api) -> None:
    for nested in ["", ', user: {create: [{email: "u@x.com"}]}']:
        query = _create_city(10, nested)
        with cities.calls() as calls:
            result = cities.query(query, {"s": CHUNK})
        _refused(result)
        assert "bytes) than the 409,600 bytes" in result["errors"][0]["message"]
        assert calls.total == 0
    assert cities.data("{ cities { id } users { id } }") == {"cities": [], "users": []}


def test_a_record_within_the_limit_is_stored_whole(cities: Api) -> None:
    city_id = cities.data(_create_city(7), {"s": CHUNK})["createCity"]["data"]["id"]
    found = cities.data("query ($id: ID) { city(id: $id) { neighborhoods } }", {"id": city_id})
    assert found["city"]["neighborhoods"] == [CHUNK] * 7


def test_pushing_past_the_limit_is_refused_and_the_record_keeps_what_it_had(cities: Api) -> None:
    city_id = cities.data('mutation { createCity(input: {data: {name: "a"}}) { data { id } } }')["createCity"]["data"][
        "id"
    ]
    user_id = cities.data('mutation { createUser(input: {data: {email: "u@x.com"}}) { data { id } } }')["createUser"][
        "data"
    ]["id"]
    push = (
        "mutation ($id: ID, $s: String) {"
        " updateCity(input: {where: {id: $id}, data: {neighborhoods: {push: [$s, $s]}}}) { data { id } } }"
    )
    pushed = 0
    while "errors" not in (result := cities.query(push, {"id": city_id, "s": CHUNK})):
        pushed += 2
        assert pushed < 20, "pushing never reached the limit"
    _refused(result)
    in_a_transaction = (
        "mutation ($id: ID, $u: ID, $s: String) { updateCity(input: {where: {id: $id},"
        " data: {neighborhoods: {push: [$s, $s]}, user: {connect: [{id: $u}]}}}) { data { id } } }"
    )
    _refused(cities.query(in_a_transaction, {"id": city_id, "u": user_id, "s": CHUNK}))
    many = (
        "mutation ($s: String) {"
        " updateManyCities(input: {where: {}, data: {neighborhoods: {push: [$s, $s]}}}) { count } }"
    )
    _refused(cities.query(many, {"s": CHUNK}))
    found = cities.data("query ($id: ID) { city(id: $id) { neighborhoods user { id } } }", {"id": city_id})
    assert found["city"] == {"neighborhoods": [CHUNK] * pushed, "user": []}


def test_an_imported_record_past_the_limit_is_refused(cities: Api) -> None:
    # A JSON literal may name variables: the record holds the chunk ten times.
    query = (
        'mutation ($s: String) { importData(data: [{__typename: "City", name: "a",'
        f" neighborhoods: {_neighborhoods(10)}}}]) {{ data }} }}"
    )
    _refused(cities.query(query, {"s": CHUNK}))
    assert cities.data("{ cities { id } }") == {"cities": []}


def test_a_session_cart_past_the_limit_is_refused(api: Api) -> None:
    domain = ".".join(["a" * 60, "b" * 60, "c" * 60, "com"])
    cart = "[" + ", ".join(["$d"] * 3000) + "]"
    _refused(
        api.query(
            f"mutation ($d: String) {{ createSession(options: {{cart: {cart}}}) {{ detail {{ id }} }} }}", {"d": domain}
        )
    )
    session = api.data("mutation { createSession(options: {}) { detail { id } } }")["createSession"]["detail"]["id"]
    update = (
        f"mutation ($d: String, $id: ID) {{ updateSession(changes: {{cart: {cart}}}, options: {{id: $id}})"
        " { detail { id } } }"
    )
    _refused(api.query(update, {"d": domain, "id": session}))
