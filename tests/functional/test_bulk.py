"""updateManyX and deleteManyX (BatchPayload): the Genie documentation verbatim, where-clauses of
every kind, unique values, records changed during a run, the deadline and resuming by cursor, round
trips, the batch calls' retries (through botocore's Stubber and DynamoDB answers faked at the HTTP
level, for what moto cannot produce) and permissions."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from pynamodb.models import Model as PynamoModel

from chalicelib.api import bulk, ids
from chalicelib.errors import INVALID_INPUT, INVALID_RECORD, PERMISSION_DENIED, UNAVAILABLE
from chalicelib.store.backoff import Backoff, GaveUp
from chalicelib.store.records import RecordStore
from chalicelib.store.retries import DECLINED
from tests.conftest import ADMIN, CITIES_SCHEMA, SEEDS, Api
from tests.dynamodb_answers import Declining, answering, recorded_waits
from tests.functional.helpers import flipped, forged, opened

CREATE_CITY = "mutation ($data: CityCreateInput!) { createCity(input: {data: $data}) { data { id } } }"
CREATE_USER = "mutation ($data: UserCreateInput!) { createUser(input: {data: $data}) { data { id } } }"
CREATE_ITEM = "mutation ($data: ItemCreateInput!) { createItem(input: {data: $data}) { data { id } } }"
UPDATE_CITY = """
mutation ($id: ID!, $data: CityUpdateInput!) { updateCity(input: {where: {id: $id}, data: $data}) { data { id } } }
"""
ITEM_SCHEMA = "type Item {\n  id: ID!\n  n: Int\n  tag: String\n}\n"

Snapshot = tuple[list[dict[str, Any]], list[tuple[str, str]]]
Records = dict[str, dict[str, Any]]


# Helpers.


def many_query(operation: str, type_name: str, update: bool) -> str:
    """The mutation `operation` (e.g. updateManyCities) with every input as a variable."""
    data_variable = f", $data: {type_name}UpdateInput!" if update else ""
    data_argument = ", data: $data" if update else ""
    return f"""
mutation ($where: {type_name}WhereInput!{data_variable}, $cmid: String, $cursor: String) {{
  {operation}(input: {{where: $where{data_argument}, clientMutationId: $cmid, cursor: $cursor}}) {{
    count complete cursor clientMutationId
  }}
}}
"""


UPDATE_MANY_CITIES = many_query("updateManyCities", "City", update=True)
DELETE_MANY_CITIES = many_query("deleteManyCities", "City", update=False)
UPDATE_MANY_USERS = many_query("updateManyUsers", "User", update=True)
DELETE_MANY_USERS = many_query("deleteManyUsers", "User", update=False)
UPDATE_MANY_ITEMS = many_query("updateManyItems", "Item", update=True)
DELETE_MANY_ITEMS = many_query("deleteManyItems", "Item", update=False)


def variables(
    where: dict[str, Any], data: dict[str, Any] | None = None, cursor: str | None = None, cmid: str | None = None
) -> dict[str, Any]:
    values: dict[str, Any] = {"where": where}
    if data is not None:
        values["data"] = data
    if cursor is not None:
        values["cursor"] = cursor
    if cmid is not None:
        values["cmid"] = cmid
    return values


def run(api: Api, query: str, where: dict[str, Any], data: dict[str, Any] | None = None, **extra: Any) -> Any:
    """The BatchPayload of one call that must succeed."""
    result = api.query(query, variables(where, data, **extra))
    assert "errors" not in result, result
    (value,) = result["data"].values()
    return value


def run_to_completion(
    api: Api, query: str, where: dict[str, Any], data: dict[str, Any] | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Every payload of a run, feeding `cursor` back until `complete`."""
    payloads: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(limit):
        value = run(api, query, where, data, cursor=cursor)
        payloads.append(value)
        if value["complete"]:
            assert value["cursor"] is None, value
            return payloads
        assert isinstance(value["cursor"], str), value
        cursor = value["cursor"]
    raise AssertionError(f"no end after {limit} calls: {payloads[-3:]}")


def failure(result: dict[str, Any]) -> tuple[str, str]:
    """The code and message of a bulk mutation that must fail (its BatchPayload! nulls `data`)."""
    assert result.get("errors"), result
    assert result["data"] is None, result
    error = result["errors"][0]
    return error["extensions"]["code"], error["message"]


def snapshot(api: Api) -> Snapshot:
    """Everything stored: every record (exportData) and every unique guard."""
    records = sorted(api.data("{ exportData }")["exportData"], key=lambda r: (r["__typename"], r["id"]))
    guards = sorted((guard.key, guard.owner) for guard in api.service.tables.guard.scan())
    return records, guards


def stored(api: Api, typename: str | None = None) -> Records:
    """Every record by id, as exportData shows it (relations as ids)."""
    records = api.data("{ exportData }")["exportData"]
    return {r["id"]: r for r in records if typename is None or r["__typename"] == typename}


def changed(before: Records, after: Records) -> set[str]:
    return {key for key in before if after.get(key) != before[key]}


def assert_both_sides_agree(api: Api) -> None:
    """Every User.address is mirrored in that City.user, and the other way round."""
    records = stored(api)
    cities = {k: v for k, v in records.items() if v["__typename"] == "City"}
    users = {k: v for k, v in records.items() if v["__typename"] == "User"}
    for user_id, user_record in users.items():
        address = user_record.get("address")
        if address is not None:
            assert address in cities, user_record
            assert user_id in (cities[address].get("user") or []), (user_record, cities[address])
    for city_id, city_record in cities.items():
        for user_id in city_record.get("user") or []:
            assert user_id in users, city_record
            assert users[user_id].get("address") == city_id, (city_record, users[user_id])


def city(api: Api, name: str, **data: Any) -> str:
    city_id: str = api.data(CREATE_CITY, {"data": {"name": name, **data}})["createCity"]["data"]["id"]
    return city_id


def user(api: Api, email: str, displayname: str | None = None, address: str | None = None) -> str:
    data: dict[str, Any] = {"email": email, "displayname": displayname}
    if address is not None:
        data["address"] = {"connect": {"id": address}}
    user_id: str = api.data(CREATE_USER, {"data": data})["createUser"]["data"]["id"]
    return user_id


def item(api: Api, n: int | None = None, tag: str | None = None) -> str:
    item_id: str = api.data(CREATE_ITEM, {"data": {"n": n, "tag": tag}})["createItem"]["data"]["id"]
    return item_id


FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def genie_example(operation: str) -> tuple[str, Any]:
    """The documented mutation that runs `operation`, with the JSON it is said to return."""
    blocks = FENCE.findall((SEEDS / "graphql-genie-mutations.md").read_text())
    for index, (language, body) in enumerate(blocks):
        if language == "graphql" and body.lstrip().startswith("mutation") and operation in body:
            following_language, following = blocks[index + 1]
            assert following_language == "json", body
            return body, json.loads(following)
    raise AssertionError(f"no example of {operation}")


# Fixtures.


@pytest.fixture(scope="module")
def item_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model with no relation and no unique value: its blind deletes go through BatchWriteItem."""
    path = tmp_path_factory.mktemp("bulk") / "items.graphql"
    path.write_text(ITEM_SCHEMA)
    return path


@pytest.fixture
def items(make_api: Callable[..., Api], item_schema: Path) -> Api:
    return make_api(item_schema)


def chunked(monkeypatch: pytest.MonkeyPatch, records: int, writers: int = 1) -> None:
    """Chunks of at most `records` records, `writers` at once: with the deadline past, each call
    writes one wave of chunks, at most `records` times `writers` records."""
    monkeypatch.setattr(bulk, "CHUNK_RECORDS", records)
    monkeypatch.setattr(bulk, "WRITERS", writers)


@pytest.fixture
def slow_items(make_api: Callable[..., Api], item_schema: Path, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The items API with its deadline already past: every call handles one chunk of 25 records."""
    chunked(monkeypatch, 25)
    return make_api(item_schema, deadline_seconds=0.0)


@pytest.fixture
def slow(make_api: Callable[..., Api], monkeypatch: pytest.MonkeyPatch) -> Api:
    """The cities API with its deadline already past, in chunks of one record: every call handles one."""
    chunked(monkeypatch, 1)
    return make_api(CITIES_SCHEMA, deadline_seconds=0.0)


Town = dict[str, str]


def build_town(api: Api) -> Town:
    """Five cities and five users, by name:

    NY  population 8, [queens, bronx]  users ann, bob
    LA  population 4, [hollywood]      user cat
    SF  population 1                   user eve
    CHI no population, [loop]          no user
    BOS population 6                   no user
    dan has no address.
    """
    town = {
        "NY": city(api, "NY", population=8, neighborhoods=["queens", "bronx"]),
        "LA": city(api, "LA", population=4, neighborhoods=["hollywood"]),
        "SF": city(api, "SF", population=1),
        "CHI": city(api, "CHI", neighborhoods=["loop"]),
        "BOS": city(api, "BOS", population=6),
    }
    town["ann"] = user(api, "ann@x.com", "ann", town["NY"])
    town["bob"] = user(api, "bob@x.com", "bob", town["NY"])
    town["cat"] = user(api, "cat@x.com", "cat", town["LA"])
    town["eve"] = user(api, "eve@x.com", "eve", town["SF"])
    town["dan"] = user(api, "dan@x.com", "dan")
    return town


@pytest.fixture
def town(cities: Api) -> Town:
    return build_town(cities)


# The Genie documentation, verbatim.


def test_genie_update_many_cities_example_runs_verbatim(cities: Api) -> None:
    query, expected = genie_example("updateManyCities")
    ny, la = city(cities, "New York"), city(cities, "Los Angeles", population=4)
    assert expected == {"data": {"updateManyCities": {"count": 2}}}
    assert cities.query(query) == expected
    records = stored(cities)
    assert {records[ny]["name"], records[la]["name"]} == {"Everywhere is Earth"}
    assert records[la]["population"] == 4


def test_genie_delete_every_user_example_runs_verbatim(cities: Api) -> None:
    query, expected = genie_example("deleteManyUsers")
    ny = city(cities, "NY")
    for index in range(7):
        user(cities, f"u{index}@x.com", f"u{index}", ny if index % 2 else None)
    # The documentation ran on 200 users; here there are 7.
    assert expected == {"data": {"deleteManyUsers": {"count": 200}}}
    assert cities.query(query) == {"data": {"deleteManyUsers": {"count": 7}}}
    records, guards = snapshot(cities)
    assert [r["__typename"] for r in records] == ["City"]
    assert records[0]["user"] == []
    assert guards == []


# Where-clauses: exactly the matching records change, the count is exact.

CITY_WHERES: list[tuple[dict[str, Any], set[str]]] = [
    ({"match": {"name": ["NY", "LA"]}}, {"NY", "LA"}),
    ({"match": {"neighborhoods": ["queens"]}}, {"NY"}),
    ({"match": {"population": [None]}}, {"CHI"}),
    ({"range": {"population": [4, 8]}}, {"NY", "LA", "BOS"}),
    ({"range": {"population": [None, 4]}}, {"LA", "SF"}),
    ({"exists": {"population": False}}, {"CHI"}),
    ({"user": {"match": {"displayname": ["cat"]}}}, {"LA"}),
    ({"user": {"exists": {"email": True}}}, {"NY", "LA", "SF"}),
    ({"or": [{"match": {"name": ["SF"]}}, {"range": {"population": [6, None]}}]}, {"SF", "NY", "BOS"}),
    ({"not": {"range": {"population": [0, 5]}}}, {"NY", "CHI", "BOS"}),
    ({"not": {"user": {"exists": {"id": True}}}}, {"CHI", "BOS"}),
    (
        {"and": [{"exists": {"population": True}}, {"not": {"user": {"match": {"displayname": ["ann"]}}}}]},
        {"LA", "SF", "BOS"},
    ),
    (
        {"or": [{"user": {"match": {"email": ["eve@x.com"]}}}, {"not": {"exists": {"neighborhoods": True}}}]},
        {"SF", "BOS"},
    ),
    ({"match": {"name": ["nowhere"]}}, set()),
]
CITY_WHERE_IDS = [
    "match",
    "match-list",
    "match-null",
    "range",
    "range-open",
    "exists-false",
    "relation-match",
    "relation-exists",
    "or",
    "not",
    "not-relation",
    "and-not-relation",
    "or-relation-not",
    "none",
]


@pytest.mark.parametrize(("where", "expected"), CITY_WHERES, ids=CITY_WHERE_IDS)
def test_update_many_cities_changes_exactly_the_matches(
    cities: Api, town: Town, where: dict[str, Any], expected: set[str]
) -> None:
    before = stored(cities)
    result = run(cities, UPDATE_MANY_CITIES, where, {"name": "changed", "neighborhoods": {"push": ["x"]}})
    assert result == {"count": len(expected), "complete": True, "cursor": None, "clientMutationId": None}
    after = stored(cities)
    assert changed(before, after) == {town[name] for name in expected}
    for name in expected:
        old, new = before[town[name]], after[town[name]]
        assert new == {**old, "name": "changed", "neighborhoods": [*(old.get("neighborhoods") or []), "x"]}
    assert_both_sides_agree(cities)


@pytest.mark.parametrize(("where", "expected"), CITY_WHERES, ids=CITY_WHERE_IDS)
def test_update_many_cities_with_a_planned_change_changes_exactly_the_matches(
    cities: Api, town: Town, where: dict[str, Any], expected: set[str]
) -> None:
    """A pull needs the record read first: the write is guarded by its version, not the where."""
    before = stored(cities)
    result = run(cities, UPDATE_MANY_CITIES, where, {"population": 99, "neighborhoods": {"pull": ["queens", "loop"]}})
    assert result["count"] == len(expected)
    after = stored(cities)
    assert changed(before, after) == {town[name] for name in expected}
    for name in expected:
        old, new = before[town[name]], after[town[name]]
        kept = [n for n in old.get("neighborhoods") or [] if n not in ("queens", "loop")]
        assert new["population"] == 99
        assert (new.get("neighborhoods") or []) == kept
        assert {k: v for k, v in new.items() if k not in ("population", "neighborhoods")} == {
            k: v for k, v in old.items() if k not in ("population", "neighborhoods")
        }


@pytest.mark.parametrize(("where", "expected"), CITY_WHERES, ids=CITY_WHERE_IDS)
def test_delete_many_cities_deletes_exactly_the_matches_and_unlinks_their_users(
    cities: Api, town: Town, where: dict[str, Any], expected: set[str]
) -> None:
    before = stored(cities)
    result = run(cities, DELETE_MANY_CITIES, where)
    assert result == {"count": len(expected), "complete": True, "cursor": None, "clientMutationId": None}
    after = stored(cities)
    deleted = {town[name] for name in expected}
    assert set(before) - set(after) == deleted
    assert set(after) <= set(before)
    users = {k for k, v in before.items() if v["__typename"] == "User"}
    assert users <= set(after)
    for user_id in users:
        old_address = before[user_id].get("address")
        if old_address in deleted:
            assert after[user_id].get("address") is None
            assert {k: v for k, v in after[user_id].items() if k != "address"} == {
                k: v for k, v in before[user_id].items() if k != "address"
            }
        else:
            assert after[user_id] == before[user_id]
    for city_id in set(after) - users:
        assert after[city_id] == before[city_id]
    assert_both_sides_agree(cities)


USER_WHERES: list[tuple[dict[str, Any], set[str]]] = [
    ({"match": {"displayname": ["ann", "cat"]}}, {"ann", "cat"}),
    ({"match": {"email": ["dan@x.com"]}}, {"dan"}),
    ({"address": {"match": {"name": ["NY"]}}}, {"ann", "bob"}),
    ({"address": {"range": {"population": [None, 4]}}}, {"cat", "eve"}),
    ({"not": {"address": {"exists": {"id": True}}}}, {"dan"}),
    ({"or": [{"match": {"email": ["dan@x.com"]}}, {"address": {"match": {"name": ["SF"]}}}]}, {"dan", "eve"}),
    (
        {"and": [{"address": {"match": {"neighborhoods": ["queens"]}}}, {"not": {"match": {"displayname": ["bob"]}}}]},
        {"ann"},
    ),
]
USER_WHERE_IDS = ["match", "match-unique", "relation", "relation-range", "not-relation", "or", "and-not"]


@pytest.mark.parametrize(("where", "expected"), USER_WHERES, ids=USER_WHERE_IDS)
def test_update_many_users_moves_exactly_the_matches(
    cities: Api, town: Town, where: dict[str, Any], expected: set[str]
) -> None:
    before = stored(cities)
    result = run(cities, UPDATE_MANY_USERS, where, {"address": {"connect": {"id": town["BOS"]}}})
    assert result["count"] == len(expected)
    after = stored(cities)
    moved = {town[name] for name in expected}
    for user_id in moved:
        assert after[user_id]["address"] == town["BOS"]
    assert sorted(after[town["BOS"]]["user"]) == sorted(moved)
    touched_cities = {town["BOS"]} | {before[u].get("address") for u in moved} - {None}
    assert changed(before, after) <= moved | touched_cities
    assert moved <= changed(before, after)
    for user_id in moved:
        old_address = before[user_id].get("address")
        if old_address is not None:
            assert user_id not in after[old_address]["user"]
    assert_both_sides_agree(cities)


@pytest.mark.parametrize(("where", "expected"), USER_WHERES, ids=USER_WHERE_IDS)
def test_delete_many_users_deletes_exactly_the_matches_and_leaves_their_cities(
    cities: Api, town: Town, where: dict[str, Any], expected: set[str]
) -> None:
    before = stored(cities)
    result = run(cities, DELETE_MANY_USERS, where)
    assert result["count"] == len(expected)
    after = stored(cities)
    deleted = {town[name] for name in expected}
    assert set(before) - set(after) == deleted
    for key, record in after.items():
        if record["__typename"] == "City":
            assert record["user"] == sorted(set(before[key]["user"]) - deleted)
            assert {k: v for k, v in record.items() if k != "user"} == {
                k: v for k, v in before[key].items() if k != "user"
            }
        else:
            assert record == before[key]
    # Their unique values are free again.
    guards = snapshot(cities)[1]
    assert {owner for _, owner in guards} == {k for k, v in after.items() if v["__typename"] == "User"}
    assert_both_sides_agree(cities)


def test_an_id_where_deletes_the_listed_records_only(cities: Api, town: Town) -> None:
    result = run(cities, DELETE_MANY_CITIES, {"match": {"id": [town["NY"], town["CHI"], ids.new_id("City")]}})
    assert result["count"] == 2
    after = stored(cities)
    assert town["NY"] not in after
    assert town["CHI"] not in after
    assert after[town["ann"]].get("address") is None
    assert_both_sides_agree(cities)


def test_a_bad_range_is_invalid_input_and_writes_nothing(cities: Api, town: Town) -> None:
    before = snapshot(cities)
    result = cities.query(UPDATE_MANY_CITIES, variables({"range": {"population": [1]}}, {"name": "x"}))
    assert failure(result)[0] == INVALID_INPUT
    result = cities.query(DELETE_MANY_CITIES, variables({"range": {"population": [1, 2, 3]}}))
    assert failure(result)[0] == INVALID_INPUT
    assert snapshot(cities) == before


# Unique values.


@pytest.mark.parametrize(
    "data", [{"email": "same@x.com"}, {"displayname": "same"}, {"displayname": "same", "email": "same@x.com"}]
)
def test_setting_a_unique_field_on_several_records_is_refused_and_writes_nothing(
    cities: Api, town: Town, data: dict[str, Any]
) -> None:
    before = snapshot(cities)
    result = cities.query(UPDATE_MANY_USERS, variables({"address": {"match": {"name": ["NY"]}}}, data))
    code, message = failure(result)
    assert code == INVALID_RECORD
    assert "unique" in message
    assert snapshot(cities) == before


def test_setting_a_unique_field_on_one_record_works(cities: Api, town: Town) -> None:
    result = run(cities, UPDATE_MANY_USERS, {"match": {"displayname": ["cat"]}}, {"email": "new@x.com"})
    assert result["count"] == 1
    assert cities.data('{ user(email: "new@x.com") { id } }')["user"] == {"id": town["cat"]}
    assert cities.data('{ user(email: "cat@x.com") { id } }')["user"] is None
    # The old value is free again, the new one taken.
    user(cities, "cat@x.com", "kit")
    taken = cities.query(CREATE_USER, {"data": {"email": "new@x.com"}})
    assert taken["errors"][0]["extensions"]["code"] == INVALID_RECORD


def test_setting_a_unique_value_another_record_holds_is_refused(cities: Api, town: Town) -> None:
    before = snapshot(cities)
    result = cities.query(UPDATE_MANY_USERS, variables({"match": {"displayname": ["cat"]}}, {"email": "ann@x.com"}))
    assert failure(result)[0] == INVALID_RECORD
    assert snapshot(cities) == before


def test_setting_a_unique_field_on_one_record_works_with_the_deadline_past(slow: Api) -> None:
    """Progress is always made: one match, found in the first page, is not refused for lack of time."""
    build_town(slow)
    payloads = run_to_completion(slow, UPDATE_MANY_USERS, {"match": {"displayname": ["cat"]}}, {"email": "new@x.com"})
    assert sum(p["count"] for p in payloads) == 1
    assert slow.data('{ user(email: "new@x.com") { displayname } }')["user"] == {"displayname": "cat"}


# Records changed by another write during the run.


def race_once(api: Api, monkeypatch: pytest.MonkeyPatch, pick: Callable[[str], str], data: dict[str, Any]) -> list[str]:
    """Once the run has planned its first write (alone, or in a chunk with the next ones), another
    request updates the city `pick(target)`, where target is the city that first write is for;
    returns [the raced city]."""
    store = api.service.store
    original = store.transaction
    raced: list[str] = []

    def transaction(changes: Any) -> Any:
        if not raced:
            targets = [rid for (name, rid) in [*changes.updates, *changes.deletes] if name == "City"]
            assert targets, changes
            victim = pick(targets[0])
            raced.append(victim)
            body = api.service.handle({"query": UPDATE_CITY, "variables": {"id": victim, "data": data}}, ADMIN).body
            assert "errors" not in body, body
        return original(changes)

    monkeypatch.setattr(store, "transaction", transaction)
    return raced


RACE_WHERES: dict[str, dict[str, Any]] = {
    "exact": {"match": {"population": [1]}},
    "with-relation": {"and": [{"match": {"population": [1]}}, {"not": {"user": {"exists": {"id": True}}}}]},
}
RACE_DATA: dict[str, dict[str, Any]] = {
    "simple": {"name": "renamed"},
    "planned": {"name": "renamed", "neighborhoods": {"pull": ["a"]}},
}


def race_town(api: Api) -> tuple[list[str], str]:
    matching = [city(api, f"C{index}", population=1, neighborhoods=["a"]) for index in range(3)]
    other = city(api, "other", population=2, neighborhoods=["a"])
    return matching, other


def later(matching: list[str]) -> Callable[[str], str]:
    return lambda target: next(c for c in matching if c != target)


@pytest.mark.parametrize("where_kind", list(RACE_WHERES))
@pytest.mark.parametrize("data_kind", list(RACE_DATA))
@pytest.mark.parametrize("victim", ["first", "later"])
def test_a_record_that_stops_matching_during_an_update_is_left_alone_and_not_counted(
    cities: Api, monkeypatch: pytest.MonkeyPatch, where_kind: str, data_kind: str, victim: str
) -> None:
    matching, other = race_town(cities)
    pick = (lambda target: target) if victim == "first" else later(matching)
    raced = race_once(cities, monkeypatch, pick, {"population": 2})
    result = run(cities, UPDATE_MANY_CITIES, RACE_WHERES[where_kind], RACE_DATA[data_kind])
    assert result["count"] == 2
    records = stored(cities)
    (victim_id,) = raced
    assert (records[victim_id]["name"], records[victim_id]["population"]) == (
        next(f"C{i}" for i, c in enumerate(matching) if c == victim_id),
        2,
    )
    assert records[victim_id]["neighborhoods"] == ["a"]
    for city_id in matching:
        if city_id != victim_id:
            assert records[city_id]["name"] == "renamed"
    assert records[other]["name"] == "other"


@pytest.mark.parametrize("where_kind", list(RACE_WHERES))
@pytest.mark.parametrize("data_kind", list(RACE_DATA))
@pytest.mark.parametrize("victim", ["first", "later"])
def test_a_record_that_changes_but_still_matches_is_updated_once_keeping_the_other_write(
    cities: Api, monkeypatch: pytest.MonkeyPatch, where_kind: str, data_kind: str, victim: str
) -> None:
    matching, other = race_town(cities)
    pick = (lambda target: target) if victim == "first" else later(matching)
    raced = race_once(cities, monkeypatch, pick, {"neighborhoods": {"push": ["raced"]}})
    result = run(cities, UPDATE_MANY_CITIES, RACE_WHERES[where_kind], RACE_DATA[data_kind])
    assert result["count"] == 3
    records = stored(cities)
    (victim_id,) = raced
    expected = ["raced"] if data_kind == "planned" else ["a", "raced"]
    assert records[victim_id]["neighborhoods"] == expected
    assert records[victim_id]["name"] == "renamed"
    for city_id in matching:
        assert records[city_id]["name"] == "renamed"
    assert records[other]["name"] == "other"


@pytest.mark.parametrize("where_kind", list(RACE_WHERES))
@pytest.mark.parametrize("victim", ["first", "later"])
def test_a_record_that_stops_matching_during_a_delete_is_kept_and_not_counted(
    cities: Api, monkeypatch: pytest.MonkeyPatch, where_kind: str, victim: str
) -> None:
    matching, other = race_town(cities)
    pick = (lambda target: target) if victim == "first" else later(matching)
    raced = race_once(cities, monkeypatch, pick, {"population": 2})
    result = run(cities, DELETE_MANY_CITIES, RACE_WHERES[where_kind])
    assert result["count"] == 2
    (victim_id,) = raced
    assert set(stored(cities)) == {victim_id, other}
    assert stored(cities)[victim_id]["population"] == 2


@pytest.mark.parametrize("where_kind", list(RACE_WHERES))
@pytest.mark.parametrize("victim", ["first", "later"])
def test_a_record_that_changes_but_still_matches_is_deleted_once(
    cities: Api, monkeypatch: pytest.MonkeyPatch, where_kind: str, victim: str
) -> None:
    matching, other = race_town(cities)
    pick = (lambda target: target) if victim == "first" else later(matching)
    race_once(cities, monkeypatch, pick, {"neighborhoods": {"push": ["raced"]}})
    result = run(cities, DELETE_MANY_CITIES, RACE_WHERES[where_kind])
    assert result["count"] == 3
    assert set(stored(cities)) == {other}


def test_a_user_linked_during_a_delete_is_unlinked(cities: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deleted city's user list is read again when it changed: no user is left pointing at it."""
    _, other = race_town(cities)
    ann = user(cities, "ann@x.com", "ann")
    race_once(cities, monkeypatch, lambda target: target, {"user": {"connect": [{"id": ann}]}})
    result = run(cities, DELETE_MANY_CITIES, RACE_WHERES["exact"])
    assert result["count"] == 3
    records = stored(cities)
    assert set(records) == {other, ann}
    assert records[ann].get("address") is None
    assert_both_sides_agree(cities)


# The deadline: each call stops early, and the cursor resumes where it stopped.


def twelve_cities(api: Api) -> dict[int, str]:
    """Cities P0..P11 with population i; even ones have a user."""
    by_population = {}
    for index in range(12):
        city_id = city(api, f"P{index}", population=index, neighborhoods=["a"])
        by_population[index] = city_id
        if index % 2 == 0:
            user(api, f"u{index}@x.com", f"u{index}", city_id)
    return by_population


DEADLINE_DATA: dict[str, dict[str, Any]] = {
    "simple": {"neighborhoods": {"push": ["x"]}},
    "planned": {"neighborhoods": {"push": ["x"]}, "user": {}},
    "leaves-the-where": {"neighborhoods": {"push": ["x"]}, "population": 100},
}
DEADLINE_WHERES: dict[str, tuple[dict[str, Any], set[int]]] = {
    "range": ({"range": {"population": [2, 9]}}, set(range(2, 10))),
    "relation": ({"user": {"exists": {"id": True}}}, set(range(0, 12, 2))),
    "or": ({"or": [{"range": {"population": [None, 2]}}, {"match": {"name": ["P7", "P11"]}}]}, {0, 1, 2, 7, 11}),
    "all": ({}, set(range(12))),
}


@pytest.mark.parametrize("where_kind", list(DEADLINE_WHERES))
@pytest.mark.parametrize("data_kind", list(DEADLINE_DATA))
def test_update_many_resumes_after_the_deadline_applying_each_change_once(
    slow: Api, where_kind: str, data_kind: str
) -> None:
    by_population = twelve_cities(slow)
    where, wanted = DEADLINE_WHERES[where_kind]
    before = stored(slow)
    payloads = run_to_completion(slow, UPDATE_MANY_CITIES, where, DEADLINE_DATA[data_kind])
    assert sum(p["count"] for p in payloads) == len(wanted)
    # Every call makes progress, and each stops after one record.
    assert [p["count"] for p in payloads[:-1]] == [1] * (len(payloads) - 1)
    assert len(payloads) in (len(wanted), len(wanted) + 1)
    after = stored(slow)
    for population, city_id in by_population.items():
        if population in wanted:
            assert after[city_id]["neighborhoods"] == ["a", "x"], (population, payloads)
        else:
            assert after[city_id] == before[city_id]
    assert_both_sides_agree(slow)


def test_update_many_by_ids_resumes_after_the_deadline(slow: Api) -> None:
    by_population = twelve_cities(slow)
    wanted = [by_population[i] for i in (1, 3, 4, 8, 10)]
    payloads = run_to_completion(
        slow, UPDATE_MANY_CITIES, {"match": {"id": wanted}}, {"neighborhoods": {"push": ["x"]}}
    )
    assert sum(p["count"] for p in payloads) == 5
    after = stored(slow)
    for city_id in by_population.values():
        assert after[city_id]["neighborhoods"] == (["a", "x"] if city_id in wanted else ["a"])


def test_delete_many_users_by_unique_values_resumes_after_the_deadline(slow: Api) -> None:
    """An index Query over several values: the cursor of one value must not cut into another's."""
    created = {user(slow, f"u{index}@x.com", f"u{index}"): f"u{index}@x.com" for index in range(6)}
    # The highest id first, so that every later value holds only lower ids.
    emails = [created[user_id] for user_id in sorted(created, reverse=True)]
    payloads = run_to_completion(slow, DELETE_MANY_USERS, {"match": {"email": emails[:5]}})
    remaining = stored(slow, "User")
    assert set(remaining) == {u for u, e in created.items() if e == emails[5]}, payloads
    assert sum(p["count"] for p in payloads) == 5


def test_update_many_users_by_unique_values_resumes_after_the_deadline(slow: Api) -> None:
    ny = city(slow, "NY")
    created = {user(slow, f"u{index}@x.com", f"u{index}"): f"u{index}@x.com" for index in range(6)}
    emails = [created[user_id] for user_id in sorted(created, reverse=True)]
    data = {"address": {"connect": {"id": ny}}}
    payloads = run_to_completion(slow, UPDATE_MANY_USERS, {"match": {"email": emails[:5]}}, data)
    assert sum(p["count"] for p in payloads) == 5, payloads
    records = stored(slow)
    moved = {u for u, e in created.items() if e in emails[:5]}
    assert sorted(records[ny]["user"]) == sorted(moved)
    assert_both_sides_agree(slow)


@pytest.mark.parametrize("count", [60, 25, 26, 1])
def test_blind_delete_many_of_plain_items_resumes_a_batch_at_a_time(slow_items: Api, count: int) -> None:
    for index in range(count):
        item(slow_items, index)
    payloads = run_to_completion(slow_items, DELETE_MANY_ITEMS, {"exists": {"id": True}})
    counts = [p["count"] for p in payloads if p["count"]]
    assert counts == [min(25, count - start) for start in range(0, count, 25)]
    assert sum(p["count"] for p in payloads) == count
    assert stored(slow_items) == {}


def test_delete_many_of_plain_items_by_a_filter_resumes_a_chunk_at_a_time(slow_items: Api) -> None:
    created = {item(slow_items, index, "even" if index % 2 == 0 else "odd"): index for index in range(40)}
    payloads = run_to_completion(slow_items, DELETE_MANY_ITEMS, {"match": {"tag": ["even"]}, "range": {"n": [0, 29]}})
    assert sum(p["count"] for p in payloads) == 15
    assert set(stored(slow_items)) == {i for i, n in created.items() if n % 2 or n >= 30}


def test_delete_many_of_plain_items_by_ids_resumes(slow_items: Api) -> None:
    created = [item(slow_items, index) for index in range(30)]
    doomed = created[::3]
    payloads = run_to_completion(slow_items, DELETE_MANY_ITEMS, {"match": {"id": doomed}})
    assert sum(p["count"] for p in payloads) == len(doomed)
    assert set(stored(slow_items)) == set(created) - set(doomed)


@pytest.mark.parametrize(
    ("where", "wanted"),
    [
        ({"exists": {"id": True}}, set(range(30))),
        ({"range": {"population": [5, 24]}}, set(range(5, 25))),
        ({"user": {"exists": {"id": True}}}, set(range(0, 30, 3))),
    ],
    ids=["all", "range", "relation"],
)
def test_delete_many_cities_with_users_resumes_and_unlinks_every_user(
    slow: Api, where: dict[str, Any], wanted: set[int]
) -> None:
    by_population = {index: city(slow, f"P{index}", population=index) for index in range(30)}
    users = {index: user(slow, f"u{index}@x.com", f"u{index}", by_population[index]) for index in range(0, 30, 3)}
    payloads = run_to_completion(slow, DELETE_MANY_CITIES, where)
    assert sum(p["count"] for p in payloads) == len(wanted)
    after = stored(slow)
    assert {c for c in after if after[c]["__typename"] == "City"} == {
        by_population[i] for i in range(30) if i not in wanted
    }
    for index, user_id in users.items():
        assert after[user_id].get("address") == (None if index in wanted else by_population[index])
    assert_both_sides_agree(slow)


def test_a_cursor_of_another_call_is_invalid_input(slow: Api) -> None:
    twelve_cities(slow)
    where = {"range": {"population": [0, 9]}}
    data = {"neighborhoods": {"push": ["x"]}}
    cursor = run(slow, UPDATE_MANY_CITIES, where, data)["cursor"]
    assert isinstance(cursor, str)
    before = snapshot(slow)
    others = [
        (UPDATE_MANY_CITIES, variables({"range": {"population": [0, 8]}}, data, cursor=cursor)),
        (UPDATE_MANY_CITIES, variables(where, {"neighborhoods": {"push": ["y"]}}, cursor=cursor)),
        (DELETE_MANY_CITIES, variables(where, cursor=cursor)),
        (DELETE_MANY_USERS, variables({"exists": {"id": True}}, cursor=cursor)),
    ]
    for query, values in others:
        code, message = failure(slow.query(query, values))
        assert code == INVALID_INPUT
        assert "cursor" in message
    assert snapshot(slow) == before


def test_an_edited_or_made_up_cursor_is_invalid_input_and_writes_nothing(slow: Api) -> None:
    """A client that reads its cursor (the call's fingerprint, then where it stopped) cannot move
    it on, past records the run has not handled, nor make one up."""
    by_population = twelve_cities(slow)
    where = {"exists": {"id": True}}
    data = {"neighborhoods": {"push": ["x"]}}
    cursor = run(slow, UPDATE_MANY_CITIES, where, data)["cursor"]
    tag, (fingerprint, part, last) = opened(cursor)
    assert last in by_population.values()
    ahead = [fingerprint, part, max(by_population.values())]
    before = snapshot(slow)
    for edited in (forged(ahead, tag), forged(ahead), forged([fingerprint, part, last]), flipped(cursor, 5)):
        code, message = failure(slow.query(UPDATE_MANY_CITIES, variables(where, data, cursor=edited)))
        assert code == INVALID_INPUT
        assert "is not a cursor" in message
    assert snapshot(slow) == before
    assert run(slow, UPDATE_MANY_CITIES, where, data, cursor=cursor)["count"] == 1


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "", "!!!", "WyJhIl0", "eyJhIjogMX0", "WyJhIiwgMV0", "W10"],
    ids=["word", "empty", "not-base64", "one-value", "object", "number-last", "empty-list"],
)
def test_a_garbage_cursor_is_invalid_input(slow: Api, cursor: str) -> None:
    twelve_cities(slow)
    before = snapshot(slow)
    for query, values in [
        (UPDATE_MANY_CITIES, variables({"exists": {"id": True}}, {"name": "x"}, cursor=cursor)),
        (DELETE_MANY_CITIES, variables({"exists": {"id": True}}, cursor=cursor)),
    ]:
        assert failure(slow.query(query, values))[0] == INVALID_INPUT
    assert snapshot(slow) == before


def test_a_connection_cursor_is_not_a_bulk_cursor(cities: Api) -> None:
    for index in range(3):
        city(cities, f"C{index}")
    end = cities.data("{ citiesConnection(first: 1) { pageInfo { endCursor } } }")["citiesConnection"]
    before = snapshot(cities)
    values = variables({"exists": {"id": True}}, cursor=end["pageInfo"]["endCursor"])
    assert failure(cities.query(DELETE_MANY_CITIES, values))[0] == INVALID_INPUT
    assert snapshot(cities) == before


# Chunks: consecutive records in one transaction, several transactions at once.

UPDATE_ITEM = """
mutation ($id: ID!, $data: ItemUpdateInput!) { updateItem(input: {where: {id: $id}, data: $data}) { data { id } } }
"""


def tagged_items(api: Api, count: int) -> list[str]:
    """`count` items tagged "a", n = 0..count-1, in the order a scan reads them."""
    model = api.service.registry.model("Item")
    api.service.store.restore(model, [{"id": ids.new_id("Item"), "n": n, "tag": "a", "_v": 1} for n in range(count)])
    return [r["id"] for page in api.service.store.scan_pages(model, None, None, 1000) for r in page.records]


def race_at(api: Api, monkeypatch: pytest.MonkeyPatch, index: int, data: dict[str, Any]) -> list[str]:
    """Once the run has planned the write of its record number `index` (from 0), before anything
    sends it, another request updates that item with `data`; returns [the raced item]."""
    store = api.service.store
    original = store.transaction
    planned: list[str] = []
    raced: list[str] = []

    def transaction(changes: Any) -> Any:
        built = original(changes)
        if not raced:
            planned.append(next(rid for (name, rid) in changes.updates if name == "Item"))
            if len(planned) == index + 1:
                raced.append(planned[index])
                body = api.service.handle({"query": UPDATE_ITEM, "variables": {"id": raced[0], "data": data}}, ADMIN)
                assert "errors" not in body.body, body.body
        return built

    monkeypatch.setattr(store, "transaction", transaction)
    return raced


def test_a_chunk_cancelled_by_a_record_that_stopped_matching_is_written_one_at_a_time(
    items: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = tagged_items(items, 10)
    before = stored(items)
    raced = race_at(items, monkeypatch, 4, {"tag": "b"})
    with items.calls() as calls:
        result = run(items, UPDATE_MANY_ITEMS, {"match": {"tag": ["a"]}}, {"n": 100})
    assert raced == [created[4]]
    assert result["count"] == 9
    records = stored(items)
    assert (records[created[4]]["tag"], records[created[4]]["n"]) == ("b", before[created[4]]["n"])
    assert all(records[i]["n"] == 100 for i in created if i != created[4])
    # The chunk's one transaction, cancelled; then each record alone (the race's own write is the
    # 11th UpdateItem), the raced one read again and found no longer matching.
    assert calls.counts == {"Scan": 1, "TransactWriteItems": 1, "UpdateItem": 11, "GetItem": 1}


def test_a_record_changed_but_still_matching_the_exact_where_does_not_cancel_its_chunk(
    items: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write holds under the where-clause's own condition, not the version read."""
    created = tagged_items(items, 10)
    race_at(items, monkeypatch, 4, {"n": 50})
    with items.calls() as calls:
        result = run(items, UPDATE_MANY_ITEMS, {"match": {"tag": ["a"]}}, {"tag": "done"})
    assert result["count"] == 10
    records = stored(items)
    assert (records[created[4]]["tag"], records[created[4]]["n"]) == ("done", 50)
    assert calls.counts == {"Scan": 1, "TransactWriteItems": 1, "UpdateItem": 1}


@pytest.mark.slow
def test_chunks_written_at_once_count_exactly_with_a_record_changed_between_read_and_write(
    items: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunked(monkeypatch, 5, writers=4)
    created = tagged_items(items, 20)
    before = stored(items)
    race_at(items, monkeypatch, 12, {"tag": "b"})
    with items.calls() as calls:
        result = run(items, UPDATE_MANY_ITEMS, {"match": {"tag": ["a"]}}, {"n": 100})
    assert result == {"count": 19, "complete": True, "cursor": None, "clientMutationId": None}
    records = stored(items)
    assert (records[created[12]]["tag"], records[created[12]]["n"]) == ("b", before[created[12]]["n"])
    assert all(records[i]["n"] == 100 for i in created if i != created[12])
    # Four chunks, one cancelled and written one record at a time (5 UpdateItem, plus the race's).
    assert calls.counts == {"Scan": 1, "TransactWriteItems": 4, "UpdateItem": 6, "GetItem": 1}


def test_each_call_writes_one_wave_of_chunks_and_resumes_after_it(
    slow_items: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deadline past, a call writes one wave (2 chunks of 5): a record the update takes out of
    the where-clause is neither skipped nor written twice."""
    chunked(monkeypatch, 5, writers=2)
    created = tagged_items(slow_items, 23)
    payloads = run_to_completion(slow_items, UPDATE_MANY_ITEMS, {"match": {"tag": ["a"]}}, {"tag": "done", "n": 0})
    assert [p["count"] for p in payloads if p["count"]] == [10, 10, 3]
    assert all(r["tag"] == "done" and r["n"] == 0 for r in stored(slow_items).values())
    assert len(stored(slow_items)) == len(created)


@pytest.mark.slow
def test_large_records_go_as_many_a_transaction_as_4_mb_hold(items: Api) -> None:
    """60 items of 100 KB, read by id in one page (a Scan page holds 1 MB): a transaction holds 4 MB
    of items, so the update takes two."""
    model = items.service.registry.model("Item")
    large = [{"id": ids.new_id("Item"), "n": n, "tag": "x" * 100_000, "_v": 1} for n in range(60)]
    items.service.store.restore(model, large)
    with items.calls() as calls:
        result = run(items, UPDATE_MANY_ITEMS, {"match": {"id": [r["id"] for r in large]}}, {"n": -1})
    assert result["count"] == 60
    assert calls.counts["TransactWriteItems"] == 2
    assert all(r["n"] == -1 for r in stored(items).values())


def restored_users(api: Api, count: int, cities: list[str] | None = None) -> None:
    """`count` users with unique email and displayname (their guards too), optionally one in each of `cities`."""
    model = api.service.registry.model("User")
    users: list[dict[str, Any]] = [
        {"id": ids.new_id("User"), "email": f"u{n}@x.com", "displayname": f"u{n}", "_v": 1} for n in range(count)
    ]
    api.service.store.restore(model, users)
    for record, city_id in zip(users, cities or [], strict=False):
        api.data(UPDATE_CITY, {"id": city_id, "data": {"user": {"connect": [{"id": record["id"]}]}}})


@pytest.mark.slow
def test_delete_many_of_records_with_unique_values_goes_100_items_a_transaction(cities: Api) -> None:
    """A user's delete is 3 items (the record, its email and displayname guards): 33 users a transaction."""
    restored_users(cities, 60)
    with cities.calls() as calls:
        result = run(cities, DELETE_MANY_USERS, {"exists": {"id": True}})
    assert result["count"] == 60
    assert calls.counts == {"Scan": 1, "TransactWriteItems": 2}
    assert snapshot(cities) == ([], [])


def test_delete_many_of_related_records_shares_a_transaction(cities: Api) -> None:
    """Six users in six cities, then two more users in one city: one transaction each time (each
    user and its guards). A city's list of users is its users' pointers, so deleting two users of
    one city writes nothing of the city: the two deletes share a transaction."""
    six = [city(cities, f"C{index}") for index in range(6)]
    restored_users(cities, 6, six)
    with cities.calls() as calls:
        assert run(cities, DELETE_MANY_USERS, {"exists": {"id": True}})["count"] == 6
    assert calls.counts == {"Scan": 1, "TransactWriteItems": 1}
    user(cities, "a@x.com", "a", six[0])
    user(cities, "b@x.com", "b", six[0])
    with cities.calls() as calls:
        assert run(cities, DELETE_MANY_USERS, {"exists": {"id": True}})["count"] == 2
    assert calls.counts == {"Scan": 1, "TransactWriteItems": 1}
    records = stored(cities)
    assert [r for r in records.values() if r["__typename"] == "User"] == []
    assert all(not r.get("user") for r in records.values())
    assert_both_sides_agree(cities)


# Round trips.


def test_blind_delete_of_60_plain_items_is_one_scan_and_3_batch_writes(items: Api) -> None:
    for index in range(60):
        item(items, index)
    with items.calls() as calls:
        result = run(items, DELETE_MANY_ITEMS, {"exists": {"id": True}})
    assert result["count"] == 60
    assert calls.counts == {"Scan": 1, "BatchWriteItem": math.ceil(60 / 25)}
    assert stored(items) == {}


def test_blind_delete_by_ids_of_plain_items_is_batch_get_and_batch_writes(items: Api) -> None:
    created = [item(items, index) for index in range(30)]
    with items.calls() as calls:
        result = run(items, DELETE_MANY_ITEMS, {"match": {"id": created}})
    assert result["count"] == 30
    assert calls.counts == {"BatchGetItem": 1, "BatchWriteItem": 2}
    assert stored(items) == {}


def seed_items(api: Api, count: int) -> None:
    """`count` items with n = 0..count-1, written as they are (fast: 25 a BatchWriteItem)."""
    model = api.service.registry.model("Item")
    api.service.store.restore(model, [{"id": ids.new_id("Item"), "n": n, "_v": 1} for n in range(count)])


@pytest.mark.slow
def test_simple_update_many_is_one_scan_and_one_transaction_per_100_matches(items: Api) -> None:
    seed_items(items, 120)
    with items.calls() as calls:
        result = run(items, UPDATE_MANY_ITEMS, {"range": {"n": [0, 109]}}, {"tag": "low"})
    assert result["count"] == 110
    assert calls.counts == {"Scan": 1, "TransactWriteItems": 2}
    assert sorted(r["n"] for r in stored(items).values() if r.get("tag") == "low") == list(range(110))


# The batch calls, stubbed: what DynamoDB may do and moto does not.


def item_table(api: Api) -> tuple[RecordStore, Any, str]:
    store = api.service.store
    table = store.tables.model_class("Item").Meta.table_name
    return store, api.service.registry.model("Item"), table


def deletes(table: str, item_ids: list[str]) -> dict[str, Any]:
    return {"RequestItems": {table: [{"DeleteRequest": {"Key": {"id": {"S": i}}}} for i in item_ids]}}


@pytest.fixture
def fast(items: Api, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    return recorded_waits(items, monkeypatch)


def test_unprocessed_items_are_sent_again_and_only_they(items: Api, fast: list[float]) -> None:
    store, model, table = item_table(items)
    item_ids = [ids.new_id("Item") for _ in range(5)]
    unprocessed = [item_ids[1], item_ids[3]]
    with Stubber(store.client) as stubber:
        stubber.add_response(
            "batch_write_item",
            {"UnprocessedItems": deletes(table, unprocessed)["RequestItems"]},
            deletes(table, item_ids),
        )
        stubber.add_response("batch_write_item", {"UnprocessedItems": {}}, deletes(table, unprocessed))
        calls = store.batch_delete(model, item_ids)
        stubber.assert_no_pending_responses()
    assert calls == 2
    assert len(fast) == 1


def test_unprocessed_items_of_one_batch_do_not_mix_with_the_next(items: Api, fast: list[float]) -> None:
    store, model, table = item_table(items)
    item_ids = [ids.new_id("Item") for _ in range(30)]
    with Stubber(store.client) as stubber:
        first, second = item_ids[:25], item_ids[25:]
        stubber.add_response(
            "batch_write_item", {"UnprocessedItems": deletes(table, first[20:])["RequestItems"]}, deletes(table, first)
        )
        stubber.add_response(
            "batch_write_item",
            {"UnprocessedItems": deletes(table, first[24:])["RequestItems"]},
            deletes(table, first[20:]),
        )
        stubber.add_response("batch_write_item", {}, deletes(table, first[24:]))
        stubber.add_response("batch_write_item", {"UnprocessedItems": {}}, deletes(table, second))
        calls = store.batch_delete(model, item_ids)
        stubber.assert_no_pending_responses()
    assert calls == 4
    assert len(fast) == 2


@pytest.mark.parametrize("code", [*sorted(DECLINED), "InternalServerError"])
def test_a_throttled_batch_write_is_sent_again_in_full(items: Api, fast: list[float], code: str) -> None:
    store, model, _ = item_table(items)
    item_ids = [ids.new_id("Item") for _ in range(5)]
    declining = Declining(frozenset({"BatchWriteItem"}), code, times=1)
    with answering(items, declining):
        assert store.batch_delete(model, item_ids) == 1
    assert declining.sent["BatchWriteItem"] == 2
    assert declining.bodies[0] == declining.bodies[1]
    assert len(fast) == 1


def test_another_batch_write_error_is_raised_at_once(items: Api, fast: list[float]) -> None:
    store, model, _ = item_table(items)
    item_ids = [ids.new_id("Item") for _ in range(5)]
    declining = Declining(frozenset({"BatchWriteItem"}), "ValidationException")
    with answering(items, declining), pytest.raises(ClientError) as raised:
        store.batch_delete(model, item_ids)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert declining.sent["BatchWriteItem"] == 1
    assert fast == []


def raw_items(api: Api, count: int) -> list[dict[str, Any]]:
    """`count` items created through the API, as DynamoDB stores them, sorted by id."""
    for index in range(count):
        item(api, index, f"t{index}")
    _, _, table = item_table(api)
    raw: list[dict[str, Any]] = api.service.store.client.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(raw, key=lambda r: r["id"]["S"])


def keys_of(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": r["id"]} for r in raw]


def gets(table: str, raw: list[dict[str, Any]]) -> dict[str, Any]:
    return {"RequestItems": {table: {"Keys": keys_of(raw), "ConsistentRead": True}}}


def test_unprocessed_keys_are_read_again_and_every_record_returned(items: Api, fast: list[float]) -> None:
    raw = raw_items(items, 5)
    store, model, table = item_table(items)
    item_ids = [r["id"]["S"] for r in raw]
    expected = store.batch_get(model, item_ids)
    assert len(expected) == 5
    with Stubber(store.client) as stubber:
        stubber.add_response(
            "batch_get_item",
            {"Responses": {table: raw[:2]}, "UnprocessedKeys": gets(table, raw[2:])["RequestItems"]},
            gets(table, raw),
        )
        stubber.add_response(
            "batch_get_item",
            {"Responses": {table: raw[2:4]}, "UnprocessedKeys": gets(table, raw[4:])["RequestItems"]},
            gets(table, raw[2:]),
        )
        stubber.add_response(
            "batch_get_item", {"Responses": {table: raw[4:]}, "UnprocessedKeys": {}}, gets(table, raw[4:])
        )
        found = store.batch_get(model, list(reversed(item_ids)))
        stubber.assert_no_pending_responses()
    assert found == expected
    assert len(fast) == 2


def test_a_throttled_batch_get_is_read_again(items: Api, fast: list[float]) -> None:
    raw = raw_items(items, 3)
    store, model, _ = item_table(items)
    item_ids = [r["id"]["S"] for r in raw]
    expected = store.batch_get(model, item_ids)
    declining = Declining(frozenset({"BatchGetItem"}), times=1)
    with answering(items, declining):
        found = store.batch_get(model, item_ids)
    assert found == expected
    assert declining.sent["BatchGetItem"] == 2
    assert len(fast) == 1


ATTEMPTS = Backoff().attempts


def test_throttling_up_to_the_last_attempt_still_succeeds(items: Api, fast: list[float]) -> None:
    store, model, _ = item_table(items)
    item_ids = [ids.new_id("Item") for _ in range(3)]
    declining = Declining(frozenset({"BatchWriteItem"}), "ThrottlingException", times=ATTEMPTS - 1)
    with answering(items, declining):
        store.batch_delete(model, item_ids)
    assert declining.sent["BatchWriteItem"] == ATTEMPTS
    assert len(fast) == ATTEMPTS - 1


def test_persistent_throttling_of_batch_writes_gives_up(items: Api, fast: list[float]) -> None:
    store, model, _ = item_table(items)
    item_ids = [ids.new_id("Item") for _ in range(3)]
    declining = Declining(frozenset({"BatchWriteItem"}))
    with answering(items, declining), pytest.raises(GaveUp):
        store.batch_delete(model, item_ids)
    assert declining.sent["BatchWriteItem"] == ATTEMPTS
    assert len(fast) == ATTEMPTS - 1


def test_items_left_unprocessed_forever_give_up(items: Api, fast: list[float]) -> None:
    store, model, table = item_table(items)
    item_ids = [ids.new_id("Item") for _ in range(3)]
    with Stubber(store.client) as stubber:
        for _ in range(ATTEMPTS):
            stubber.add_response(
                "batch_write_item",
                {"UnprocessedItems": deletes(table, item_ids)["RequestItems"]},
                deletes(table, item_ids),
            )
        with pytest.raises(GaveUp):
            store.batch_delete(model, item_ids)
        stubber.assert_no_pending_responses()


def test_persistent_throttling_of_batch_gets_gives_up(items: Api, fast: list[float]) -> None:
    store, model, _ = item_table(items)
    item_ids = sorted(ids.new_id("Item") for _ in range(3))
    declining = Declining(frozenset({"BatchGetItem"}))
    with answering(items, declining), pytest.raises(GaveUp):
        store.batch_get(model, item_ids)
    assert declining.sent["BatchGetItem"] == ATTEMPTS


def test_giving_up_during_delete_many_is_an_error_never_a_success(items: Api, fast: list[float]) -> None:
    created = [item(items, index) for index in range(5)]
    declining = Declining(frozenset({"BatchWriteItem"}), "ThrottlingException")
    with answering(items, declining):
        result = items.query(DELETE_MANY_ITEMS, variables({"exists": {"id": True}}))
    assert [e["extensions"]["code"] for e in result["errors"]] == [UNAVAILABLE], result
    assert result["data"] is None
    assert declining.sent["BatchWriteItem"] == ATTEMPTS
    assert set(stored(items)) == set(created)


# Permissions.


@pytest.mark.parametrize(
    ("query", "data"),
    [(UPDATE_MANY_CITIES, {"name": "x"}), (DELETE_MANY_CITIES, None), (UPDATE_MANY_USERS, {"displayname": None})],
    ids=["updateManyCities", "deleteManyCities", "updateManyUsers"],
)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Session nope"}], ids=["anonymous", "session"])
def test_without_the_admin_key_bulk_mutations_are_denied(
    cities: Api, town: Town, query: str, data: dict[str, Any] | None, headers: dict[str, str]
) -> None:
    before = snapshot(cities)
    result = cities.query(query, variables({"exists": {"id": True}}, data), headers=headers)
    assert failure(result)[0] == PERMISSION_DENIED
    assert snapshot(cities) == before


def test_without_the_admin_key_blind_deletes_of_plain_items_are_denied(items: Api) -> None:
    created = [item(items, index) for index in range(3)]
    with items.calls() as calls:
        result = items.query(DELETE_MANY_ITEMS, variables({"exists": {"id": True}}), headers={})
    assert failure(result)[0] == PERMISSION_DENIED
    assert calls.total == 0
    assert set(stored(items)) == set(created)


# The payload.


def test_client_mutation_id_is_echoed_and_null_when_omitted(cities: Api, town: Town) -> None:
    where = {"match": {"name": ["NY"]}}
    assert run(cities, UPDATE_MANY_CITIES, where, {"population": 9}, cmid="mine") == {
        "count": 1,
        "complete": True,
        "cursor": None,
        "clientMutationId": "mine",
    }
    assert run(cities, UPDATE_MANY_CITIES, where, {"population": 10})["clientMutationId"] is None
    nothing = run(cities, DELETE_MANY_CITIES, {"match": {"name": ["nowhere"]}}, cmid="none")
    assert nothing == {"count": 0, "complete": True, "cursor": None, "clientMutationId": "none"}
    assert run(cities, DELETE_MANY_CITIES, where, cmid="del") == {
        "count": 1,
        "complete": True,
        "cursor": None,
        "clientMutationId": "del",
    }


def test_client_mutation_id_is_echoed_on_every_resumed_call(slow: Api) -> None:
    twelve_cities(slow)
    cursor: str | None = None
    seen = []
    for _ in range(20):
        value = run(slow, DELETE_MANY_CITIES, {"range": {"population": [0, 2]}}, cursor=cursor, cmid="again")
        seen.append(value["clientMutationId"])
        if value["complete"]:
            break
        cursor = value["cursor"]
    assert seen == ["again"] * len(seen)
    assert len(seen) >= 3


def test_an_empty_table_is_complete_at_once(cities: Api) -> None:
    assert run(cities, DELETE_MANY_USERS, {"exists": {"id": True}}) == {
        "count": 0,
        "complete": True,
        "cursor": None,
        "clientMutationId": None,
    }


@pytest.mark.parametrize("timestamped", [False, True], ids=["plain", "@updatedTimestamp"])
def test_the_records_of_a_chunk_share_one_update_and_one_condition(
    make_api: Callable[..., Api], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timestamped: bool
) -> None:
    """An updateMany's TransactWriteItems sends one expression, its names and values for all of its
    records, built once per chunk (see store/alike.py); each item differs only by its key, and each
    record is written. A page's records take one time for their timestamp."""
    schema = tmp_path / "items.graphql"
    schema.write_text(
        ITEM_SCHEMA.replace("}", "  updatedAt: DateTime @updatedTimestamp\n}") if timestamped else ITEM_SCHEMA
    )
    items = make_api(schema)
    created = tagged_items(items, 30)
    sent: list[dict[str, Any]] = []
    (client,) = items.service.tables.clients()
    built = []
    build = PynamoModel.get_update_kwargs_from_instance

    def building(item: PynamoModel, *args: Any, **kwargs: Any) -> dict[str, Any]:
        built.append(item)
        return build(item, *args, **kwargs)

    def keep(params: dict[str, Any], **_: Any) -> None:
        sent.extend(action["Update"] for action in params["TransactItems"])

    monkeypatch.setattr(PynamoModel, "get_update_kwargs_from_instance", building)
    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", keep)
    try:
        result = run(items, UPDATE_MANY_ITEMS, {"match": {"tag": ["a"]}}, {"tag": "b", "n": 7})
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", keep)
    assert result["count"] == 30
    assert len(built) == 1
    shared = {json.dumps({k: v for k, v in update.items() if k != "Key"}, sort_keys=True) for update in sent}
    assert len(shared) == 1
    assert sorted(update["Key"]["id"]["S"] for update in sent) == sorted(created)
    records = stored(items).values()
    assert all(r["tag"] == "b" and r["n"] == 7 for r in records)
    assert len({r.get("updatedAt") for r in records}) == 1
