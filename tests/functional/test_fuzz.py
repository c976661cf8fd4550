"""Fuzzing the HTTP endpoint with generated GraphQL operations (hypothesis-graphql), on the default
schema and the Genie cities example, as system-admin and without credentials.

Whatever the operation, the answer is well formed: status 200 or 400 (never a 5xx), a JSON object
with `data` and/or `errors`, every error with `extensions.code`, no internal error, and no message
revealing internals (a traceback, botocore or PynamoDB, an ARN, a table name, a source file).
Without credentials, every error is a denial or an invalid request, and nothing seeded shows.

The operations are generated from the printed SDL of the service's executable schema, queries and
mutations alike, valid ones (Mode.POSITIVE) and ones with one schema violation (Mode.NEGATIVE), with
values for the custom scalars that are sometimes valid and sometimes not, and ids that are sometimes
those of stored records. The tables are seeded first and keep what the generated mutations write.

Hostile requests, built to break the server rather than to use it, get the same checks: JSON and
query text nested thousands deep, where-clauses past the size limit wherever one is taken, records
past DynamoDB's item limit, and importData objects whose values have any JSON shape. Each is
refused with its code, and what was stored stays intact and readable.

Each test prints its figures (operations tried, by status, by error code, failures); run with `-s`
(as `make harden` does) to see them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from chalicelib import errors
from chalicelib.api.decoding import MAX_JSON_DEPTH
from tests.conftest import ADMIN, CITIES_SCHEMA, DEFAULT_SCHEMA, Api

# Examples per test, scaled by FUZZ_SCALE (e.g. FUZZ_SCALE=10 for a longer hunt): at 1, the whole
# file runs in well under a minute.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
# The suite fuzzes the same operations every run, so that it passes or fails alike on every machine;
# FUZZ_RANDOM=1 (as `make harden` sets) explores new ones.
DERANDOMIZE = not os.environ.get("FUZZ_RANDOM")
ADMIN_EXAMPLES = max(1, int(200 * SCALE))
ANONYMOUS_EXAMPLES = max(1, int(100 * SCALE))
# What no error message may contain: internals of the server. Matched case-insensitively, except
# where the operation itself holds the text (a message may quote the client's own input).
LEAKS = ("traceback", "botocore", "pynamodb", "arn:", "resourcenotfound", ".py", "test-", 'file "')
# The codes an anonymous caller may see: a denial, a request that does not parse or validate, or
# bad input to what anonymous callers may do (their own session: a cart holds domain names).
ANONYMOUS_CODES = frozenset(
    {
        errors.PERMISSION_DENIED,
        errors.VALIDATION_FAILED,
        errors.PARSE_FAILED,
        errors.INVALID_INPUT,
        errors.INVALID_RECORD,
    }
)

ValueNodes = st.SearchStrategy[graphql.ValueNode]


@dataclass
class Stats:
    """What a fuzzing run tried and saw; `failures` lists the properties that did not hold."""

    name: str
    operations: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    roots: Counter[str] = field(default_factory=Counter)
    mutations: int = 0
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def report(self) -> str:
        seconds = time.monotonic() - self.started
        return (
            f"\n[fuzz] {self.name}: {self.operations} operations tried ({self.mutations} mutations), "
            f"{len(self.failures)} failures, {seconds:.1f} s; statuses {dict(sorted(self.statuses.items()))}; "
            f"error codes {dict(self.codes.most_common())}; "
            f"{len(self.roots)} distinct root fields"
        )


# Values for the custom scalars (and ids): mostly well formed, sometimes not.


def _json_literals() -> ValueNodes:
    """Any JSON value as a GraphQL literal (for JSON and RecordState)."""
    names = st.from_regex(r"\A[_A-Za-z][_0-9A-Za-z]{0,7}\Z")
    leaves: ValueNodes = st.one_of(
        st.text(max_size=12).map(nodes.String),
        st.integers(-(2**40), 2**40).map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.booleans().map(nodes.Boolean),
        st.just(nodes.Null),
    )

    def extend(children: ValueNodes) -> ValueNodes:
        pairs = st.lists(st.tuples(names, children), max_size=4, unique_by=lambda pair: pair[0])
        objects = pairs.map(
            lambda items: nodes.Object(
                [graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in items]
            )
        )
        return st.one_of(st.lists(children, max_size=4).map(nodes.List), objects)

    return st.recursive(leaves, extend, max_leaves=10)


def _text_or(valid: st.SearchStrategy[str]) -> ValueNodes:
    """Mostly valid values: one invalid value makes the whole operation a 400, before any resolver runs."""
    invalid = st.text(max_size=16)
    return st.integers(0, 29).flatmap(lambda n: invalid if n == 17 else valid).map(nodes.String)


def _scalars(known_ids: list[str]) -> dict[str, ValueNodes]:
    utc = st.datetimes(min_value=dt.datetime(1900, 1, 1), timezones=st.just(dt.UTC))
    ids = st.sampled_from(known_ids) if known_ids else st.nothing()
    return {
        "ID": st.one_of(ids, ids, ids, st.text(max_size=24)).map(nodes.String),
        "Date": _text_or(st.dates().map(dt.date.isoformat)),
        "DateTime": _text_or(utc.map(dt.datetime.isoformat)),
        "Time": _text_or(st.times(timezones=st.just(dt.UTC)).map(dt.time.isoformat)),
        "Email": _text_or(st.emails()),
        "Password": _text_or(st.text(min_size=8, max_size=20)),
        "JSON": _json_literals(),
        "RecordState": _json_literals(),
    }


# Checking one answer.


def _leaks(message: str, sent: str) -> list[str]:
    low, sent_low = message.lower(), sent.lower()
    return [marker for marker in LEAKS if marker in low and marker not in sent_low]


def check_answer(
    response: Any, sent: str, allowed: frozenset[str] | None, secrets: tuple[str, ...] = ()
) -> tuple[int, list[str], list[str]]:
    """The status, the error codes and the broken properties of one answer. `secrets` are values the
    caller may not read, which must not appear in the answer unless the operation itself holds them."""
    problems: list[str] = []
    text = response.body.decode(errors="replace") if isinstance(response.body, bytes) else str(response.body)
    problems += [f"the answer reveals {secret!r}" for secret in secrets if secret in text and secret not in sent]
    status = response.status_code
    if status not in (200, 400):
        problems.append(f"status {status}")
    try:
        body = json.loads(response.body)
    except ValueError:
        return status, [], [*problems, f"body is not JSON: {response.body[:200]!r}"]
    if not isinstance(body, dict) or not ({"data", "errors"} & set(body)):
        return status, [], [*problems, f"body has neither data nor errors: {str(body)[:200]}"]
    if status == 400 and body.get("data") is not None:
        problems.append("a 400 with data")
    found_codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or [] if isinstance(e, dict)]
    request_error = bool(found_codes) and set(found_codes) <= {errors.PARSE_FAILED, errors.VALIDATION_FAILED}
    # Under application/json (these requests name no Accept) a document that does not parse or
    # validate is a 200 without data, as GraphQL over HTTP asks; nothing else may be.
    if status == 200 and "data" not in body and not request_error:
        problems.append("a 200 without data")
    codes: list[str] = []
    found = body.get("errors") or []
    if not isinstance(found, list):
        return status, [], [*problems, f"errors is not a list: {str(found)[:200]}"]
    for error in found:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        if not isinstance(code, str) or not code:
            problems.append(f"an error without extensions.code: {error}")
            continue
        codes.append(code)
        if code == errors.INTERNAL_ERROR:
            problems.append(f"an internal error: {error}")
        if allowed is not None and code not in allowed:
            problems.append(f"code {code} where only {sorted(allowed)} may appear: {error}")
        if not isinstance(message, str):
            problems.append(f"an error without a message: {error}")
        elif leaked := _leaks(message, sent):
            problems.append(f"message reveals {leaked}: {message[:300]}")
    return status, codes, problems


ROOT_FIELD = re.compile(r"\{\s*(\w+)")


@dataclass(frozen=True)
class Seeded:
    """What the seeding stored: ids for the generated operations to use, and values only system-admin reads."""

    ids: list[str]
    secrets: tuple[str, ...]


def fuzz(
    api: Api,
    name: str,
    headers: dict[str, str],
    seeded: Seeded,
    examples: int,
    allowed: frozenset[str] | None = None,
) -> Stats:
    """Send `examples` generated operations (valid and invalid) through `api.post`, checking each answer;
    with `allowed` (an anonymous caller), the seeded secrets must not show either."""
    schema = graphql.print_schema(api.service.schema)
    scalars = _scalars(seeded.ids)
    secrets = seeded.secrets if allowed is not None else ()
    valid = from_schema(schema, custom_scalars=scalars, allow_x00=False)
    # Three valid operations to one with a schema violation.
    operations = st.one_of(valid, valid, valid, from_schema(schema, custom_scalars=scalars, mode=Mode.NEGATIVE))
    stats = Stats(name)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation=operations)
    def run(operation: str) -> None:
        stats.operations += 1
        root = ROOT_FIELD.search(operation)
        stats.roots[root.group(1) if root else "?"] += 1
        stats.mutations += operation.startswith("mutation")
        response = api.post({"query": operation}, headers=headers)
        status, codes, problems = check_answer(response, operation, allowed, secrets)
        stats.statuses[status] += 1
        stats.codes.update(codes)
        if problems:
            # Recorded, not raised: the run goes on, and the test reports every failure at the end.
            stats.failures.append(f"{problems}\noperation: {operation}\nanswer: {response.body[:1500]!r}")

    try:
        run()
    finally:
        print(stats.report())
    return stats


# Seeding: a few records of every model, so that reads find something and ids resolve.


def seed_default(api: Api) -> Seeded:
    known: list[str] = []
    for n in range(3):
        created = api.data(
            "mutation ($data: UserCreateInput!) { createUser(input: {data: $data}) { data { id } } }",
            {"data": {"email": f"seed{n}@example.com", "name": f"seed {n}", "username": f"seed{n}"}},
        )
        known.append(created["createUser"]["data"]["id"])
        shop = api.data(
            "mutation ($data: ShopifyShopCreateInput!) { createShopifyShop(input: {data: $data}) { data { id } } }",
            {"data": {"name": f"shop {n}", "myshopifyDomain": f"shop{n}.myshopify.com", "latitude": 1.5}},
        )
        known.append(shop["createShopifyShop"]["data"]["id"])
    signed = api.query(
        'mutation { signUp(email: "fuzz@example.com", password: "fuzz-password") { success session { id } } }', None, {}
    )
    session = (signed.get("data") or {}).get("signUp", {}).get("session")
    if session:
        known.append(session["id"])
    secrets = ("fuzz@example.com", *(f"seed{n}@example.com" for n in range(3)), "myshopify.com")
    return Seeded(known, secrets)


def seed_cities(api: Api) -> Seeded:
    known: list[str] = []
    for n in range(3):
        created = api.data(
            "mutation ($data: CityCreateInput!) { createCity(input: {data: $data}) { data { id user { id } } } }",
            {
                "data": {
                    "name": f"city {n}",
                    "neighborhoods": ["a", "b"],
                    "population": 1000 * n,
                    "founded": "1900-01-0" + str(n + 1),
                    "user": {"create": [{"email": f"u{n}@x.com", "displayname": f"user {n}"}]},
                }
            },
        )
        city = created["createCity"]["data"]
        known += [city["id"], *(u["id"] for u in city["user"])]
    return Seeded(known, ("city 0", "city 1", "city 2", "u0@x.com", "u1@x.com", "u2@x.com"))


def _assert_clean(stats: Stats) -> None:
    assert stats.operations > 0
    shown = "\n\n".join(stats.failures[:5])
    assert not stats.failures, f"{len(stats.failures)} of {stats.operations} operations failed; the first:\n{shown}"


Seeder = Callable[[Api], Seeded]


@pytest.mark.slow
@pytest.mark.parametrize(("schema", "seed"), [(DEFAULT_SCHEMA, seed_default), (CITIES_SCHEMA, seed_cities)])
def test_generated_operations_as_admin_get_well_formed_answers(
    make_api: Callable[..., Api], schema: Any, seed: Seeder
) -> None:
    api = make_api(schema)
    _assert_clean(fuzz(api, f"{schema.name} as system-admin", ADMIN, seed(api), ADMIN_EXAMPLES))


@pytest.mark.slow
@pytest.mark.parametrize(("schema", "seed"), [(DEFAULT_SCHEMA, seed_default), (CITIES_SCHEMA, seed_cities)])
def test_generated_operations_without_credentials_are_denied_or_invalid(
    make_api: Callable[..., Api], schema: Any, seed: Seeder
) -> None:
    api = make_api(schema)
    stats = fuzz(api, f"{schema.name} without credentials", {}, seed(api), ANONYMOUS_EXAMPLES, ANONYMOUS_CODES)
    _assert_clean(stats)


# Hostile requests: built to break the server rather than to use it. Each must be answered like
# any other request (a 200 or a 4xx with codes, no internal error, nothing internal revealed).

Send = Callable[[Api], Any]
CHUNK = "x" * 50_000


def _raw(body: str) -> Send:
    return lambda api: api.post(None, raw=body.encode())


def _post(query: str, variables: dict[str, Any] | None = None) -> Send:
    return lambda api: api.post({"query": query, "variables": variables})


def _get(query: str, variables: str) -> Send:
    params = urlencode({"query": query, "variables": variables})
    return lambda api: api.client.http.get(f"/graphql?{params}", headers=api.headers)


def _nested(depth: int, before: str, inner: str, after: str) -> str:
    return before * depth + inner + after * depth


def _deep_json(city: str, user: str) -> dict[str, Send]:
    """Bodies and variables nested past the JSON depth limit, or not JSON at all."""
    body = '{"query": "{ cities { id } }", "variables": {"v": %s}}'
    return {
        "arrays 5000 deep": _raw(body % _nested(5000, "[", "", "]")),
        "objects 5000 deep": _raw(body % _nested(5000, '{"a": ', "1", "}")),
        "unterminated 90000 deep": _raw(body % ("[" * 90_000)),
        "a bare array 5000 deep": _raw(_nested(5000, "[", "", "]")),
        "at the limit": _raw(body % _nested(MAX_JSON_DEPTH - 2, "[", "", "]")),
        "past the limit": _raw(body % _nested(MAX_JSON_DEPTH - 1, "[", "", "]")),
        "NaN": _raw(body % "NaN"),
        "1e999": _raw(body % "1e999"),
        "escapes and quotes": _raw(body % ('"' + '\\"[' * 20_000)),
        "GET variables 5000 deep": _get("{ cities { id } }", '{"v": ' + _nested(5000, "[", "", "]") + "}"),
    }


def _deep_text(city: str, user: str) -> dict[str, Send]:
    """Query text nested past what graphql-core parses or validates, or the depth and cost rules allow."""
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(2000))
    return {
        "selections 5000 deep": _post("{" + _nested(5000, "a {", "b", "}") + "}"),
        "selections 190 deep": _post("{" + _nested(190, "cities {", "id", "}") + "}"),
        "list literal 5000 deep": _post(
            "{ cities(where: {match: {name: " + _nested(5000, "[", "", "]") + "}}) { id } }"
        ),
        "object literal 5000 deep": _post("{ cities(where: " + _nested(5000, "{not: ", "{}", "}") + ") { id } }"),
        "fragments 2000 deep": _post("{ ...F0 } " + fragments + " fragment F2000 on Query { __typename }"),
        "9000 fields": _post("{" + "__typename " * 9000 + "}"),
        "1000 aliased lists": _post("{" + " ".join(f"a{i}: cities {{ id }}" for i in range(1000)) + "}"),
    }


def _wide_where(city: str, user: str) -> dict[str, Send]:
    """Where-clauses past the size limit, wherever a where-clause is taken."""
    wide_or = {"or": [{"match": {"name": [f"n{i}"]}} for i in range(600)]}
    clauses = {
        "or of 600": wide_or,
        "and of 600": {"and": [{"exists": {"name": True}}] * 600},
        "and 20 deep": _nested_and(20),
        "1000 names": {"match": {"name": [f"n{i}" for i in range(1000)]}},
        "1000 ids": {"match": {"id": [city] * 1000}},
        "relations 20 deep": _hops(20),
    }
    # Every field that takes a where-clause, given it as `$w` (and the city's id as `$id`).
    uses = {
        "cities": "cities(where: $w) { id }",
        "connection": "citiesConnection(where: $w, first: 5) { aggregate { count } }",
        "relation": "users { address(where: $w) { id } }",
        "updateMany": 'updateManyCities(input: {where: $w, data: {name: "z"}}) { count }',
        "deleteMany": "deleteManyCities(input: {where: $w}) { count }",
        "update": 'updateCity(input: {where: {id: $id}, data: {name: "z"}, conditions: $w}) { data { id } }',
        "delete": "deleteCity(input: {where: {id: $id}, conditions: $w}) { data { id } }",
        "upsert": 'upsertCity(input: {where: {id: $id}, create: {name: "z"}, update: {name: "z"}, conditions: $w})'
        " { data { id } }",
        "import": "importData(data: $d, merge: true, conditions: {id: [$id], conditions: $w}) { data }",
    }
    reads = ("cities", "connection", "relation")
    declared = {
        **dict.fromkeys(reads, "query ($w: CityWhereInput)"),
        "updateMany": "mutation ($w: CityWhereInput!)",
        "deleteMany": "mutation ($w: CityWhereInput!)",
        "import": "mutation ($w: JSON!, $d: [JSON]!, $id: String)",
    }
    operations = {
        use: f"{declared.get(use, 'mutation ($w: CityWhereInput, $id: ID)')} {{ {field} }}"
        for use, field in uses.items()
    }
    sends = {
        f"{clause} in {use}": _post(
            query, {"w": where, "id": city, "d": [{"__typename": "City", "id": city, "name": "z"}]}
        )
        for clause, where in clauses.items()
        for use, query in operations.items()
    }
    user_wide = {"or": [{"match": {"email": [f"e{i}"]}} for i in range(600)]}
    sends["not 150 deep, written in the query"] = _post(
        "{ cities(where: " + _nested(150, "{not: ", "{}", "}") + ") { id } }"
    )
    sends["or of 600 in a to-many relation"] = _post(
        "query ($w: UserWhereInput) { cities { user(where: $w) { id } } }", {"w": user_wide}
    )
    sends["or of 600 through a relation"] = _post(
        "query ($w: UserWhereInput) { users(where: $w) { id } }", {"w": {"address": wide_or, "match": {"id": [user]}}}
    )
    return sends


def _nested_and(depth: int) -> dict[str, Any]:
    """6 terms a level, in 2 levels of JSON: past the term limit well within the JSON depth limit."""
    where: dict[str, Any] = {}
    for _ in range(depth):
        where = {"and": [where, {"match": {"name": ["a", "b", "c", "d"]}}]}
    return where


def _hops(depth: int) -> dict[str, Any]:
    """A City where-clause `user: {address: {user: ...}}`, `depth` relations deep, matching 5
    values at each: 6 terms a level of JSON."""
    where: dict[str, Any] = {}
    for hop in range(depth):
        relation, field = ("user", "name") if (depth - hop) % 2 else ("address", "email")
        where = {relation: where, "match": {field: [f"v{i}" for i in range(5)]}}
    return where


def _oversized(city: str, user: str) -> dict[str, Send]:
    """Writes past DynamoDB's 400 KB item limit: creates, imports, and pushes until refused."""
    many = "[" + ", ".join(["$s"] * 10) + "]"
    create = (
        'mutation ($s: String) {{ createCity(input: {{data: {{name: "a", neighborhoods: {}}}}}) {{ data {{ id }} }} }}'
    )
    push = (
        "mutation ($id: ID, $s: String{}) {{ updateCity(input: {{where: {{id: $id}},"
        " data: {{neighborhoods: {{push: [$s, $s]}}{}}}}}) {{ data {{ id }} }} }}"
    )
    return {
        "create": _post(create.format(many), {"s": CHUNK}),
        "create with a nested create": _post(
            create.format(f'{many}, user: {{create: [{{email: "big@x.com"}}]}}'), {"s": CHUNK}
        ),
        "import": _post(
            f'mutation ($s: String) {{ importData(data: [{{__typename: "City", name: "a", neighborhoods: {many}}}])'
            " { data } }",
            {"s": CHUNK},
        ),
        **{f"push {n}": _post(push.format("", ""), {"id": city, "s": CHUNK}) for n in range(6)},
        "push with a connect": _post(
            push.format(", $u: ID", ", user: {connect: [{id: $u}]}"), {"id": city, "u": user, "s": CHUNK}
        ),
        "updateMany push": _post(
            "mutation ($s: String) {"
            " updateManyCities(input: {where: {}, data: {neighborhoods: {push: [$s, $s]}}}) { count } }",
            {"s": CHUNK},
        ),
    }


# Each group of hostile requests (given a seeded city and user), and the codes that refuse them.
HOSTILE: dict[str, tuple[Callable[[str, str], dict[str, Send]], set[str]]] = {
    "deep JSON": (_deep_json, {errors.BAD_REQUEST}),
    "deep query text": (_deep_text, {errors.PARSE_FAILED, errors.VALIDATION_FAILED}),
    "wide where-clauses": (_wide_where, {errors.INVALID_INPUT}),
    "oversized records": (_oversized, {errors.INVALID_INPUT}),
}


@pytest.mark.parametrize("group", list(HOSTILE))
def test_hostile_requests_are_refused_with_codes(cities: Api, group: str) -> None:
    seeded = seed_cities(cities)
    city, user = seeded.ids[0], seeded.ids[1]
    requests, refusals = HOSTILE[group]
    stats = Stats(f"hostile requests: {group}")
    accepted: list[str] = []
    for name, send in requests(city, user).items():
        stats.operations += 1
        response = send(cities)
        status, codes, problems = check_answer(response, "", None)
        stats.statuses[status] += 1
        stats.codes.update(codes)
        if problems:
            stats.failures.append(f"{name}: {problems}\nanswer: {response.body[:500]!r}")
        if not codes or not set(codes) <= refusals:
            accepted.append(name)
    print(stats.report())
    _assert_clean(stats)
    # Everything is refused but JSON exactly at the depth limit and the pushes that still fit.
    pushes = [name for name in accepted if name.startswith("push ")]
    assert [name for name in accepted if name not in pushes] == (["at the limit"] if group == "deep JSON" else [])
    assert pushes == [f"push {n}" for n in range(len(pushes))]
    assert len(pushes) < 4  # 4 pushes of 100 kB are past the limit by any count
    stored = cities.data("query ($id: ID) { city(id: $id) { neighborhoods } cities { id } }", {"id": city})
    assert len(stored["cities"]) == 3
    assert stored["city"]["neighborhoods"] == ["a", "b", *[CHUNK] * (2 * len(pushes))]


# importData with values of every JSON shape for every field: wrong types are refused, never stored.

IMPORT = (
    "mutation ($data: [JSON]!, $merge: Boolean, $c: [ConditionsInput!]) {"
    " importData(data: $data, merge: $merge, conditions: $c) { data } }"
)
WHERE_KEYS = ["match", "range", "exists", "and", "or", "not", "user", "address", "nope"]


def _json_values(ids: list[str]) -> st.SearchStrategy[Any]:
    """Any JSON value, with the extremes of each type and, often, the id of a stored record."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(-(2**80), 2**80),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
        st.sampled_from(["1900-01-01", "2026-01-01T00:00:00Z", "u@x.com", *ids]),
    )

    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)

    return st.recursive(leaves, extend, max_leaves=6)


@pytest.mark.slow
def test_imported_values_of_any_shape_are_stored_right_or_refused(cities: Api) -> None:
    seeded = seed_cities(cities)
    values = _json_values(seeded.ids)
    # Values of the right type half of the time, so that some imports are stored (and read back).
    plausible = st.sampled_from(["a", 7, -(2**31), 2.5, True, ["a", None], [], *seeded.ids, seeded.ids[:2]])
    fields = {model.name: [*model.fields, "nope"] for model in cities.service.registry.crud_models()}
    required = {"City": {"name": "imported"}, "User": {"email": "imported@x.com"}}
    objects = st.sampled_from(sorted(fields)).flatmap(
        lambda typename: st.dictionaries(st.sampled_from(fields[typename]), plausible | values, max_size=2).map(
            lambda chosen: {"__typename": typename, **required[typename], **chosen}
        )
    )
    wheres = st.dictionaries(st.sampled_from(WHERE_KEYS), values, max_size=3) | values
    stats = Stats("importData values")

    @settings(
        max_examples=max(1, int(150 * SCALE)),
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.lists(objects, min_size=1, max_size=3), merge=st.booleans(), where=wheres)
    def run(data: list[dict[str, Any]], merge: bool, where: Any) -> None:
        stats.operations += 1
        guarded = [d["id"] for d in data if isinstance(d.get("id"), str)]
        variables = {"data": data, "merge": merge, "c": {"id": guarded, "conditions": where}}
        response = cities.post({"query": IMPORT, "variables": variables})
        sent = json.dumps(variables)
        status, codes, problems = check_answer(response, sent, None)
        stats.statuses[status] += 1
        stats.codes.update(codes)
        if problems:
            stats.failures.append(f"{problems}\nvariables: {sent[:500]}\nanswer: {response.body[:500]!r}")

    try:
        run()
    finally:
        print(stats.report())
    _assert_clean(stats)
    # Whatever was stored reads back: no value of the wrong type got in.
    everything = "{ cities { id name neighborhoods founded population user { id } } users { id email address { id } } }"
    assert "errors" not in cities.query(everything)


# What the fuzzing found, pinned down: minimal operations, each answered with an internal error.


def test_update_conditions_with_a_range_that_is_not_a_pair_are_invalid_input(cities: Api) -> None:
    """`range` takes [min, max]: deleteCity, upsertCity, updateMany and every query refuse another
    shape with GGT_INVALID_INPUT, and so must updateCity by id with plain data (its one-UpdateItem path)."""
    city_id = cities.data('mutation { createCity(input: {data: {name: "A", population: 5}}) { data { id } } }')[
        "createCity"
    ]["data"]["id"]
    for bounds in ([], [1], [1, 2, 3]):
        result = cities.query(
            "mutation ($id: ID, $c: CityWhereInput) {"
            " updateCity(input: {where: {id: $id}, data: {population: 1}, conditions: $c}) { data { id } } }",
            {"id": city_id, "c": {"range": {"population": bounds}}},
        )
        assert [e["extensions"]["code"] for e in result["errors"]] == [errors.INVALID_INPUT], (bounds, result)
    assert cities.data("{ cities { population } }")["cities"] == [{"population": 5}]


def test_a_float_beyond_what_dynamodb_stores_is_refused_as_input(api: Api) -> None:
    """GraphQL's Float is a double; a DynamoDB number holds magnitudes from 1e-130 to below 1e126. A
    value outside is the client's error (GGT_INVALID_INPUT, or a validation error), not an internal one."""
    for value in (1e200, -1e200, 1e-200):
        result = api.query(
            "mutation ($v: Float) { createShopifyShop(input: {data: {latitude: $v}}) { data { id } } }", {"v": value}
        )
        codes = [e["extensions"]["code"] for e in result.get("errors") or []]
        assert codes in ([errors.INVALID_INPUT], [errors.VALIDATION_FAILED]), (value, result)
    assert api.data("{ shopifyShops { id } }")["shopifyShops"] == []
