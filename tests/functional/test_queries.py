"""The read API through GraphQL: where (match, range, exists, and/or/not, relation filters), root match
arguments, orderBy, pagination and cursors, errors, nested list arguments, the read cap, round trips
and exportData, on the Genie cities example."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.errors import INVALID_INPUT
from tests.conftest import CITIES_SCHEMA, Api
from tests.functional.helpers import flipped, forged, opened

CREATE_CITY = "mutation ($data: CityCreateInput!) { createCity(input: {data: $data}) { data { id } } }"
CREATE_USER = "mutation ($data: UserCreateInput!) { createUser(input: {data: $data}) { data { id } } }"
CITY_NAMES = "query ($where: CityWhereInput) { cities(where: $where) { name } }"
CITY_IDS = "query ($where: CityWhereInput) { cities(where: $where) { id } }"
USER_NAMES = "query ($where: UserWhereInput) { users(where: $where) { displayname } }"
CONNECTION = """
query ($where: CityWhereInput, $orderBy: CityOrderByInput, $first: Int, $last: Int, $skip: Int,
       $after: String, $before: String) {
  citiesConnection(where: $where, orderBy: $orderBy, first: $first, last: $last, skip: $skip,
                   after: $after, before: $before) {
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
BY_NAME = {"name": "ASC"}


def city(api: Api, name: str, **data: Any) -> str:
    created = api.data(CREATE_CITY, {"data": {"name": name, **data}})
    city_id: str = created["createCity"]["data"]["id"]
    return city_id


def user(api: Api, email: str, displayname: str | None = None, address: str | None = None) -> str:
    data: dict[str, Any] = {"email": email, "displayname": displayname}
    if address is not None:
        data["address"] = {"connect": {"id": address}}
    user_id: str = api.data(CREATE_USER, {"data": data})["createUser"]["data"]["id"]
    return user_id


def city_with_users(api: Api, name: str, *displaynames: str, **data: Any) -> str:
    users = [{"email": f"{d}@x.com", "displayname": d} for d in displaynames]
    return city(api, name, user={"create": users}, **data)


def city_names(api: Api, where: dict[str, Any]) -> list[str]:
    return sorted(c["name"] for c in api.data(CITY_NAMES, {"where": where})["cities"])


def user_names(api: Api, where: dict[str, Any]) -> list[str]:
    return sorted(u["displayname"] for u in api.data(USER_NAMES, {"where": where})["users"])


def page(api: Api, **variables: Any) -> dict[str, Any]:
    connection: dict[str, Any] = api.data(CONNECTION, variables)["citiesConnection"]
    return connection


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


def error_code(result: dict[str, Any]) -> str:
    assert result.get("errors"), result
    code: str = result["errors"][0]["extensions"]["code"]
    return code


@pytest.fixture
def five(cities: Api) -> Api:
    """Cities A..E, created out of order."""
    for name in ["C", "A", "E", "B", "D"]:
        city(cities, name)
    return cities


def city_id_of(api: Api, name: str) -> str:
    found: str = api.data(CITY_IDS, {"where": {"match": {"name": name}}})["cities"][0]["id"]
    return found


def cursor_of(api: Api, name: str, order_by: dict[str, str] | None = None) -> str:
    everything = page(api, orderBy=order_by or BY_NAME)
    found: str = next(e["cursor"] for e in everything["edges"] if e["node"]["name"] == name)
    return found


# where.match


def test_match_is_exact_and_case_sensitive(cities: Api) -> None:
    for name in ["NY", "ny", "NYC"]:
        city(cities, name)
    assert city_names(cities, {"match": {"name": "ny"}}) == ["ny"]
    assert city_names(cities, {"match": {"name": "NY"}}) == ["NY"]
    assert city_names(cities, {"match": {"name": "N"}}) == []


def test_match_any_of_a_list_of_values(cities: Api) -> None:
    for name in ["NY", "LA", "SF"]:
        city(cities, name)
    assert city_names(cities, {"match": {"name": ["NY", "SF", "Boston"]}}) == ["NY", "SF"]


def test_match_on_a_list_field_is_contains_any(cities: Api) -> None:
    city(cities, "NY", neighborhoods=["queens", "manhattan"])
    city(cities, "LA", neighborhoods=["venice"])
    city(cities, "SF", neighborhoods=[])
    city(cities, "Austin")
    assert city_names(cities, {"match": {"neighborhoods": "queens"}}) == ["NY"]
    assert city_names(cities, {"match": {"neighborhoods": ["venice", "manhattan"]}}) == ["LA", "NY"]
    assert city_names(cities, {"match": {"neighborhoods": ["Queens"]}}) == []


def test_match_null_finds_null_values(cities: Api) -> None:
    city(cities, "NY", population=8)
    city(cities, "LA", population=0)
    city(cities, "SF")
    assert city_names(cities, {"match": {"population": None}}) == ["SF"]
    assert city_names(cities, {"match": {"population": [None, 8]}}) == ["NY", "SF"]


# where.range


def test_range_is_inclusive(cities: Api) -> None:
    for name, population in [("A", 1), ("B", 2), ("C", 3), ("D", 4)]:
        city(cities, name, population=population)
    assert city_names(cities, {"range": {"population": [2, 3]}}) == ["B", "C"]


def test_range_with_open_ends(cities: Api) -> None:
    for name, population in [("A", 1), ("B", 2), ("C", 3)]:
        city(cities, name, population=population)
    assert city_names(cities, {"range": {"population": [None, 2]}}) == ["A", "B"]
    assert city_names(cities, {"range": {"population": [2, None]}}) == ["B", "C"]


def test_null_values_never_match_a_range(cities: Api) -> None:
    city(cities, "A", population=1)
    city(cities, "Null")
    assert city_names(cities, {"range": {"population": [None, 10]}}) == ["A"]
    assert city_names(cities, {"range": {"population": [None, None]}}) == ["A"]


def test_string_ranges_compare_by_code_point(cities: Api) -> None:
    for name in ["A", "B", "a", "b"]:
        city(cities, name)
    assert city_names(cities, {"range": {"name": ["B", "a"]}}) == ["B", "a"]
    assert city_names(cities, {"range": {"name": ["a", None]}}) == ["a", "b"]
    assert city_names(cities, {"range": {"name": [None, "Z"]}}) == ["A", "B"]


def test_date_ranges_compare_by_date(cities: Api) -> None:
    city(cities, "NY", founded="1624-01-01")
    city(cities, "LA", founded="1781-09-04")
    city(cities, "SF", founded="1776-06-29")
    city(cities, "Vegas", founded="1905-05-15")
    city(cities, "Unknown")
    assert city_names(cities, {"range": {"founded": ["1700-01-01", "1800-12-31"]}}) == ["LA", "SF"]
    assert city_names(cities, {"range": {"founded": [None, "1776-06-29"]}}) == ["NY", "SF"]


# where.exists


def test_exists_true_means_not_null(cities: Api) -> None:
    city(cities, "NY", population=8)
    city(cities, "SF")
    assert city_names(cities, {"exists": {"population": True}}) == ["NY"]
    assert city_names(cities, {"exists": {"population": False}}) == ["SF"]


def test_zero_and_empty_string_exist(cities: Api) -> None:
    city(cities, "", population=0)
    city(cities, "Nothing")
    assert city_names(cities, {"exists": {"population": True}}) == [""]
    assert city_names(cities, {"exists": {"name": True}}) == ["", "Nothing"]
    assert city_names(cities, {"exists": {"name": False}}) == []


def test_an_empty_list_does_not_exist(cities: Api) -> None:
    city(cities, "Empty", neighborhoods=[])
    city(cities, "Full", neighborhoods=["queens"])
    city(cities, "Null")
    assert city_names(cities, {"exists": {"neighborhoods": True}}) == ["Full"]
    assert city_names(cities, {"exists": {"neighborhoods": False}}) == ["Empty", "Null"]


def test_exists_on_a_to_many_relation(cities: Api) -> None:
    city_with_users(cities, "NY", "steve")
    city(cities, "LA")
    assert city_names(cities, {"exists": {"user": True}}) == ["NY"]
    assert city_names(cities, {"exists": {"user": False}}) == ["LA"]


def test_exists_on_a_to_one_relation(cities: Api) -> None:
    ny = city(cities, "NY")
    user(cities, "a@x.com", "ann", address=ny)
    user(cities, "b@x.com", "bob")
    assert user_names(cities, {"exists": {"address": True}}) == ["ann"]
    assert user_names(cities, {"exists": {"address": False}}) == ["bob"]


# and / or / not


def test_keys_side_by_side_and_and(cities: Api) -> None:
    city(cities, "NY", population=8)
    city(cities, "LA", population=4)
    city(cities, "SF", population=1)
    assert city_names(cities, {"match": {"name": ["NY", "LA"]}, "range": {"population": [5, None]}}) == ["NY"]
    where = {"and": [{"match": {"name": ["NY", "LA"]}}, {"range": {"population": [None, 5]}}]}
    assert city_names(cities, where) == ["LA"]


def test_or(cities: Api) -> None:
    city(cities, "NY", population=8)
    city(cities, "LA", population=4)
    city(cities, "SF", population=1)
    where = {"or": [{"match": {"name": "SF"}}, {"range": {"population": [5, None]}}]}
    assert city_names(cities, where) == ["NY", "SF"]


def test_not(cities: Api) -> None:
    city(cities, "NY", population=8)
    city(cities, "LA", population=4)
    assert city_names(cities, {"not": {"match": {"name": "NY"}}}) == ["LA"]


def test_not_range_includes_null_values(cities: Api) -> None:
    city(cities, "Big", population=8)
    city(cities, "Small", population=1)
    city(cities, "Null")
    assert city_names(cities, {"not": {"range": {"population": [5, None]}}}) == ["Null", "Small"]


def test_not_match_null_excludes_only_nulls(cities: Api) -> None:
    city(cities, "Zero", population=0)
    city(cities, "Null")
    assert city_names(cities, {"not": {"match": {"population": None}}}) == ["Zero"]


# Relation filters


@pytest.fixture
def people(cities: Api) -> Api:
    """NY with steve and ann, LA with bob, SF with nobody; carl has no address."""
    city_with_users(cities, "NY", "steve", "ann", population=8)
    city_with_users(cities, "LA", "bob", population=4)
    city(cities, "SF", population=1)
    user(cities, "carl@x.com", "carl")
    return cities


def test_to_one_relation_filter(people: Api) -> None:
    assert user_names(people, {"address": {"match": {"name": "NY"}}}) == ["ann", "steve"]


def test_to_many_relation_filter_has_some_semantics(people: Api) -> None:
    assert city_names(people, {"user": {"match": {"displayname": "steve"}}}) == ["NY"]
    assert city_names(people, {"user": {"match": {"displayname": ["ann", "bob"]}}}) == ["LA", "NY"]


def test_relation_filter_inside_or(people: Api) -> None:
    where = {"or": [{"user": {"match": {"displayname": "bob"}}}, {"match": {"name": "SF"}}]}
    assert city_names(people, where) == ["LA", "SF"]


def test_relation_filter_inside_not(people: Api) -> None:
    assert city_names(people, {"not": {"user": {"match": {"displayname": "steve"}}}}) == ["LA", "SF"]
    assert user_names(people, {"not": {"address": {"match": {"name": "NY"}}}}) == ["bob", "carl"]


def test_relation_filter_and_a_scalar_filter(people: Api) -> None:
    where = {"user": {"exists": {"displayname": True}}, "range": {"population": [None, 5]}}
    assert city_names(people, where) == ["LA"]


def test_relation_filter_at_depth_two(people: Api) -> None:
    where = {"address": {"user": {"match": {"displayname": "steve"}}}}
    assert user_names(people, where) == ["ann", "steve"]
    assert city_names(people, {"user": {"address": {"match": {"name": "LA"}}}}) == ["LA"]


def test_relation_filter_with_first_and_count(people: Api) -> None:
    city_with_users(people, "Austin", "dan")
    query = """
    query ($where: CityWhereInput, $first: Int, $skip: Int) {
      citiesConnection(where: $where, orderBy: {name: ASC}, first: $first, skip: $skip) {
        edges { node { name } } pageInfo { hasNextPage } aggregate { count }
      }
    }
    """
    where = {"user": {"match": {"displayname": ["steve", "bob", "dan"]}}}
    result = people.data(query, {"where": where, "first": 1, "skip": 1})["citiesConnection"]
    assert names(result) == ["LA"]
    assert result["pageInfo"]["hasNextPage"] is True
    assert result["aggregate"]["count"] == 3


def test_relation_filter_with_first_without_order_pages_through_matches(people: Api) -> None:
    city_with_users(people, "Austin", "dan")
    where = {"user": {"match": {"displayname": ["steve", "bob", "dan"]}}}
    first = page(people, where=where, first=2)
    assert len(first["edges"]) == 2
    assert first["pageInfo"]["hasNextPage"] is True
    rest = page(people, where=where, first=2, after=first["pageInfo"]["endCursor"])
    assert sorted(names(first) + names(rest)) == ["Austin", "LA", "NY"]
    assert rest["pageInfo"]["hasNextPage"] is False


# Root match arguments


def test_root_lookup_by_unique_field_keeps_the_order_asked_with_nulls(cities: Api) -> None:
    user(cities, "a@x.com", "ann")
    user(cities, "b@x.com", "bob")
    query = "query ($emails: [String!]) { users(email: $emails) { displayname } }"
    found = cities.data(query, {"emails": ["b@x.com", "missing@x.com", "a@x.com"]})["users"]
    assert found == [{"displayname": "bob"}, None, {"displayname": "ann"}]


def test_root_match_on_a_non_unique_field_filters(cities: Api) -> None:
    for name in ["A", "B", "C", "A"]:
        city(cities, name)
    found = cities.data('{ cities(name: ["A", "B"], orderBy: {name: ASC}) { name } }')["cities"]
    assert [c["name"] for c in found] == ["A", "A", "B"]


def test_root_match_combines_with_where(cities: Api) -> None:
    city(cities, "A", population=1)
    city(cities, "B", population=2)
    city(cities, "C", population=3)
    query = '{ cities(name: ["A", "B"], where: {range: {population: [2, null]}}) { name } }'
    assert cities.data(query)["cities"] == [{"name": "B"}]


# orderBy


@pytest.fixture
def populated(cities: Api) -> Api:
    for name, population in [("B", 2), ("D", None), ("A", 3), ("C", 1)]:
        city(cities, name, population=population)
    return cities


def ordered(api: Api, order_by: dict[str, str]) -> list[str]:
    query = "query ($o: CityOrderByInput) { cities(orderBy: $o) { name } }"
    return [c["name"] for c in api.data(query, {"o": order_by})["cities"]]


@pytest.mark.parametrize(
    ("direction", "expected"),
    [("ASC", "ABCD"), ("ASCENDING", "ABCD"), ("DESC", "DCBA"), ("DESCENDING", "DCBA")],
)
def test_order_by_name(populated: Api, direction: str, expected: str) -> None:
    assert ordered(populated, {"name": direction}) == list(expected)


@pytest.mark.parametrize(
    ("direction", "expected"),
    [("ASC", "CBAD"), ("ASCENDING", "CBAD"), ("DESC", "ABCD"), ("DESCENDING", "ABCD")],
)
def test_order_by_population_puts_nulls_last_both_ways(populated: Api, direction: str, expected: str) -> None:
    assert ordered(populated, {"population": direction}) == list(expected)


def test_order_by_two_keys_applies_them_in_the_order_written(cities: Api) -> None:
    for name, population in [("A", 1), ("B", 2), ("C", 2), ("D", None)]:
        city(cities, name, population=population)
    assert ordered(cities, {"population": "DESC", "name": "ASC"}) == ["B", "C", "A", "D"]
    assert ordered(cities, {"name": "DESC", "population": "DESC"}) == ["D", "C", "B", "A"]


def test_order_by_two_keys_written_inline(cities: Api) -> None:
    for name, population in [("A", 1), ("B", 2), ("C", 2)]:
        city(cities, name, population=population)
    found = cities.data("{ cities(orderBy: {population: DESC, name: ASC}) { name } }")["cities"]
    assert [c["name"] for c in found] == ["B", "C", "A"]


def test_order_without_order_by_is_stable(five: Api) -> None:
    query = "{ cities { id name } }"
    assert five.data(query) == five.data(query)
    connection = "{ citiesConnection { edges { cursor node { id } } } }"
    assert five.data(connection) == five.data(connection)


# Pagination


def test_first(five: Api) -> None:
    result = page(five, orderBy=BY_NAME, first=2)
    assert names(result) == ["A", "B"]
    assert result["pageInfo"]["hasNextPage"] is True
    assert result["pageInfo"]["hasPreviousPage"] is False
    assert result["pageInfo"]["startCursor"] == result["edges"][0]["cursor"]
    assert result["pageInfo"]["endCursor"] == result["edges"][1]["cursor"]


def test_after_and_first(five: Api) -> None:
    result = page(five, orderBy=BY_NAME, after=cursor_of(five, "B"), first=2)
    assert names(result) == ["C", "D"]
    assert result["pageInfo"]["hasNextPage"] is True
    assert result["pageInfo"]["hasPreviousPage"] is True


def test_last(five: Api) -> None:
    result = page(five, orderBy=BY_NAME, last=2)
    assert names(result) == ["D", "E"]
    assert result["pageInfo"]["hasNextPage"] is False
    assert result["pageInfo"]["hasPreviousPage"] is True


def test_before_and_last(five: Api) -> None:
    result = page(five, orderBy=BY_NAME, before=cursor_of(five, "D"), last=2)
    assert names(result) == ["B", "C"]
    assert result["pageInfo"]["hasNextPage"] is True
    assert result["pageInfo"]["hasPreviousPage"] is True


def test_after_and_before(five: Api) -> None:
    result = page(five, orderBy=BY_NAME, after=cursor_of(five, "A"), before=cursor_of(five, "E"))
    assert names(result) == ["B", "C", "D"]


def test_skip_and_first(five: Api) -> None:
    result = page(five, orderBy=BY_NAME, skip=1, first=2)
    assert names(result) == ["B", "C"]
    assert result["pageInfo"]["hasPreviousPage"] is True


def test_skip_and_after(five: Api) -> None:
    assert names(page(five, orderBy=BY_NAME, skip=1, after=cursor_of(five, "A"))) == ["B", "C", "D", "E"]


def test_skip_applies_before_cursors_then_first_then_last(five: Api) -> None:
    result = page(five, orderBy=BY_NAME, skip=2, after=cursor_of(five, "A"), first=2, last=1)
    assert names(result) == ["D"]
    result = page(five, orderBy=BY_NAME, after=cursor_of(five, "A"), before=cursor_of(five, "E"), first=2, last=1)
    assert names(result) == ["C"]


def test_descending_cursors(five: Api) -> None:
    order = {"name": "DESC"}
    result = page(five, orderBy=order, after=cursor_of(five, "D", order), first=2)
    assert names(result) == ["C", "B"]


def test_plain_list_takes_the_page_arguments(five: Api) -> None:
    query = """
    query ($first: Int, $last: Int, $skip: Int, $after: String) {
      cities(orderBy: {name: ASC}, first: $first, last: $last, skip: $skip, after: $after) { name }
    }
    """

    def listed(**variables: Any) -> list[str]:
        return [c["name"] for c in five.data(query, variables)["cities"]]

    assert listed(first=2) == ["A", "B"]
    assert listed(last=2) == ["D", "E"]
    assert listed(skip=1, first=2) == ["B", "C"]
    assert listed(after=cursor_of(five, "B"), first=2) == ["C", "D"]


def follow(api: Api, order_by: dict[str, str] | None, first: int) -> list[str]:
    """Every name, feeding endCursor back as `after` until hasNextPage is false."""
    seen: list[str] = []
    after = None
    for _ in range(20):
        result = page(api, orderBy=order_by, first=first, after=after)
        seen += names(result)
        if not result["pageInfo"]["hasNextPage"]:
            return seen
        after = result["pageInfo"]["endCursor"]
    raise AssertionError(f"no end after 20 pages: {seen}")


def test_paging_without_order_follows_source_order(five: Api) -> None:
    unpaged = names(page(five))
    assert names(page(five, skip=1, first=2)) == unpaged[1:3]
    assert names(page(five, last=2)) == unpaged[3:]
    cursors = [e["cursor"] for e in page(five)["edges"]]
    assert names(page(five, before=cursors[3], last=2)) == unpaged[1:3]
    assert names(page(five, skip=1, after=cursors[0])) == unpaged[1:]


def test_cursors_round_trip_with_order(five: Api) -> None:
    assert follow(five, BY_NAME, 2) == ["A", "B", "C", "D", "E"]
    assert follow(five, {"name": "DESC"}, 3) == ["E", "D", "C", "B", "A"]


def test_cursors_round_trip_without_order(five: Api) -> None:
    seen = follow(five, None, 2)
    assert sorted(seen) == ["A", "B", "C", "D", "E"]
    unpaged = [c["name"] for c in five.data("{ cities { name } }")["cities"]]
    assert seen == unpaged


def test_cursors_round_trip_over_fifty_records(cities: Api) -> None:
    for i in range(50):
        city(cities, f"c{i:02d}", population=i % 7 if i % 5 else None)
    expected = sorted(f"c{i:02d}" for i in range(50))
    assert sorted(follow(cities, None, 7)) == expected
    assert follow(cities, BY_NAME, 7) == expected
    by_population = follow(cities, {"population": "DESC"}, 6)
    assert sorted(by_population) == expected
    assert by_population == ordered(cities, {"population": "DESC"})


# Cursors are signed: a client can hand back only a cursor the list gave it.


def refused(result: dict[str, Any]) -> bool:
    assert error_code(result) == INVALID_INPUT
    return "is not a cursor of this list" in result["errors"][0]["message"]


def test_a_changed_cursor_is_invalid_input(five: Api) -> None:
    cursor = cursor_of(five, "B")
    assert names(page(five, orderBy=BY_NAME, after=cursor)) == ["C", "D", "E"]
    for index in (0, 10, len(cursor) // 2, len(cursor) - 1):
        changed = flipped(cursor, index)
        assert refused(five.query(CONNECTION, {"orderBy": BY_NAME, "after": changed}))
        assert refused(five.query(CONNECTION, {"orderBy": BY_NAME, "before": changed, "last": 1}))
        plain = five.query(
            "query ($after: String) { cities(orderBy: {name: ASC}, after: $after) { name } }", {"after": changed}
        )
        assert refused(plain)


def test_a_made_up_cursor_is_invalid_input(five: Api) -> None:
    """A cursor built by hand, as base64 JSON of a real position, is not read from: unsigned, or
    with the tag of another position."""
    tag, position = opened(cursor_of(five, "B"))
    assert position[0] == "B"
    d_position = opened(cursor_of(five, "D"))[1]
    unordered = opened(page(five)["edges"][0]["cursor"])[1]
    for cursor, order_by in (
        (forged(position), BY_NAME),
        (forged(d_position, tag), BY_NAME),
        (forged(["A", position[1]], tag), BY_NAME),
        (forged(unordered), None),
    ):
        assert refused(five.query(CONNECTION, {"orderBy": order_by, "after": cursor}))


def test_a_cursor_of_another_order_or_list_is_invalid_input(five: Api) -> None:
    for name in ("A", "B"):
        user(five, f"{name.lower()}@x.com", name.lower(), address=city_id_of(five, name))
    by_name = cursor_of(five, "B")
    for order_by in ({"name": "DESC"}, {"population": "ASC"}, {"founded": "ASC"}):
        # The same shape of position (a value and an id), of another order.
        assert refused(five.query(CONNECTION, {"orderBy": order_by, "after": by_name}))
    unordered = page(five)["edges"][1]["cursor"]
    users = "query ($after: String) { users(after: $after) { email } }"
    assert refused(five.query(users, {"after": unordered}))
    city_users = "query ($id: ID!, $after: String) { city(id: $id) { user(after: $after) { email } } }"
    assert refused(five.query(city_users, {"id": city_id_of(five, "A"), "after": unordered}))
    # And the cursors of a list page through that list, whichever of its pages gave them.
    assert names(page(five, after=unordered)) == names(page(five))[2:]
    assert names(page(five, orderBy=BY_NAME, skip=1, first=2, after=by_name)) == ["C", "D"]


def test_every_instance_of_a_stage_shares_its_cursors_and_another_secret_refuses_them(
    make_api: Callable[..., Api],
) -> None:
    one = make_api(CITIES_SCHEMA, cursor_secret="the stage's own secret, 32 bytes")
    other_instance = make_api(CITIES_SCHEMA, cursor_secret="the stage's own secret, 32 bytes")
    other_stage = make_api(CITIES_SCHEMA, cursor_secret="another stage's secret, 32 bytes")
    for name in ["C", "A", "B"]:
        city(one, name)
    cursor = cursor_of(one, "A")
    assert names(page(other_instance, orderBy=BY_NAME, after=cursor)) == ["B", "C"]
    assert refused(other_stage.query(CONNECTION, {"orderBy": BY_NAME, "after": cursor}))


# Errors


@pytest.mark.parametrize(
    "variables",
    [
        {"after": "nope"},
        {"before": "nope"},
        {"after": "nope", "orderBy": BY_NAME},
        {"first": -1},
        {"last": -1},
        {"skip": -1},
        {"where": {"range": {"population": [1]}}},
        {"where": {"range": {"population": [1, 2, 3]}}},
    ],
)
def test_invalid_page_arguments_are_invalid_input(five: Api, variables: dict[str, Any]) -> None:
    assert error_code(five.query(CONNECTION, variables)) == INVALID_INPUT


@pytest.mark.parametrize(
    "query",
    [
        '{ cities(after: "nope") { id } }',
        "{ cities(first: -1) { id } }",
        "{ cities(last: -2) { id } }",
        "{ cities(skip: -1) { id } }",
        '{ cities(where: {range: {name: ["A"]}}) { id } }',
        '{ users(email: ["a@x.com"], first: -1) { id } }',
    ],
)
def test_invalid_list_arguments_are_invalid_input(five: Api, query: str) -> None:
    assert error_code(five.query(query)) == INVALID_INPUT


def test_a_one_element_range_inside_a_relation_filter_is_invalid_input(five: Api) -> None:
    result = five.query(CITY_NAMES, {"where": {"user": {"range": {"email": ["a"]}}}})
    assert error_code(result) == INVALID_INPUT


def test_empty_connection(cities: Api) -> None:
    query = """
    { citiesConnection {
        edges { cursor }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        aggregate { count }
    } }
    """
    assert cities.data(query)["citiesConnection"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
        "aggregate": {"count": 0},
    }


def test_count_counts_every_match_before_paging(five: Api) -> None:
    query = """
    { citiesConnection(orderBy: {name: ASC}, skip: 1, first: 2, where: {not: {match: {name: "E"}}}) {
        edges { node { name } } aggregate { count }
    } }
    """
    result = five.data(query)["citiesConnection"]
    assert names(result) == ["B", "C"]
    assert result["aggregate"] == {"count": 4}


# Nested list fields


def test_nested_to_many_takes_where_order_and_first(people: Api) -> None:
    query = """
    { cities(orderBy: {name: ASC}) {
        name
        all: user(orderBy: {displayname: DESC}) { displayname }
        top: user(orderBy: {displayname: DESC}, first: 1) { displayname }
        ann: user(where: {match: {displayname: "ann"}}) { displayname }
    } }
    """
    found = {c["name"]: c for c in people.data(query)["cities"]}
    assert found["NY"]["all"] == [{"displayname": "steve"}, {"displayname": "ann"}]
    assert found["NY"]["top"] == [{"displayname": "steve"}]
    assert found["NY"]["ann"] == [{"displayname": "ann"}]
    assert found["LA"]["ann"] == []
    assert found["SF"] == {"name": "SF", "all": [], "top": [], "ann": []}


def test_nested_to_many_with_where_order_and_first_together(people: Api) -> None:
    query = """
    { cities(where: {match: {name: "NY"}}) {
        user(where: {match: {displayname: ["ann", "steve"]}}, orderBy: {displayname: DESC}, first: 1, skip: 1) {
          displayname
        }
    } }
    """
    assert people.data(query)["cities"] == [{"user": [{"displayname": "ann"}]}]


def test_nested_to_one_with_where_is_null_when_not_matching(people: Api) -> None:
    query = '{ users(orderBy: {displayname: ASC}) { displayname address(where: {match: {name: "LA"}}) { name } } }'
    assert people.data(query)["users"] == [
        {"displayname": "ann", "address": None},
        {"displayname": "bob", "address": {"name": "LA"}},
        {"displayname": "carl", "address": None},
        {"displayname": "steve", "address": None},
    ]


# The read cap


@pytest.fixture
def capped(make_api: Callable[..., Api]) -> Api:
    api = make_api(CITIES_SCHEMA, page_cap=3)
    for name in ["C", "A", "E", "B", "D"]:
        city(api, name)
    return api


def test_connection_over_the_cap_stops_early_and_resumes(capped: Api) -> None:
    first = page(capped, first=10)
    assert 0 < len(first["edges"]) <= 3
    assert first["pageInfo"]["hasNextPage"] is True
    assert sorted(follow(capped, None, 10)) == ["A", "B", "C", "D", "E"]


def test_plain_list_over_the_cap_is_an_error(capped: Api) -> None:
    result = capped.query("{ cities { id } }")
    assert error_code(result) == INVALID_INPUT
    assert result["data"] is None


def test_ordered_count_over_the_cap_is_an_error_not_a_wrong_count(capped: Api) -> None:
    result = capped.query("{ citiesConnection(orderBy: {name: ASC}) { aggregate { count } } }")
    assert error_code(result) == INVALID_INPUT
    assert result["data"] is None


def test_unordered_count_over_the_cap_is_an_error(capped: Api) -> None:
    result = capped.query("{ citiesConnection(first: 1) { aggregate { count } } }")
    assert error_code(result) == INVALID_INPUT


# Round trips


def test_list_with_to_one_relation_is_one_scan_and_one_batch(cities: Api) -> None:
    city_ids = [city(cities, f"city{i}") for i in range(5)]
    for i in range(50):
        user(cities, f"u{i}@x.com", f"u{i}", address=city_ids[i % 5])
    with cities.calls() as calls:
        found = cities.data("{ users { displayname address { name } } }")["users"]
    assert len(found) == 50
    assert {u["displayname"]: u["address"]["name"] for u in found}["u7"] == "city2"
    assert calls.counts == {"Scan": 1, "BatchGetItem": 1}


def test_root_lookup_by_email_is_a_query_per_value(cities: Api) -> None:
    for name in ["a", "b", "c"]:
        user(cities, f"{name}@x.com", name)
    with cities.calls() as calls:
        cities.data('{ users(email: ["a@x.com", "c@x.com", "zz@x.com"]) { displayname } }')
    assert calls.total <= 3
    assert set(calls.counts) == {"Query"}


def test_single_user_by_email_is_one_call(cities: Api) -> None:
    user(cities, "a@x.com", "ann")
    with cities.calls() as calls:
        assert cities.data('{ user(email: "a@x.com") { displayname } }')["user"] == {"displayname": "ann"}
    assert calls.total == 1


def test_match_on_ids_is_one_batch_get(cities: Api) -> None:
    ids = [city(cities, name) for name in ["A", "B", "C"]]
    with cities.calls() as calls:
        found = cities.data("query ($ids: [ID]) { cities(where: {match: {id: $ids}}) { name } }", {"ids": ids[:2]})
    assert sorted(c["name"] for c in found["cities"]) == ["A", "B"]
    assert calls.counts == {"BatchGetItem": 1}


def test_match_on_a_unique_field_uses_its_index(cities: Api) -> None:
    user(cities, "a@x.com", "ann")
    user(cities, "b@x.com", "bob")
    with cities.calls() as calls:
        assert user_names(cities, {"match": {"email": "a@x.com"}}) == ["ann"]
    assert calls.counts == {"Query": 1}


# exportData


def test_export_data_returns_every_record_with_relations_as_ids(cities: Api) -> None:
    ny = city(cities, "NY", neighborhoods=["queens"], population=8, founded="1624-01-01")
    ann = user(cities, "a@x.com", "ann", address=ny)
    exported = cities.data("{ exportData }")["exportData"]
    assert sorted(exported, key=lambda r: r["__typename"]) == [
        {
            "__typename": "City",
            "id": ny,
            "name": "NY",
            "neighborhoods": ["queens"],
            "founded": "1624-01-01",
            "population": 8,
            "user": [ann],
        },
        {"__typename": "User", "id": ann, "displayname": "ann", "email": "a@x.com", "address": ny},
    ]


def test_export_data_of_one_type(cities: Api) -> None:
    city(cities, "NY")
    user(cities, "a@x.com", "ann")
    exported = cities.data('{ exportData(types: ["User"]) }')["exportData"]
    assert [r["__typename"] for r in exported] == ["User"]


def test_an_empty_id_finds_nothing_everywhere_ids_are_read(cities: Api) -> None:
    """DynamoDB refuses an empty key: an empty id is no record, not a refused request."""
    assert cities.data('{ cities(where: {match: {id: [""]}}) { id } }')["cities"] == []
    assert cities.data('{ cities(id: [""]) { id } }')["cities"] == [None]
    updated = cities.data(
        'mutation { updateManyCities(input: {where: {match: {id: [""]}}, data: {name: "x"}}) { count } }'
    )
    assert updated["updateManyCities"]["count"] == 0
