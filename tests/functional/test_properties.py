"""Property-based tests of the where-compiler and the query planner, on the Genie cities example.

For random small datasets and random where / orderBy / page arguments, what the API answers must
equal a straightforward in-memory evaluation of the semantics the README states (section
"Reading"). The evaluator below is written from the README alone: it imports nothing from
`chalicelib.query`, so a shared misreading cannot make both sides agree.

Each example empties the tables, creates its cities (one `createCity` each, users nested, plus a
few users without a city), then compares the API with the evaluator on a few generated inputs.
"The table's own order" (no orderBy) is taken from the API's unfiltered `cities { id }`. moto scans
in id order, so under it that order cannot be told apart from id order.

A plain test at the end keeps a bug that only real DynamoDB shows (moto skips the validation):
an inverted range, e.g. `range: {population: [5, 1]}`.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chalicelib.errors import INVALID_INPUT
from tests.conftest import CITIES_SCHEMA, Api

Record = dict[str, Any]
Where = dict[str, Any]
OrderBy = list[tuple[str, str]]

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Small domains, so that filters hit.
NAMES = ["A", "B", "a", "", "Zed"]
POPULATIONS = [None, 0, 1, 5, 100]
NEIGHBORHOODS: list[list[str] | None] = [None, [], ["x"], ["x", "y"], ["y", "y"]]
FOUNDED = [None, "2000-01-01", "1999-12-31"]
DISPLAYNAMES = [None, "steve", "ann", "Steve", ""]

# Values where-clauses use: the stored ones and a few around them.
NAME_BOUNDS = ["A", "B", "a", "", "Zed", "Z", "b", "AA"]
POPULATION_BOUNDS = [-1, 0, 1, 2, 5, 100, 101]
FOUNDED_BOUNDS = ["2000-01-01", "1999-12-31", "1999-01-01", "2000-06-30"]
HOODS = ["x", "y", "z"]
DISPLAYNAME_BOUNDS = ["steve", "ann", "Steve", "", "b", "t"]
EMAILS = ["u0@x.com", "u1@x.com", "u2@x.com", "nobody@x.com"]

DIRECTIONS = ["ASC", "DESC", "ASCENDING", "DESCENDING"]
DESCENDING = {"DESC", "DESCENDING"}
ORDER_FIELDS = ["name", "population", "founded", "id"]


# The in-memory world and evaluator


@dataclass
class World:
    """What the API should hold: cities and users by id, and the table's own order of cities."""

    cities: dict[str, Record]
    users: dict[str, Record]
    table_order: list[str]

    def users_of(self, city: Record) -> list[Record]:
        return [u for u in self.users.values() if u["address"] == city["id"]]

    def address_of(self, user: Record) -> Record | None:
        address: str | None = user["address"]
        return None if address is None else self.cities[address]


LIST_FIELDS = {"neighborhoods"}
DATE_FIELDS = {"founded"}


def _wanted(values: Any) -> list[Any]:
    """A match value as the list it stands for: null is [null], a single value is a list of one."""
    if values is None:
        return [None]
    return values if isinstance(values, list) else [values]


def match_holds(name: str, values: Any, value: Any) -> bool:
    wanted = _wanted(values)
    if name in LIST_FIELDS and value is not None:
        return any(item == w for w in wanted if w is not None for item in value)
    return value in wanted


def _comparable(name: str, value: Any) -> Any:
    return datetime.date.fromisoformat(value) if name in DATE_FIELDS else value


def range_holds(name: str, bounds: list[Any], value: Any) -> bool:
    if value is None:
        return False
    low, high = bounds
    value = _comparable(name, value)
    return (low is None or _comparable(name, low) <= value) and (high is None or value <= _comparable(name, high))


def exists_in(world: World, model: str, name: str, record: Record) -> bool:
    if model == "City" and name == "user":
        return bool(world.users_of(record))
    value = record.get(name)
    if value is None:
        return False
    return len(value) > 0 if name in LIST_FIELDS else True


def holds(world: World, model: str, where: Where, record: Record) -> bool:
    """Whether `record` (of `model`) satisfies `where`; keys side by side are and-ed."""
    for key, value in where.items():
        if key == "match":
            ok = all(match_holds(name, values, record.get(name)) for name, values in value.items())
        elif key == "range":
            ok = all(range_holds(name, bounds, record.get(name)) for name, bounds in value.items())
        elif key == "exists":
            ok = all(exists_in(world, model, name, record) == wanted for name, wanted in value.items())
        elif key == "and":
            ok = all(holds(world, model, w, record) for w in value)
        elif key == "or":
            ok = any(holds(world, model, w, record) for w in value)
        elif key == "not":
            ok = not holds(world, model, value, record)
        elif model == "City" and key == "user":
            ok = any(holds(world, "User", value, u) for u in world.users_of(record))
        elif model == "User" and key == "address":
            city = world.address_of(record)
            ok = city is not None and holds(world, "City", value, city)
        else:
            raise AssertionError(f"the evaluator does not know {model}.{key}")
        if not ok:
            return False
    return True


def matching_cities(world: World, where: Where | None) -> list[Record]:
    """The matches in the table's own order."""
    records = [world.cities[i] for i in world.table_order]
    return [r for r in records if holds(world, "City", where or {}, r)]


def ordered(records: Sequence[Record], order_by: OrderBy) -> list[Record]:
    """Sorted by the keys as written, nulls last both ways, then by id in the last key's direction.

    Stable sorts from the least significant key to the most significant one.
    """
    descending = bool(order_by) and order_by[-1][1] in DESCENDING
    result = sorted(records, key=lambda r: r["id"], reverse=descending)
    for name, direction in reversed(order_by):
        present = [r for r in result if r.get(name) is not None]
        absent = [r for r in result if r.get(name) is None]
        present = sorted(present, key=lambda r: _comparable(name, r[name]), reverse=direction in DESCENDING)
        result = present + absent
    return result


@dataclass(frozen=True)
class PageArgs:
    skip: int | None = None
    first: int | None = None
    last: int | None = None
    # Cursors by position in the full ordered list of matches (taken modulo its length), or with
    # `foreign`, of every city in the same order: a cursor's record need not match the where-clause
    # (as when it has changed since), so the list may hold nothing at the cursor.
    after: int | None = None
    before: int | None = None
    foreign: bool = False


@dataclass
class ExpectedPage:
    ids: list[str]
    has_next: bool | None  # None: not asserted (an empty slice inside a non-empty list)
    has_previous: bool | None


def paged(ids: list[str], page: PageArgs, universe: list[str] | None = None) -> ExpectedPage:
    """skip, then after / before (by position in `universe`, the list the cursors come from, which
    holds `ids` in the same order; by default `ids` itself), then first, then last."""
    rank = {record_id: n for n, record_id in enumerate(ids if universe is None else universe)}
    positions = list(range(len(ids)))
    positions = positions[page.skip or 0 :]
    if page.after is not None:
        positions = [p for p in positions if rank[ids[p]] > page.after]
    if page.before is not None:
        positions = [p for p in positions if rank[ids[p]] < page.before]
    if page.first is not None:
        positions = positions[: page.first]
    if page.last is not None:
        positions = positions[max(0, len(positions) - page.last) :] if page.last else []
    chosen = [ids[p] for p in positions]
    if positions:
        return ExpectedPage(chosen, positions[-1] < len(ids) - 1, positions[0] > 0)
    if not ids:
        return ExpectedPage([], False, False)
    return ExpectedPage([], None, None)


# Data


@dataclass(frozen=True)
class CitySpec:
    name: str
    population: int | None
    neighborhoods: list[str] | None
    founded: str | None
    displaynames: list[str | None]


@dataclass(frozen=True)
class Dataset:
    cities: list[CitySpec]
    orphans: list[str | None]  # users without an address


def _unique_displaynames(dataset: Dataset) -> Dataset:
    """displayname is @unique: a repeated one becomes null."""
    seen: set[str] = set()

    def keep(name: str | None) -> str | None:
        if name is None or name in seen:
            return None
        seen.add(name)
        return name

    cities = [
        CitySpec(c.name, c.population, c.neighborhoods, c.founded, [keep(d) for d in c.displaynames])
        for c in dataset.cities
    ]
    return Dataset(cities, [keep(d) for d in dataset.orphans])


city_specs = st.builds(
    CitySpec,
    name=st.sampled_from(NAMES),
    population=st.sampled_from(POPULATIONS),
    neighborhoods=st.sampled_from(NEIGHBORHOODS),
    founded=st.sampled_from(FOUNDED),
    displaynames=st.lists(st.sampled_from(DISPLAYNAMES), max_size=2),
)


def datasets(min_cities: int = 0) -> st.SearchStrategy[Dataset]:
    return st.builds(
        Dataset,
        cities=st.lists(city_specs, min_size=min_cities, max_size=10),
        orphans=st.lists(st.sampled_from(DISPLAYNAMES), max_size=2),
    ).map(_unique_displaynames)


CREATE_CITY = """
mutation ($data: CityCreateInput!) { createCity(input: {data: $data}) { data { id user { id email } } } }
"""
CREATE_USER = "mutation ($data: UserCreateInput!) { createUser(input: {data: $data}) { data { id } } }"


KEYS: dict[str, list[str]] = {}  # the key attributes of each table, by table name


def empty_tables(api: Api) -> None:
    """Delete every item of every table, straight through the DynamoDB client (faster than
    deleting and creating the tables, and independent of the code under test)."""
    client = api.service.tables.clients()[0]
    for cls in api.service.tables.all_classes():
        table = cls.Meta.table_name
        if table not in KEYS:
            KEYS[table] = [k["AttributeName"] for k in client.describe_table(TableName=table)["Table"]["KeySchema"]]
        keys = KEYS[table]
        scan: dict[str, Any] = {"TableName": table}
        while True:
            page = client.scan(**scan)
            items = [{"DeleteRequest": {"Key": {k: item[k] for k in keys}}} for item in page["Items"]]
            for start in range(0, len(items), 25):
                left: dict[str, Any] = {table: items[start : start + 25]}
                while left:
                    left = client.batch_write_item(RequestItems=left)["UnprocessedItems"]
            if "LastEvaluatedKey" not in page:
                break
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def load(api: Api, dataset: Dataset) -> World:
    """Empty tables, then the dataset through the API; the world the evaluator reads."""
    empty_tables(api)
    cities: dict[str, Record] = {}
    users: dict[str, Record] = {}
    emails = iter(f"u{n}@x.com" for n in range(1000))
    for spec in dataset.cities:
        created: list[Record] = [{"email": next(emails), "displayname": d} for d in spec.displaynames]
        data = {
            "name": spec.name,
            "population": spec.population,
            "neighborhoods": spec.neighborhoods,
            "founded": spec.founded,
            "user": {"create": created},
        }
        result = api.data(CREATE_CITY, {"data": data})["createCity"]["data"]
        city_id: str = result["id"]
        fields = {k: v for k, v in data.items() if k != "user"}
        cities[city_id] = {"id": city_id, **fields}
        by_email = {u["email"]: u["id"] for u in result["user"]}
        assert sorted(by_email) == sorted(u["email"] for u in created), result
        for u in created:
            users[by_email[u["email"]]] = {"id": by_email[u["email"]], **u, "address": city_id}
    for displayname in dataset.orphans:
        data = {"email": next(emails), "displayname": displayname}
        user_id: str = api.data(CREATE_USER, {"data": data})["createUser"]["data"]["id"]
        users[user_id] = {"id": user_id, **data, "address": None}
    table_order = [c["id"] for c in api.data("{ cities { id } }")["cities"]]
    assert sorted(table_order) == sorted(cities)
    return World(cities, users, table_order)


# Where-clauses


@dataclass(frozen=True)
class IdRef:
    """The id of the dataset's `index`-th city in table order, or of no city when there are fewer."""

    index: int


# A well-formed City id (the model name and 32 hex digits, base64url) that no city has.
MISSING_ID = base64.urlsafe_b64encode(b"City:" + b"0" * 32).decode().rstrip("=")


def resolve(value: Any, world: World) -> Any:
    """`value` (a where-clause or part of one) with its IdRefs replaced by ids."""
    if isinstance(value, IdRef):
        order = world.table_order
        return order[value.index] if value.index < len(order) else MISSING_ID
    if isinstance(value, dict):
        return {k: resolve(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, world) for v in value]
    return value


def _match_values(values: list[Any]) -> st.SearchStrategy[Any]:
    """A single value (null included) or a list of them; rarely the empty list, which matches nothing."""
    one = st.sampled_from([None, *values])
    return st.one_of(one, st.lists(one, min_size=1, max_size=3), st.lists(one, max_size=3))


def _bounds(values: list[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.sampled_from([None, *values]), min_size=2, max_size=2)


def _some(**options: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of one or two of the keys, each with a value from its strategy."""
    keys = st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=2, unique=True)
    return keys.flatmap(lambda chosen: st.fixed_dictionaries({k: options[k] for k in chosen}))


city_match = _some(
    id=_match_values([IdRef(i) for i in range(6)]),
    name=_match_values(NAMES),
    population=_match_values([0, 1, 5, 100, 7]),
    neighborhoods=_match_values(HOODS),
    founded=_match_values(FOUNDED_BOUNDS),
)
city_range = _some(name=_bounds(NAME_BOUNDS), population=_bounds(POPULATION_BOUNDS), founded=_bounds(FOUNDED_BOUNDS))
city_exists = _some(**{f: st.booleans() for f in ["id", "name", "population", "neighborhoods", "founded", "user"]})
user_match = _some(displayname=_match_values(DISPLAYNAMES[1:]), email=_match_values(EMAILS))
user_range = _some(displayname=_bounds(DISPLAYNAME_BOUNDS))
user_exists = _some(displayname=st.booleans(), address=st.booleans())

# A city leaf without a relation filter, for `address` inside a user filter.
scalar_city_leaf = _some(match=city_match, range=city_range, exists=city_exists)
# The relation filter on a city's users: a match on displayname.
user_relation_leaf = st.fixed_dictionaries({"match": _some(displayname=_match_values(DISPLAYNAMES[1:]))})
city_leaf = _some(match=city_match, range=city_range, exists=city_exists, user=user_relation_leaf)
user_leaf = _some(match=user_match, range=user_range, exists=user_exists, address=scalar_city_leaf)


def _composed(
    leaf: st.SearchStrategy[Where], depth: int, relation: tuple[str, st.SearchStrategy[Where]] | None
) -> st.SearchStrategy[Where]:
    if depth == 0:
        return leaf
    inner = _composed(leaf, depth - 1, relation)
    options = [
        leaf,
        st.builds(lambda ws: {"and": ws}, st.lists(inner, min_size=1, max_size=2)),
        st.builds(lambda ws: {"or": ws}, st.lists(inner, min_size=1, max_size=2)),
        st.builds(lambda w: {"not": w}, inner),
    ]
    if relation is not None:
        key, strategy = relation
        options.append(st.builds(lambda w: {key: w}, strategy))
    return st.one_of(options)


def user_wheres(depth: int = 2) -> st.SearchStrategy[Where]:
    return _composed(user_leaf, depth, None)


def city_wheres(depth: int = 2) -> st.SearchStrategy[Where]:
    """Where-clauses on cities, up to `depth` levels of and / or / not / user."""
    return _composed(city_leaf, depth, ("user", user_wheres(1)))


order_bys: st.SearchStrategy[OrderBy] = st.lists(
    st.tuples(st.sampled_from(ORDER_FIELDS), st.sampled_from(DIRECTIONS)), max_size=3, unique_by=lambda t: t[0]
)
small = st.none() | st.integers(min_value=0, max_value=4)
positions = st.none() | st.integers(min_value=0, max_value=11)
page_args = st.builds(
    PageArgs, skip=small, first=small, last=small, after=positions, before=positions, foreign=st.booleans()
)


# Queries


CITY_IDS = (
    "query ($where: CityWhereInput, $orderBy: CityOrderByInput) { cities(where: $where, orderBy: $orderBy) { id } }"
)
USER_IDS = "query ($where: UserWhereInput) { users(where: $where) { id } }"
ROOTS = {"City": "citiesConnection", "User": "usersConnection"}


def connection_query(model: str, *, count: bool) -> str:
    return f"""
    query ($where: {model}WhereInput, $orderBy: {model}OrderByInput, $first: Int, $last: Int, $skip: Int,
           $after: String, $before: String) {{
      {ROOTS[model]}(where: $where, orderBy: $orderBy, first: $first, last: $last, skip: $skip,
                     after: $after, before: $before) {{
        edges {{ cursor node {{ id }} }}
        pageInfo {{ hasNextPage hasPreviousPage endCursor }}
        {"aggregate { count }" if count else ""}
      }}
    }}
    """


def order_input(order_by: OrderBy) -> dict[str, str] | None:
    return dict(order_by) if order_by else None


def city_ids(api: Api, where: Where | None, order_by: OrderBy | None = None) -> list[str]:
    found = api.data(CITY_IDS, {"where": where, "orderBy": order_input(order_by or [])})["cities"]
    return [c["id"] for c in found]


def user_ids(api: Api, where: Where | None) -> list[str]:
    return [u["id"] for u in api.data(USER_IDS, {"where": where})["users"]]


def connection(api: Api, model: str = "City", *, count: bool = True, **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.data(connection_query(model, count=count), variables)[ROOTS[model]]
    return result


def edge_ids(page: dict[str, Any]) -> list[str]:
    return [e["node"]["id"] for e in page["edges"]]


def expected_order(world: World, where: Where | None, order_by: OrderBy) -> list[str]:
    matches = matching_cities(world, where)
    return [r["id"] for r in (ordered(matches, order_by) if order_by else matches)]


def describe(world: World, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Cities as readable tuples (name, population, neighborhoods, founded, displaynames), for messages."""
    return [
        (c["name"], c["population"], c["neighborhoods"], c["founded"], [u["displayname"] for u in world.users_of(c)])
        for c in (world.cities[i] for i in ids)
    ]


def coverage(found: Sequence[str], total: int) -> None:
    """How much a where-clause kept, in Hypothesis's statistics (--hypothesis-show-statistics)."""
    if len(found) < 2:
        event(f"matches: {len(found)}")
    else:
        event("matches: every record (2 or more)" if len(found) == total else "matches: 2 or more, not all")


# Sanity checks of the evaluator itself, on the README's own examples


def test_evaluator_follows_the_readme_examples() -> None:
    ny: Record = {"id": "1", "name": "NY", "population": 8, "neighborhoods": ["queens"], "founded": "1624-01-01"}
    sf: Record = {"id": "2", "name": "SF", "population": None, "neighborhoods": [], "founded": None}
    la: Record = {"id": "0", "name": "LA", "population": 0, "neighborhoods": None, "founded": None}
    steve: Record = {"id": "u", "displayname": "steve", "email": "s@x.com", "address": "1"}
    world = World({"1": ny, "2": sf, "0": la}, {"u": steve}, ["1", "2", "0"])

    def names(where: Where) -> list[str]:
        return [r["name"] for r in matching_cities(world, where)]

    assert names({"match": {"name": ["NY", "SF"]}}) == ["NY", "SF"]
    assert names({"match": {"population": None}}) == ["SF"]
    assert names({"match": {"neighborhoods": "queens"}}) == ["NY"]
    assert names({"range": {"population": [0, None]}}) == ["NY", "LA"]
    assert names({"not": {"range": {"population": [1, None]}}}) == ["SF", "LA"]
    assert names({"exists": {"population": True}}) == ["NY", "LA"]
    assert names({"exists": {"neighborhoods": False}}) == ["SF", "LA"]
    assert names({"exists": {"user": True}}) == ["NY"]
    assert names({"user": {"match": {"displayname": "steve"}}}) == ["NY"]
    assert names({"or": [{"match": {"name": "LA"}}, {"range": {"founded": ["1600-01-01", "1700-01-01"]}}]}) == [
        "NY",
        "LA",
    ]
    by_population = [r["name"] for r in ordered(list(world.cities.values()), [("population", "DESC")])]
    assert by_population == ["NY", "LA", "SF"]
    by_name = [r["name"] for r in ordered(list(world.cities.values()), [("founded", "ASC")])]
    assert by_name == ["NY", "LA", "SF"]  # the nulls LA and SF tie: id "0" before "2"
    assert paged(list("ABCDE"), PageArgs(skip=2, after=0, first=2, last=1)).ids == ["D"]
    assert paged(list("ABCDE"), PageArgs(skip=1, after=0)).ids == list("BCDE")
    assert paged(list("ABCDE"), PageArgs(after=0, before=4, first=2, last=1)).ids == ["C"]
    assert paged(list("AB"), PageArgs(last=3)).ids == ["A", "B"]
    # Cursors from a longer list: nothing of the matches stands at them.
    page = paged(list("BD"), PageArgs(after=0, before=2, foreign=True), list("ABCDE"))
    assert (page.ids, page.has_next, page.has_previous) == (["B"], True, False)
    page = paged(list("BD"), PageArgs(after=3, foreign=True), list("ABCDE"))
    assert page == ExpectedPage([], None, None)


# Properties


@SETTINGS
@given(dataset=datasets(), wheres=st.lists(city_wheres(), min_size=1, max_size=4))
def test_where_returns_exactly_the_matches(cities: Api, dataset: Dataset, wheres: list[Where]) -> None:
    world = load(cities, dataset)
    for generated in wheres:
        where = resolve(generated, world)
        found = city_ids(cities, where)
        expected = [r["id"] for r in matching_cities(world, where)]
        coverage(expected, len(world.cities))
        assert len(found) == len(set(found)), found
        assert set(found) == set(expected), (where, describe(world, found), describe(world, expected))


@SETTINGS
@given(
    dataset=datasets(min_cities=2),
    queries=st.lists(st.tuples(st.none() | city_wheres(), order_bys.filter(bool)), min_size=1, max_size=4),
)
def test_where_and_order_by_return_the_ordered_matches(
    cities: Api, dataset: Dataset, queries: list[tuple[Where | None, OrderBy]]
) -> None:
    world = load(cities, dataset)
    for generated, order_by in queries:
        where = resolve(generated, world)
        found = city_ids(cities, where, order_by)
        expected = expected_order(world, where, order_by)
        coverage(expected, len(world.cities))
        assert found == expected, (where, order_by, describe(world, found), describe(world, expected))


def page_variables(
    source: dict[str, Any], where: Where | None, order_by: OrderBy, page: PageArgs, foreign: bool
) -> tuple[PageArgs, dict[str, Any]]:
    """`page`, its cursor positions taken in the edges of `source`, and the connection's variables."""
    cursors = [e["cursor"] for e in source["edges"]]
    # A cursor position only exists in a non-empty list.
    after = None if page.after is None or not cursors else page.after % len(cursors)
    before = None if page.before is None or not cursors else page.before % len(cursors)
    at = PageArgs(page.skip, page.first, page.last, after, before, foreign)
    variables: dict[str, Any] = {
        "where": where,
        "orderBy": order_input(order_by),
        "skip": at.skip,
        "first": at.first,
        "last": at.last,
        "after": None if after is None else cursors[after],
        "before": None if before is None else cursors[before],
    }
    return at, variables


def check_page(
    api: Api, world: World, where: Where | None, order_by: OrderBy, page: PageArgs, indexed: bool = False
) -> None:
    """One connection, with and without `aggregate` (which reads everything instead of streaming);
    `indexed`: an order by a key other than the id is read through its index, never a Scan."""
    ids = expected_order(world, where, order_by)
    coverage(ids, len(world.cities))
    everything = connection(api, where=where, orderBy=order_input(order_by))
    assert edge_ids(everything) == ids, (where, order_by, describe(world, edge_ids(everything)), describe(world, ids))
    # A list without orderBy resumes only at a record still in it: foreign cursors need an order.
    foreign = page.foreign and bool(order_by)
    source = connection(api, orderBy=order_input(order_by)) if foreign else everything
    at, variables = page_variables(source, where, order_by, page, foreign)
    expected = paged(ids, at, edge_ids(source))
    for count in (True, False):
        with api.calls() as calls:
            result = connection(api, count=count, **variables)
        context = (f"count={count}", where, order_by, at, describe(world, ids))
        assert edge_ids(result) == expected.ids, context
        if count:
            assert result["aggregate"] == {"count": len(ids)}, context
        elif indexed and order_by and order_by[0][0] != "id":
            assert "Scan" not in calls.counts, (context, calls.counts)
        if expected.has_next is not None:
            assert result["pageInfo"]["hasNextPage"] is expected.has_next, context
        if expected.has_previous is not None:
            assert result["pageInfo"]["hasPreviousPage"] is expected.has_previous, context


@SETTINGS
@given(
    dataset=datasets(),
    queries=st.lists(st.tuples(st.none() | city_wheres(), order_bys, page_args), min_size=1, max_size=4),
)
def test_connection_pages_the_ordered_matches(
    cities: Api, dataset: Dataset, queries: list[tuple[Where | None, OrderBy, PageArgs]]
) -> None:
    world = load(cities, dataset)
    for generated, order_by, page in queries:
        check_page(cities, world, resolve(generated, world), order_by, page)


# The same schema with ordered indexes on every field `orderBy` takes but the id: orders whose
# first key is one of them are then read through its index (query/sorted_reads.py), the further
# keys ordering its ties, and must answer the same. A city's users likewise, by their address.
INDEXED_CITIES = (
    CITIES_SCHEMA.read_text()
    .replace(
        "type City {",
        'type City @index(sortBy: "name") @index(sortBy: "population", shards: 3)'
        ' @index(sortBy: "founded", shards: 1) {',
    )
    .replace(
        "type User {",
        'type User @index(fields: ["address"], sortBy: "displayname") @index(fields: ["address"], sortBy: "email") {',
    )
)


@pytest.fixture
def indexed(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    schema = tmp_path / "indexed.graphql"
    schema.write_text(INDEXED_CITIES)
    return make_api(schema)


@SETTINGS
@given(
    dataset=datasets(),
    # More pages a dataset than above: cursors, skip and last together are what the index reads differ on.
    queries=st.lists(st.tuples(st.none() | city_wheres(), order_bys, page_args), min_size=1, max_size=8),
)
def test_indexed_connection_pages_the_ordered_matches(
    indexed: Api, dataset: Dataset, queries: list[tuple[Where | None, OrderBy, PageArgs]]
) -> None:
    world = load(indexed, dataset)
    for generated, order_by, page in queries:
        check_page(indexed, world, resolve(generated, world), order_by, page, indexed=True)


CITY_USERS = """
query ($where: UserWhereInput, $orderBy: UserOrderByInput, $first: Int, $last: Int, $skip: Int,
       $after: String, $before: String) {
  cities {
    id
    user(where: $where, orderBy: $orderBy, first: $first, last: $last, skip: $skip, after: $after, before: $before) {
      id
    }
  }
}
"""
# Orders of a city's users that an index serves: displayname or email first.
user_order_bys: st.SearchStrategy[OrderBy] = st.lists(
    st.tuples(st.sampled_from(["displayname", "email", "id"]), st.sampled_from(DIRECTIONS)),
    min_size=1,
    max_size=2,
    unique_by=lambda t: t[0],
).filter(lambda order_by: order_by[0][0] != "id")


@contextmanager
def sent_queries(api: Api) -> Iterator[list[dict[str, Any]]]:
    """The parameters of every Query sent inside the block."""
    sent: list[dict[str, Any]] = []

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            sent.append(params)

    clients = api.service.tables.clients()
    for client in clients:
        client.meta.events.register("provide-client-params.dynamodb", hook)
    try:
        yield sent
    finally:
        for client in clients:
            client.meta.events.unregister("provide-client-params.dynamodb", hook)


@SETTINGS
@given(
    dataset=datasets(min_cities=1),
    queries=st.lists(st.tuples(st.none() | user_wheres(1), user_order_bys, page_args), min_size=1, max_size=4),
)
def test_indexed_relation_lists_page_each_parents_ordered_matches(
    indexed: Api, dataset: Dataset, queries: list[tuple[Where | None, OrderBy, PageArgs]]
) -> None:
    """`cities { user(...) }` reads each city's users through the index of their address, the
    first pages of every city at once. Cursors are positions in the order, so one taken from the
    list of every user pages each city's list."""
    world = load(indexed, dataset)
    for generated, order_by, page in queries:
        where = resolve(generated, world)
        every = connection(indexed, "User", count=False, orderBy=order_input(order_by))
        universe = edge_ids(every)
        assert universe == [u["id"] for u in ordered(list(world.users.values()), order_by)]
        at, variables = page_variables(every, where, order_by, page, foreign=True)
        with sent_queries(indexed) as sent:
            found = indexed.data(CITY_USERS, variables)["cities"]
        if "address" not in json.dumps(where):
            # Each city's list is read through an ordered index (a relation filter reads other lists).
            assert all(q.get("IndexName", "").startswith("sorted-") for q in sent), sent
        for city in found:
            users = [u for u in world.users_of(world.cities[city["id"]]) if holds(world, "User", where or {}, u)]
            expected = paged([u["id"] for u in ordered(users, order_by)], at, universe)
            coverage(expected.ids, len(users))
            assert [u["id"] for u in city["user"]] == expected.ids, (where, order_by, at, city["id"])


class Refused(Exception):
    """A read answered GGT_INVALID_INPUT: refused, as a read past the cap must be."""


def walk(api: Api, model: str, where: Where | None, order_by: OrderBy, first: int, limit: int) -> list[str]:
    """Every id, feeding endCursor back as `after` until hasNextPage is false."""
    seen: list[str] = []
    after = None
    for _ in range(limit):
        variables = {"where": where, "orderBy": order_input(order_by), "first": first, "after": after}
        answer = api.query(connection_query(model, count=False), variables)
        if [e["extensions"]["code"] for e in answer.get("errors") or []] == [INVALID_INPUT]:
            raise Refused(answer["errors"][0]["message"])
        assert "errors" not in answer, answer
        result = answer["data"][ROOTS[model]]
        seen += edge_ids(result)
        if not result["pageInfo"]["hasNextPage"]:
            return seen
        after = result["pageInfo"]["endCursor"]
        assert after is not None, result
    raise AssertionError(f"no end after {limit} pages: {seen}")


@SETTINGS
@given(
    dataset=datasets(min_cities=2),
    walks=st.lists(
        st.tuples(st.none() | city_wheres(), order_bys, st.integers(min_value=1, max_value=4)), min_size=1, max_size=2
    ),
)
def test_following_end_cursors_visits_every_match_once_in_order(
    cities: Api, dataset: Dataset, walks: list[tuple[Where | None, OrderBy, int]]
) -> None:
    world = load(cities, dataset)
    for generated, order_by, first in walks:
        where = resolve(generated, world)
        expected = expected_order(world, where, order_by)
        coverage(expected, len(world.cities))
        seen = walk(cities, "City", where, order_by, first, limit=len(world.cities) + 2)
        assert seen == expected, (where, order_by, first, describe(world, seen), describe(world, expected))


@SETTINGS
@given(
    dataset=datasets(min_cities=2),
    walks=st.lists(
        st.tuples(st.none() | city_wheres(), order_bys, st.integers(min_value=1, max_value=4)), min_size=1, max_size=2
    ),
)
def test_indexed_end_cursors_visit_every_match_once_in_order(
    indexed: Api, dataset: Dataset, walks: list[tuple[Where | None, OrderBy, int]]
) -> None:
    world = load(indexed, dataset)
    for generated, order_by, first in walks:
        where = resolve(generated, world)
        expected = expected_order(world, where, order_by)
        with indexed.calls() as calls:
            seen = walk(indexed, "City", where, order_by, first, limit=len(world.cities) + 2)
        assert seen == expected, (where, order_by, first, describe(world, seen), describe(world, expected))
        if order_by and order_by[0][0] != "id":
            # Served by the index of its first key: the city table is never scanned.
            assert "Scan" not in calls.counts, (where, order_by, calls.counts)


@SETTINGS
@given(
    dataset=datasets(min_cities=1),
    queries=st.lists(st.tuples(city_wheres(), user_wheres()), min_size=1, max_size=4),
)
def test_relation_filters_agree_with_the_evaluator(
    cities: Api, dataset: Dataset, queries: list[tuple[Where, Where]]
) -> None:
    world = load(cities, dataset)
    for generated, generated_user_where in queries:
        city_where = resolve(generated, world)
        user_where = resolve(generated_user_where, world)
        found = user_ids(cities, {"address": city_where})
        expected = [u["id"] for u in world.users.values() if holds(world, "User", {"address": city_where}, u)]
        coverage(expected, len(world.users))
        assert len(found) == len(set(found)), found
        assert set(found) == set(expected), ("users(where: {address: W})", city_where)
        found_cities = city_ids(cities, {"user": user_where})
        expected_cities = [r["id"] for r in matching_cities(world, {"user": user_where})]
        coverage(expected_cities, len(world.cities))
        assert set(found_cities) == set(expected_cities), ("cities(where: {user: W})", user_where)


@SETTINGS
@given(
    dataset=datasets(min_cities=1),
    queries=st.lists(st.tuples(user_wheres(), st.integers(min_value=1, max_value=3)), min_size=1, max_size=4),
)
def test_user_where_agrees_with_the_evaluator(cities: Api, dataset: Dataset, queries: list[tuple[Where, int]]) -> None:
    """Top-level user filters, whose equality matches on the unique displayname and email query their indexes."""
    world = load(cities, dataset)
    for generated, first in queries:
        where = resolve(generated, world)
        expected = [u["id"] for u in world.users.values() if holds(world, "User", where, u)]
        coverage(expected, len(world.users))
        found = user_ids(cities, where)
        assert len(found) == len(set(found)), found
        assert set(found) == set(expected), where
        # Paging follows the unpaged order (an index Query for a match on one unique value).
        seen = walk(cities, "User", where, [], first, limit=len(world.users) + 2)
        assert seen == found, (where, first)


CAPS = (1, 2, 3)


@pytest.fixture
def capped(cities: Api, make_api: Callable[..., Api]) -> dict[int, Api]:
    """The same tables served with a read cap (PAGE_CAP) of 1, 2 and 3 items per request."""
    return {cap: make_api(CITIES_SCHEMA, page_cap=cap) for cap in CAPS}


@SETTINGS
@given(
    dataset=datasets(min_cities=1),
    cap=st.sampled_from(CAPS),
    queries=st.lists(
        st.tuples(st.none() | city_wheres(), order_bys, st.integers(min_value=1, max_value=4)), min_size=1, max_size=3
    ),
)
def test_reads_under_the_read_cap_are_whole_or_refused(
    cities: Api, capped: dict[int, Api], dataset: Dataset, cap: int, queries: list[tuple[Where | None, OrderBy, int]]
) -> None:
    """Under the cap, a stream (no orderBy, no count) ends its page where the cap stops it and its
    endCursor resumes there: walking visits every match once, in order. A read that needs the whole
    list answers it whole, or, when it would pass the cap, is refused: never a shortened answer. A
    filter through `user` reads a city's users whole, so it too is refused past the cap."""
    world = load(cities, dataset)
    api = capped[cap]
    crowded = any(len(spec.displaynames) > cap for spec in dataset.cities)
    for generated, order_by, first in queries:
        where = resolve(generated, world)
        expected = expected_order(world, where, [])
        coverage(expected, len(world.cities))
        refusal = None
        try:
            seen = walk(api, "City", where, [], first, limit=len(world.cities) + 2)
        except Refused as refused:
            refusal = str(refused)
        if refusal is not None:
            event("filter through users refused")
            assert crowded, refusal
            assert "user" in json.dumps(where), refusal
            assert "this read needs more than" in refusal
            continue
        assert seen == expected, (where, first, cap, describe(world, seen), describe(world, expected))
        ordered_ids = expected_order(world, where, order_by)
        variables = {"where": where, "orderBy": order_input(order_by), "first": first}
        result = api.query(connection_query("City", count=True), variables)
        if "errors" in result:
            event("whole read refused")
            assert len(world.cities) > cap, result
            assert [e["extensions"]["code"] for e in result["errors"]] == [INVALID_INPUT], result
            continue
        page = result["data"]["citiesConnection"]
        assert edge_ids(page) == ordered_ids[:first], (where, order_by, first, cap)
        assert page["aggregate"] == {"count": len(ordered_ids)}


# What moto lets through and DynamoDB does not


BETWEEN_MESSAGE = "The BETWEEN operator requires upper bound to be greater than or equal to lower bound"


def _attribute_value(value: dict[str, Any]) -> Any:
    """A number or string AttributeValue, in DynamoDB's order (numbers by value, strings by UTF-8 bytes)."""
    return Decimal(value["N"]) if "N" in value else value["S"].encode()


def _reject_inverted_between(params: dict[str, Any], model: Any, **_: Any) -> None:
    """DynamoDB's validation of `a BETWEEN :low AND :high`, which moto skips: a ValidationException
    when :low is greater than :high ("The BETWEEN operator requires upper bound to be greater than
    or equal to lower bound")."""
    requests = [params, *(op for item in params.get("TransactItems") or [] for op in item.values())]
    for request in requests:
        values = request.get("ExpressionAttributeValues") or {}
        for kind in ("FilterExpression", "ConditionExpression", "KeyConditionExpression"):
            for low, high in re.findall(r"BETWEEN (:\w+) AND (:\w+)", request.get(kind) or ""):
                if _attribute_value(values[low]) > _attribute_value(values[high]):
                    message = f"Invalid {kind}: {BETWEEN_MESSAGE}"
                    raise ClientError({"Error": {"Code": "ValidationException", "Message": message}}, model.name)


@contextmanager
def dynamodb_between_validation(api: Api) -> Iterator[None]:
    clients = api.service.tables.clients()
    for client in clients:
        client.meta.events.register("before-parameter-build.dynamodb", _reject_inverted_between)
    try:
        yield
    finally:
        for client in clients:
            client.meta.events.unregister("before-parameter-build.dynamodb", _reject_inverted_between)


def test_a_range_in_order_passes_dynamodb_between_validation(cities: Api) -> None:
    """The emulated validation itself: a range whose ends are in order goes through."""
    world = load(cities, Dataset([CitySpec("A", 3, None, None, [])], []))
    with dynamodb_between_validation(cities):
        assert city_ids(cities, {"range": {"population": [1, 5]}}) == list(world.cities)
        assert city_ids(cities, {"range": {"population": [3, 3]}}) == list(world.cities)


def test_an_inverted_range_matches_nothing_on_dynamodb(cities: Api) -> None:
    """BUG: `range: {population: [5, 1]}` holds for no record (the README's inclusive range; the
    evaluator above; moto agrees), but the where-compiler sends it to DynamoDB as
    `population BETWEEN :5 AND :1`, which real DynamoDB rejects with a ValidationException, so the
    client gets GGT_INTERNAL_ERROR instead of an empty list. Strings and dates (`name: ["b", "a"]`)
    alike; and the same compiled condition serves updateMany / deleteMany and `conditions`."""
    load(cities, Dataset([CitySpec("A", 3, None, None, [])], []))
    with dynamodb_between_validation(cities):
        result = cities.query(CITY_IDS, {"where": {"range": {"population": [5, 1]}}})
    assert result == {"data": {"cities": []}}
