"""Fault injection: DynamoDB calls failing at random (throttling, transaction conflicts, timeouts)
under a workload of mutations on the Genie cities example.

Hooks on the store's one botocore client fail calls, with a seeded random generator: before a
try is sent (nothing happens; DynamoDB's error answer or a timeout, inside botocore's retry loop, so
the store's retry policy retries it as it would a real one) or, more rarely, after the call (it
happened; its answer is lost past every retry, as when the last try's read times out). A workload
of creates with nested users, conditional updates, connects that move users, nested deletes, pushes
and pulls, deletes, and updateMany / deleteMany runs (a deadline as good as past, so every call
handles one record and hands back a cursor) runs under it. Then, with the faults off:

- the store is consistent (`tooling.consistency.check`): guards match records, both sides of
  every relation agree, nothing is half applied;
- every reported success happened: a model of the expected state, changed only by what the API
  reported (successes, and conditions reported as failed), matches the store for every field no
  failed write may have touched;
- no failure happened: a write reported as failed, with its whole payload null, wrote nothing
  (every value written is unique to its operation, so a stored value names the write it came from);
- every failure is an error with a code, and no message reveals internals.

Each test prints its figures (operations, injected faults, outcomes); run with `-s` to see them.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from chalicelib import errors
from chalicelib.api.bulk import MARGIN_SECONDS
from chalicelib.api.errors import LOGGER
from tests.conftest import CITIES_SCHEMA, Api
from tests.dynamodb_answers import error_response, operation_of, recorded_waits
from tests.functional.helpers import hooked
from tooling.consistency import check

# What an injected error says: an ARN and a table name, which must never reach a client.
BAIT = "arn:aws:dynamodb:us-east-1:123456789012:table/test-City (botocore)"
LEAKS = ("traceback", "botocore", "pynamodb", "arn:", "resourcenotfound", ".py", "test-", "123456789012")
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
# The codes a failed mutation may carry here: the injected fault itself (unavailable after the
# retries, or an internal error for an answer lost), or what the store held when the model could
# not know it.
FAILURE_CODES = frozenset(
    {errors.INTERNAL_ERROR, errors.UNAVAILABLE, errors.RECORD_NOT_FOUND, errors.INVALID_INPUT, errors.INVALID_RECORD}
)

CITY = "id name population neighborhoods"
CREATE_CITY = f"""
mutation ($data: CityCreateInput!) {{
  createCity(input: {{data: $data}}) {{ data {{ {CITY} user {{ id email }} }} }}
}}"""
CREATE_USER = """
mutation ($data: UserCreateInput!) { createUser(input: {data: $data}) { data { id email address { id } } } }"""
UPDATE_CITY = f"""
mutation ($where: CityWhereUniqueInput!, $data: CityUpdateInput!, $conditions: CityWhereInput) {{
  updateCity(input: {{where: $where, data: $data, conditions: $conditions}}) {{
    data {{ {CITY} }}
    unalteredData {{ {CITY} }}
  }}
}}"""
UPSERT_CITY = f"""
mutation ($where: CityWhereUniqueInput!, $create: CityCreateInput!, $update: CityUpdateInput!) {{
  upsertCity(input: {{where: $where, create: $create, update: $update}}) {{ data {{ {CITY} }} }}
}}"""
UPDATE_USER = """
mutation ($where: UserWhereUniqueInput!, $data: UserUpdateInput!, $conditions: UserWhereInput) {
  updateUser(input: {where: $where, data: $data, conditions: $conditions}) {
    data { id email displayname }
    unalteredData { id email displayname }
  }
}"""
DELETE_CITY = f"""
mutation ($where: CityWhereUniqueInput!, $conditions: CityWhereInput) {{
  deleteCity(input: {{where: $where, conditions: $conditions}}) {{ data {{ {CITY} }} unalteredData {{ {CITY} }} }}
}}"""
COUNT_CITIES = "query ($where: CityWhereInput) { c: citiesConnection(where: $where) { aggregate { count } } }"
DELETE_USER = """
mutation ($where: UserWhereUniqueInput!) { deleteUser(input: {where: $where}) { data { id email } } }"""


def many(operation: str, type_name: str, update: bool) -> str:
    data_variable = f", $data: {type_name}UpdateInput!" if update else ""
    data_argument = ", data: $data" if update else ""
    return f"""
mutation ($where: {type_name}WhereInput!{data_variable}, $cursor: String) {{
  {operation}(input: {{where: $where{data_argument}, cursor: $cursor}}) {{ count complete cursor }}
}}"""


UPDATE_MANY_CITIES = many("updateManyCities", "City", update=True)
DELETE_MANY_CITIES = many("deleteManyCities", "City", update=False)
UPDATE_MANY_USERS = many("updateManyUsers", "User", update=True)


# Injecting faults.


def transaction_conflict(body: bytes) -> AWSResponse:
    """TransactionCanceledException, one reason per item of the call, one of them a conflict."""
    try:
        items = len(json.loads(body)["TransactItems"])
    except (KeyError, TypeError, ValueError):
        items = 1
    reasons = [{"Code": "None"} for _ in range(items)]
    reasons[random.Random(items).randrange(items)] = {"Code": "TransactionConflict", "Message": BAIT}
    return error_response("TransactionCanceledException", BAIT, CancellationReasons=reasons)


def make_fault(kind: str, operation: str, body: bytes) -> AWSResponse:
    """DynamoDB's error answer of `kind`; a timeout is raised, as botocore's HTTP layer does."""
    if kind == "throttling":
        return error_response("ProvisionedThroughputExceededException", BAIT)
    if kind == "internal":
        return error_response("InternalServerError", BAIT)
    if kind == "conflict":
        if operation == "TransactWriteItems":
            return transaction_conflict(body)
        return error_response("TransactionConflictException", BAIT)
    if kind == "read-timeout":
        raise ReadTimeoutError(endpoint_url="x")
    if kind == "connect-timeout":
        raise ConnectTimeoutError(endpoint_url="x")
    raise AssertionError(kind)


BEFORE_KINDS = ("throttling", "conflict", "read-timeout", "connect-timeout", "internal")


@dataclass
class Faults:
    """botocore hooks failing DynamoDB calls at random: `rate` of tries before they are sent (nothing
    happens), `lost_rate` of calls after (the call happened, its answer is lost: a read timeout)."""

    seed: int
    rate: float
    lost_rate: float = 0.0
    kinds: tuple[str, ...] = BEFORE_KINDS
    # Only these operations, when given (targeted tests); and at most `limit` faults in all.
    operations: frozenset[str] | None = None
    limit: int | None = None
    active: bool = False
    calls: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    # Faults since `begin` (one operation's): (before/after, DynamoDB operation, kind).
    recent: list[tuple[str, str, str]] = field(default_factory=list)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def begin(self) -> None:
        self.recent = []

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def _fires(self, operation: str, rate: float) -> bool:
        if not self.active or (self.operations is not None and operation not in self.operations):
            return False
        if self.limit is not None and self.total >= self.limit:
            return False
        return self.rng.random() < rate

    def before(self, request: Any, event_name: str, **_kwargs: Any) -> AWSResponse | None:
        operation = operation_of(event_name)
        if self.active:
            self.calls[operation] += 1
        if not self._fires(operation, self.rate):
            return None
        kind = self.rng.choice(self.kinds)
        self.injected[kind] += 1
        self.recent.append(("before", operation, kind))
        return make_fault(kind, operation, request.body)

    def after(self, model: Any, **_kwargs: Any) -> None:
        if not self._fires(model.name, self.lost_rate):
            return
        self.injected["lost-response"] += 1
        self.recent.append(("after", model.name, "lost-response"))
        raise ReadTimeoutError(endpoint_url="x")

    def wrote_maybe(self) -> bool:
        """Whether a write may have happened though its call failed (its answer was lost)."""
        return any(when == "after" and operation in WRITES for when, operation, _ in self.recent)


@contextmanager
def injecting(api: Api, faults: Faults) -> Iterator[Faults]:
    """The hooks on the store's one botocore client for the block (the faults still off: set
    `faults.active`). Internal errors are expected here by the hundred: their log is silenced."""
    logger = logging.getLogger(LOGGER)
    disabled = logger.disabled
    logger.disabled = True
    try:
        with hooked(api, {"before-send.dynamodb": faults.before, "after-call.dynamodb": faults.after}):
            yield faults
    finally:
        faults.active = False
        logger.disabled = disabled


# Checking an answer.


def leaks(message: str) -> list[str]:
    low = message.lower()
    return [marker for marker in LEAKS if marker in low]


def error_problems(result: dict[str, Any]) -> list[str]:
    problems = []
    for error in result.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if not code:
            problems.append(f"an error without a code: {error}")
        elif code not in FAILURE_CODES:
            problems.append(f"unexpected code {code}: {error}")
        if found := leaks(str(error.get("message"))):
            problems.append(f"message reveals {found}: {error}")
    return problems


# The model: what the store must hold, as far as the API's answers tell.


class Unknown:
    def __repr__(self) -> str:
        return "?"


UNKNOWN: Any = Unknown()
YES, MAYBE, GONE = "yes", "maybe", "gone"

SUCCESS = "success"  # no errors, the payload's data there
CONDITIONS = "conditions failed"  # no errors, nothing written, unalteredData there
APPLIED = "applied"  # the payload's data there, errors below it (a read after the write failed)
CLEAN = "failed"  # errors, the whole payload null: nothing may have been written
AMBIGUOUS = "ambiguous"  # errors, and a write may have happened (its answer lost)


@dataclass
class Rec:
    fields: dict[str, Any]
    exists: str = YES


@dataclass
class Outcome:
    kind: str
    payload: dict[str, Any] | None
    codes: list[str]
    faulted: bool

    @property
    def wrote(self) -> bool:
        return self.kind in (SUCCESS, APPLIED)

    @property
    def data(self) -> dict[str, Any]:
        assert self.payload is not None
        value: dict[str, Any] = self.payload["data"]
        assert value is not None
        return value


@dataclass
class Stats:
    name: str
    requests: int = 0
    operations: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    # Failures with no fault injected: the store's own answer (a record the model was unsure of).
    unfaulted: int = 0
    started: float = field(default_factory=time.monotonic)

    def report(self, faults: Faults, violations: list[str], compared: int) -> str:
        seconds = time.monotonic() - self.started
        successes = self.outcomes[SUCCESS] + self.outcomes[APPLIED] + self.outcomes[CONDITIONS]
        failures = self.outcomes[CLEAN] + self.outcomes[AMBIGUOUS]
        return (
            f"\n[faults] {self.name}: {self.requests} requests ({sum(self.operations.values())} operations), "
            f"{sum(faults.calls.values())} DynamoDB calls, {faults.total} faults injected "
            f"{dict(faults.injected.most_common())}; {successes} successes, {failures} failures; "
            f"outcomes {dict(self.outcomes.most_common())} ({self.unfaulted} failures with no fault injected); "
            f"codes {dict(self.codes.most_common())}; "
            f"operations {dict(self.operations.most_common())}; {compared} stored fields compared with the model; "
            f"{len(violations)} violations; {seconds:.1f} s"
        )


class Workload:
    """Random mutations under faults, and the model of what their answers say the store holds."""

    def __init__(self, api: Api, faults: Faults, seed: int, name: str) -> None:
        self.api = api
        self.faults = faults
        self.rng = random.Random(seed)
        self.stats = Stats(name)
        self.cities: dict[str, Rec] = {}
        self.users: dict[str, Rec] = {}
        # Every value written is fresh: (field, value) -> the operation that wrote it.
        self.origin: dict[tuple[str, Any], int] = {}
        self.counter = 0
        self.op = 0
        self.clean_failures: set[int] = set()
        self.in_bulk = False
        self.compared = 0
        self.violations: list[str] = []

    # Values.

    def fresh(self, key: str) -> Any:
        self.counter += 1
        value: Any
        if key == "City.population":
            value = 100_000 + self.counter
        elif key == "City.name":
            value = f"c{self.counter}"
        elif key == "City.neighborhoods":
            value = f"n{self.counter}"
        elif key == "User.email":
            value = f"u{self.counter}@x.co"
        else:
            value = f"d{self.counter}"
        self.origin[(key, value)] = self.op
        return value

    def city_data(self, users: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.fresh("City.name"),
            "population": self.fresh("City.population"),
            "neighborhoods": [self.fresh("City.neighborhoods")],
        }
        if users:
            data["user"] = {"create": [self.user_data() for _ in range(users)]}
        return data

    def user_data(self) -> dict[str, Any]:
        return {"email": self.fresh("User.email"), "displayname": self.fresh("User.displayname")}

    # Sending.

    def send(self, kind: str, query: str, variables: dict[str, Any], root: str) -> Outcome:
        """One request under faults, its answer checked and classified."""
        self.stats.requests += 1
        self.stats.operations[kind] += 1
        self.faults.begin()
        self.faults.active = True
        try:
            response = self.api.post({"query": query, "variables": variables})
        finally:
            self.faults.active = False
        if response.status_code not in (200, 400):
            self.violation(f"status {response.status_code}: {response.body[:300]!r}")
        result: dict[str, Any] = json.loads(response.body)
        for problem in error_problems(result):
            self.violation(f"{kind}: {problem}")
        codes = [(e.get("extensions") or {}).get("code", "?") for e in result.get("errors") or []]
        self.stats.codes.update(codes)
        payload = (result.get("data") or {}).get(root)
        faulted = bool(self.faults.recent)
        if not codes:
            if payload is None or ("data" in payload and payload["data"] is None and not payload.get("unalteredData")):
                self.violation(f"{kind}: neither errors nor data: {result}")
                outcome = Outcome(AMBIGUOUS, None, codes, faulted)
            elif "data" in payload and payload["data"] is None:
                outcome = Outcome(CONDITIONS, payload, codes, faulted)
            else:
                outcome = Outcome(SUCCESS, payload, codes, faulted)
        elif payload is not None and payload.get("data") is not None:
            outcome = Outcome(APPLIED, payload, codes, faulted)
        elif payload is None and not self.faults.wrote_maybe():
            outcome = Outcome(CLEAN, None, codes, faulted)
            if not self.in_bulk:
                # A bulk run's calls share its values: one failed call proves nothing about the others.
                self.clean_failures.add(self.op)
        else:
            outcome = Outcome(AMBIGUOUS, payload, codes, faulted)
        self.stats.outcomes[outcome.kind] += 1
        if codes and not faulted:
            # Nothing failed underneath: the error is the store's own answer, which the model may
            # not have been able to foresee (a record it is unsure of); callers check when it could.
            self.stats.unfaulted += 1
        return outcome

    def violation(self, text: str) -> None:
        self.violations.append(f"op {self.op}: {text}")

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Bookkeeping reads, with the faults off."""
        active, self.faults.active = self.faults.active, False
        try:
            yield
        finally:
            self.faults.active = active

    def lookup_users(self, emails: list[str]) -> dict[str, str]:
        """User ids by email, read with the faults off."""
        with self.quiet():
            found = self.api.data("query ($e: [String!]) { users(email: $e) { id email } }", {"e": emails})
        return {u["email"]: u["id"] for u in found["users"] if u is not None}

    # Choosing targets.

    def pick(self, records: dict[str, Rec], certain: bool = False) -> str | None:
        ids = [i for i, r in records.items() if r.exists == YES or (r.exists == MAYBE and not certain)]
        return self.rng.choice(ids) if ids else None

    def children(self, city_id: str) -> list[str]:
        return [i for i, r in self.users.items() if r.exists == YES and r.fields["address"] == city_id]

    def expect_success(self, outcome: Outcome, what: str, *ids: str) -> None:
        """With no fault injected and every record involved known to exist, the operation must succeed."""
        certain = all((self.cities.get(i) or self.users.get(i) or Rec({}, MAYBE)).exists == YES for i in ids)
        if certain and not outcome.faulted and outcome.kind not in (SUCCESS, CONDITIONS):
            self.violation(f"{what} failed with no fault injected, on records known to exist: {outcome.codes}")

    # Model changes.

    def city_unknown(self, city_id: str, *names: str) -> None:
        rec = self.cities.get(city_id)
        if rec is not None:
            for name in names:
                rec.fields[name] = UNKNOWN

    def city_gone(self, city_id: str, certainly: bool) -> None:
        rec = self.cities.get(city_id)
        if rec is None:
            return
        rec.exists = GONE if certainly else MAYBE
        for user in self.users.values():
            if user.fields["address"] == city_id:
                user.fields["address"] = None if certainly else UNKNOWN

    def add_users(self, emails: list[str], city_id: str | None, displaynames: dict[str, str]) -> None:
        """Users a reported success created: each must be there (read with the faults off)."""
        found = self.lookup_users(emails)
        for email in emails:
            if email not in found:
                self.violation(f"user {email} was reported created and is missing")
        for email, user_id in found.items():
            self.users[user_id] = Rec({"email": email, "displayname": displaynames[email], "address": city_id})
            if city_id is not None:
                self.cities[city_id].exists = YES

    # Operations.

    def create_city(self) -> None:
        data = self.city_data(self.rng.choice([0, 1, 1, 2]))
        outcome = self.send("createCity", CREATE_CITY, {"data": data}, "createCity")
        if not outcome.wrote:
            return
        created = outcome.data
        self.cities[created["id"]] = Rec({k: data[k] for k in ("name", "population", "neighborhoods")})
        for key in ("name", "population", "neighborhoods"):
            if created[key] != data[key]:
                self.violation(f"createCity answered {key}={created[key]!r}, not {data[key]!r}")
        users = data.get("user", {}).get("create", [])
        self.add_users([u["email"] for u in users], created["id"], {u["email"]: u["displayname"] for u in users})

    def create_user(self) -> None:
        data = self.user_data()
        city_id = self.pick(self.cities) if self.rng.random() < 0.7 else None
        if city_id is not None:
            data["address"] = {"connect": {"id": city_id}}
        outcome = self.send("createUser", CREATE_USER, {"data": data}, "createUser")
        if outcome.wrote:
            self.add_users([data["email"]], city_id, {data["email"]: data["displayname"]})
        elif city_id is not None:
            self.expect_success(outcome, "createUser connecting a city", city_id)

    def update_city(self) -> None:
        city_id = self.pick(self.cities)
        if city_id is None:
            return
        rec = self.cities[city_id]
        data: dict[str, Any] = {}
        kind = self.rng.choice(["population", "name", "push", "pull", "push-pull", "set"])
        if kind == "population":
            data["population"] = self.fresh("City.population")
        elif kind == "name":
            data["name"] = self.fresh("City.name")
        elif kind == "set":
            data["neighborhoods"] = {"set": [self.fresh("City.neighborhoods") for _ in range(2)]}
        else:
            change: dict[str, Any] = {}
            if "push" in kind:
                change["push"] = [self.fresh("City.neighborhoods")]
            if "pull" in kind:
                known = rec.fields["neighborhoods"]
                change["pull"] = [self.rng.choice(known)] if known and known is not UNKNOWN else ["n0"]
            data["neighborhoods"] = change
        # Conditions: none, on the population the model expects (or another, to fail), or through a relation.
        conditions: dict[str, Any] | None = None
        expected_hold: bool | None = True
        population = rec.fields["population"]
        condition_kind = self.rng.choice(["none", "match", "match", "mismatch", "relation"])
        if condition_kind in ("match", "mismatch"):
            wanted = population if condition_kind == "match" and population is not UNKNOWN else 1
            conditions = {"match": {"population": [wanted]}}
            expected_hold = None if population is UNKNOWN else population == wanted
        elif condition_kind == "relation":
            children = self.children(city_id)
            if children:
                email = self.users[children[0]].fields["email"]
                conditions = {"user": {"match": {"email": [email]}}}
                expected_hold = None if email is UNKNOWN else True
            else:
                conditions = {"user": {"exists": {"id": True}}}
                expected_hold = None
        variables = {"where": {"id": city_id}, "data": data, "conditions": conditions}
        outcome = self.send("updateCity", UPDATE_CITY, variables, "updateCity")
        if outcome.kind == CONDITIONS:
            rec.exists = YES
            if expected_hold:
                self.violation(f"updateCity conditions {conditions} failed; the model says they hold: {rec.fields}")
            self.observe_city(city_id, outcome.payload["unalteredData"] if outcome.payload else None)
            return
        if outcome.wrote:
            rec.exists = YES
            if expected_hold is False:
                self.violation(f"updateCity conditions {conditions} held; the model says not: {rec.fields}")
            for key in ("population", "name"):
                if key in data:
                    rec.fields[key] = data[key]
            if "neighborhoods" in data:
                rec.fields["neighborhoods"] = self.list_change(rec.fields["neighborhoods"], data["neighborhoods"])
            self.observe_city(city_id, outcome.data)
            return
        if outcome.kind == AMBIGUOUS:
            self.city_unknown(city_id, *data)
        if expected_hold:
            self.expect_success(outcome, "updateCity", city_id)

    def list_change(self, current: Any, change: dict[str, Any]) -> Any:
        if change.get("set") is not None:
            base = change["set"]
        elif current is UNKNOWN:
            return UNKNOWN
        else:
            base = current or []
        pull = change.get("pull") or []
        return [item for item in base if item not in pull] + (change.get("push") or [])

    def observe_city(self, city_id: str, seen: dict[str, Any] | None) -> None:
        """A city as the API showed it: what the model knows must agree; what it did not know, it learns."""
        if seen is None:
            return
        rec = self.cities[city_id]
        for key in ("name", "population", "neighborhoods"):
            if rec.fields[key] is UNKNOWN:
                rec.fields[key] = seen[key]
            elif rec.fields[key] != seen[key]:
                self.violation(f"City {city_id}: {key} is {seen[key]!r}; the model says {rec.fields[key]!r}")

    def upsert_city(self) -> None:
        target = self.rng.choice(list(self.cities)) if self.cities else "Q2l0eTpub25l"
        create = self.city_data(0)
        update = {"population": self.fresh("City.population")}
        outcome = self.send(
            "upsertCity", UPSERT_CITY, {"where": {"id": target}, "create": create, "update": update}, "upsertCity"
        )
        if outcome.wrote:
            found = outcome.data
            if found["id"] == target:
                if self.cities[target].exists == GONE:
                    self.violation(f"upsertCity updated {target}, which was reported deleted")
                self.cities[target].exists = YES
                self.cities[target].fields["population"] = update["population"]
                self.observe_city(target, found)
            else:
                if target in self.cities and self.cities[target].exists == YES:
                    self.violation(f"upsertCity created a city though {target} exists")
                self.cities[found["id"]] = Rec({k: create[k] for k in ("name", "population", "neighborhoods")})
        elif outcome.kind == AMBIGUOUS and target in self.cities:
            self.city_unknown(target, "population")

    def move_user(self) -> None:
        user_id, city_id = self.pick(self.users), self.pick(self.cities)
        if user_id is None or city_id is None:
            return
        how = self.rng.choice(["from city", "from user", "disconnect"])
        if how == "from city":
            variables = {"where": {"id": city_id}, "data": {"user": {"connect": [{"id": user_id}]}}}
            outcome = self.send("connect (city side)", UPDATE_CITY, variables, "updateCity")
        elif how == "from user":
            variables = {"where": {"id": user_id}, "data": {"address": {"connect": {"id": city_id}}}}
            outcome = self.send("connect (user side)", UPDATE_USER, variables, "updateUser")
        else:
            variables = {"where": {"id": user_id}, "data": {"address": {"disconnect": True}}}
            outcome = self.send("disconnect", UPDATE_USER, variables, "updateUser")
        user = self.users[user_id]
        target = None if how == "disconnect" else city_id
        if outcome.wrote:
            user.exists = YES
            user.fields["address"] = target
            if target is not None:
                self.cities[target].exists = YES
        else:
            if outcome.kind == AMBIGUOUS:
                user.fields["address"] = UNKNOWN
            self.expect_success(outcome, f"move user ({how})", user_id, *([target] if target else []))

    def nested_child_write(self) -> None:
        city_id = self.pick(self.cities, certain=True)
        if city_id is None:
            return
        children = self.children(city_id)
        if children and self.rng.random() < 0.6:
            child = self.rng.choice(children)
            variables = {"where": {"id": city_id}, "data": {"user": {"delete": [{"id": child}]}}}
            outcome = self.send("nested delete", UPDATE_CITY, variables, "updateCity")
            if outcome.wrote:
                self.users[child].exists = GONE
            elif outcome.kind == AMBIGUOUS:
                self.users[child].exists = MAYBE
            else:
                self.expect_success(outcome, "nested delete", city_id, child)
            return
        new = self.user_data()
        variables = {"where": {"id": city_id}, "data": {"user": {"create": [new]}}}
        outcome = self.send("nested create", UPDATE_CITY, variables, "updateCity")
        if outcome.wrote:
            self.add_users([new["email"]], city_id, {new["email"]: new["displayname"]})
        else:
            self.expect_success(outcome, "nested create", city_id)

    def update_user(self) -> None:
        user_id = self.pick(self.users)
        if user_id is None:
            return
        user = self.users[user_id]
        others = [
            r.fields["email"]
            for i, r in self.users.items()
            if i != user_id and r.exists == YES and r.fields["email"] is not UNKNOWN
        ]
        taken = bool(others) and self.rng.random() < 0.2
        data = {"email": self.rng.choice(others)} if taken else {"displayname": self.fresh("User.displayname")}
        where = {"id": user_id}
        if user.fields["email"] is not UNKNOWN and self.rng.random() < 0.5:
            where = {"email": user.fields["email"]}
        outcome = self.send("updateUser", UPDATE_USER, {"where": where, "data": data}, "updateUser")
        if outcome.wrote:
            if taken:
                self.violation(f"updateUser set email {data['email']!r}, which another user holds")
            user.exists = YES
            user.fields.update(data)
        elif outcome.kind == AMBIGUOUS:
            for key in data:
                user.fields[key] = UNKNOWN
        elif taken and not outcome.faulted and user.exists == YES and errors.INVALID_RECORD not in outcome.codes:
            self.violation(f"updateUser to a taken email failed with {outcome.codes}, not {errors.INVALID_RECORD}")

    def delete_city(self) -> None:
        city_id = self.pick(self.cities)
        if city_id is None:
            return
        rec = self.cities[city_id]
        conditions = None
        if self.rng.random() < 0.3 and rec.fields["population"] is not UNKNOWN:
            conditions = {"match": {"population": [rec.fields["population"]]}}
        outcome = self.send(
            "deleteCity", DELETE_CITY, {"where": {"id": city_id}, "conditions": conditions}, "deleteCity"
        )
        if outcome.wrote:
            self.city_gone(city_id, certainly=True)
        elif outcome.kind == AMBIGUOUS:
            self.city_gone(city_id, certainly=False)
        elif outcome.kind == CONDITIONS:
            self.violation(f"deleteCity conditions {conditions} failed; the model says they hold: {rec.fields}")
        else:
            self.expect_success(outcome, "deleteCity", city_id)

    def delete_user(self) -> None:
        user_id = self.pick(self.users)
        if user_id is None:
            return
        user = self.users[user_id]
        where = {"id": user_id}
        if user.fields["email"] is not UNKNOWN and self.rng.random() < 0.5:
            where = {"email": user.fields["email"]}
        outcome = self.send("deleteUser", DELETE_USER, {"where": where}, "deleteUser")
        if outcome.wrote:
            user.exists = GONE
        elif outcome.kind == AMBIGUOUS:
            user.exists = MAYBE
        else:
            self.expect_success(outcome, "deleteUser", user_id)

    # Bulk runs: one record a call (the deadline is past), resumed by cursor; a failed call is sent
    # again with the cursor of the last one that succeeded. Nothing else runs meanwhile.

    def run_bulk(self, kind: str, query: str, variables: dict[str, Any], root: str) -> tuple[bool, int, int]:
        """Calls until complete (or too many failures): (complete, the sum of counts, failed calls)."""
        self.in_bulk = True
        try:
            return self._run_bulk(kind, query, variables, root)
        finally:
            self.in_bulk = False

    def _run_bulk(self, kind: str, query: str, variables: dict[str, Any], root: str) -> tuple[bool, int, int]:
        cursor: str | None = None
        total = failed = 0
        for _ in range(60):
            outcome = self.send(kind, query, {**variables, "cursor": cursor}, root)
            if outcome.kind != SUCCESS:
                failed += 1
                if failed > 20:
                    break
                continue
            assert outcome.payload is not None
            total += outcome.payload["count"]
            if outcome.payload["complete"]:
                if outcome.payload["cursor"] is not None:
                    self.violation(f"{kind}: complete with a cursor")
                return True, total, failed
            cursor = outcome.payload["cursor"]
        return False, total, failed

    def count(self, query: str, where: dict[str, Any]) -> int:
        with self.quiet():
            found: int = self.api.data(query, {"where": where})["c"]["aggregate"]["count"]
        return found

    def update_many_cities(self) -> None:
        chosen = [i for i in list(self.cities) if self.cities[i].exists != GONE]
        chosen = self.rng.sample(chosen, min(len(chosen), self.rng.randint(1, 4)))
        names = [self.cities[i].fields["name"] for i in chosen if self.cities[i].fields["name"] is not UNKNOWN]
        if not names:
            return
        where = {"match": {"name": names}}
        population = self.fresh("City.population")
        matching = self.count(COUNT_CITIES, where)
        complete, total, _ = self.run_bulk(
            "updateManyCities",
            UPDATE_MANY_CITIES,
            {"where": where, "data": {"population": population}},
            "updateManyCities",
        )
        for rec in self.cities.values():
            name = rec.fields["name"]
            if name is UNKNOWN:
                rec.fields["population"] = UNKNOWN
            elif name in names:
                rec.fields["population"] = population if complete else UNKNOWN
        if complete and total != matching:
            self.violation(f"updateManyCities counted {total}; {matching} cities matched {where}")

    def delete_many_cities(self) -> None:
        chosen = [i for i in list(self.cities) if self.cities[i].exists != GONE]
        chosen = self.rng.sample(chosen, min(len(chosen), self.rng.randint(1, 3)))
        if not chosen:
            return
        by_id = self.rng.random() < 0.5
        names = [self.cities[i].fields["name"] for i in chosen]
        if not by_id and UNKNOWN in names:
            return
        where: dict[str, Any] = {"match": {"id": chosen}} if by_id else {"match": {"name": names}}
        matching = self.count(COUNT_CITIES, where)
        complete, total, failed = self.run_bulk(
            "deleteManyCities", DELETE_MANY_CITIES, {"where": where}, "deleteManyCities"
        )
        for city_id in chosen:
            self.city_gone(city_id, certainly=complete)
        if not by_id:
            for city_id, rec in self.cities.items():
                if rec.fields["name"] is UNKNOWN and rec.exists != GONE:
                    self.city_gone(city_id, certainly=False)
        if complete and (total > matching or (not failed and total != matching)):
            self.violation(f"deleteManyCities counted {total} ({failed} failed calls); {matching} cities matched")
        if complete and self.count(COUNT_CITIES, where):
            self.violation(f"deleteManyCities was complete, and cities still match {where}")

    def move_many_users(self) -> None:
        city_id = self.pick(self.cities, certain=True)
        users = [
            i for i in list(self.users) if self.users[i].exists == YES and self.users[i].fields["email"] is not UNKNOWN
        ]
        if city_id is None or not users:
            return
        chosen = self.rng.sample(users, min(len(users), self.rng.randint(1, 3)))
        emails = [self.users[i].fields["email"] for i in chosen]
        where = {"match": {"email": emails}}
        data = {"address": {"connect": {"id": city_id}}}
        complete, _, _ = self.run_bulk(
            "updateManyUsers (move)", UPDATE_MANY_USERS, {"where": where, "data": data}, "updateManyUsers"
        )
        for user_id in chosen:
            self.users[user_id].fields["address"] = city_id if complete else UNKNOWN

    # Running, and checking the end state.

    OPERATIONS = (
        ("create_city", 5),
        ("create_user", 3),
        ("update_city", 8),
        ("upsert_city", 1),
        ("move_user", 4),
        ("nested_child_write", 3),
        ("update_user", 3),
        ("delete_city", 2),
        ("delete_user", 2),
        ("update_many_cities", 1),
        ("delete_many_cities", 1),
        ("move_many_users", 1),
    )

    def run(self, requests: int, seconds: float) -> None:
        names = [name for name, _ in self.OPERATIONS]
        weights = [weight for _, weight in self.OPERATIONS]
        deadline = time.monotonic() + seconds
        for _ in range(3):
            self.op += 1
            self.create_city()
        while self.stats.requests < requests and time.monotonic() < deadline:
            self.op += 1
            getattr(self, self.rng.choices(names, weights)[0])()

    def check_end_state(self) -> list[str]:
        problems = [str(p) for p in check(self.api.service.store)]
        stored = {r["id"]: r for r in self.api.data("{ exportData }")["exportData"]}
        for model, records in (("City", self.cities), ("User", self.users)):
            for record_id, rec in records.items():
                found = stored.get(record_id)
                if rec.exists == YES and found is None:
                    problems.append(f"{model} {record_id} was reported written and is missing: {rec.fields}")
                if rec.exists == GONE and found is not None:
                    problems.append(f"{model} {record_id} was reported deleted and exists: {found}")
                if found is None or rec.exists == GONE:
                    continue
                for key, value in rec.fields.items():
                    actual = found.get(key)
                    if value is UNKNOWN:
                        continue
                    self.compared += 1
                    if actual != value:
                        problems.append(f"{model} {record_id}.{key} is {actual!r}; the answers said {value!r}")
        # No phantom writes: a stored value written by an operation reported as failed (whole payload
        # null, no answer lost after a write) would be a failure that happened.
        for record in stored.values():
            typename = record["__typename"]
            for key, value in record.items():
                for item in value if isinstance(value, list) else [value]:
                    op = self.origin.get((f"{typename}.{key}", item))
                    if op is not None and op in self.clean_failures:
                        problems.append(
                            f"{typename} {record['id']}.{key} holds {item!r}, written by op {op}, reported failed"
                        )
        unknown = [i for i in stored if i not in self.cities and i not in self.users]
        for record_id in unknown:
            record = stored[record_id]
            key = "name" if record["__typename"] == "City" else "email"
            if (f"{record['__typename']}.{key}", record.get(key)) not in self.origin:
                problems.append(f"a record no operation wrote: {record}")
        return problems


def run_workload(api: Api, seed: int, rate: float, requests: int, seconds: float) -> tuple[Workload, list[str]]:
    faults = Faults(seed=seed, rate=rate, lost_rate=rate / 4)
    workload = Workload(api, faults, seed, f"seed {seed}, {rate:.0%} of calls failing")
    with injecting(api, faults):
        try:
            workload.run(requests, seconds)
        finally:
            faults.active = False
    problems = workload.check_end_state()
    print(workload.stats.report(faults, workload.violations + problems, workload.compared))
    return workload, problems


# Requests per workload (each bulk call counts), bounded in time as well.
REQUESTS = 400
SECONDS = 15.0


@pytest.fixture
def bulk_api(make_api: Callable[..., Api], monkeypatch: pytest.MonkeyPatch) -> Api:
    """The cities API with a deadline as close as updateMany / deleteMany's margin: every call of
    theirs handles one record. Tries are taken as instant (no real one times out here), so the
    retry policy still has a second for its retries."""
    api = make_api(CITIES_SCHEMA, deadline_seconds=MARGIN_SECONDS)
    monkeypatch.setattr(api.service.store.backoff, "call_seconds", 0.0)
    return api


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "rate"), [(1, 0.1), (2, 0.2), (3, 0.3)])
def test_a_workload_under_random_faults_reports_only_what_happened(bulk_api: Api, seed: int, rate: float) -> None:
    workload, problems = run_workload(bulk_api, seed, rate, requests=REQUESTS, seconds=SECONDS)
    assert workload.faults.total > 0
    assert workload.stats.outcomes[SUCCESS] > 0
    assert workload.compared > 0
    assert not workload.violations, "\n".join(workload.violations[:20])
    assert not problems, "\n".join(problems[:20])


# Targeted faults: one fault at a chosen call.


def create_city_with_users(api: Api, name: str) -> dict[str, Any]:
    data = {"name": name, "population": 1, "user": {"create": [{"email": f"{name}@x.co"}, {"email": f"{name}2@x.co"}]}}
    return api.query(CREATE_CITY, {"data": data})


def cities_named(api: Api, name: str) -> list[Any]:
    found: list[Any] = api.data("query ($n: [String!]) { cities(name: $n) { id user { email } } }", {"n": [name]})[
        "cities"
    ]
    return found


def test_a_transaction_conflict_is_retried_like_any_other_race(cities: Api) -> None:
    """DynamoDB cancels a transaction with TransactionConflict when another one holds an item it
    writes: a race, which the mutation plans again (README: "If a concurrent write got in between, it
    is planned again from a fresh read"), rather than an internal error."""
    faults = Faults(seed=0, rate=1.0, kinds=("conflict",), operations=frozenset({"TransactWriteItems"}), limit=1)
    with injecting(cities, faults):
        faults.active = True
        result = create_city_with_users(cities, "raced")
    assert faults.injected == Counter({"conflict": 1})
    assert "errors" not in result, result
    assert len(cities_named(cities, "raced")) == 1
    assert list(check(cities.service.store)) == []


def snapshot(api: Api) -> tuple[list[Any], list[tuple[str, str]]]:
    records = sorted(api.data("{ exportData }")["exportData"], key=lambda r: (r["__typename"], r["id"]))
    guards = sorted((guard.key, guard.owner) for guard in api.service.tables.guard.scan())
    return records, guards


# Each write path and the DynamoDB call that writes it: a nested create (TransactWriteItems), a
# plain create (PutItem), an update by id with plain data (UpdateItem), a delete of a city with no
# users (TransactWriteItems: the city and its pending cleanup, as a city has a to-many).
Variables = Callable[[dict[str, str]], dict[str, Any]]
WRITE_PATHS: dict[str, tuple[str, str, Variables]] = {
    "nested create": (
        "TransactWriteItems",
        CREATE_CITY,
        lambda _ids: {"data": {"name": "t", "user": {"create": [{"email": "t@x.co"}]}}},
    ),
    "create": ("PutItem", CREATE_CITY, lambda _ids: {"data": {"name": "p", "population": 3}}),
    "update": ("UpdateItem", UPDATE_CITY, lambda ids: {"where": {"id": ids["plain"]}, "data": {"population": 9}}),
    "delete": ("TransactWriteItems", DELETE_CITY, lambda ids: {"where": {"id": ids["plain"]}}),
}


@pytest.mark.parametrize("kind", BEFORE_KINDS)
@pytest.mark.parametrize("path", sorted(WRITE_PATHS))
def test_a_write_failing_every_try_is_unavailable_and_writes_nothing(
    cities: Api, path: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each kind of fault is retried, by the call (throttling, a 5xx, a timeout, a conflict with a
    transaction) or by the mutation (a cancelled transaction), as many times as the policy allows."""
    plain = cities.data(CREATE_CITY, {"data": {"name": "plain", "population": 1}})["createCity"]["data"]["id"]
    create_city_with_users(cities, "busy")
    before = snapshot(cities)
    operation, query, variables = WRITE_PATHS[path]
    waits = recorded_waits(cities, monkeypatch)
    faults = Faults(seed=0, rate=1.0, kinds=(kind,), operations=frozenset({operation}))
    with injecting(cities, faults):
        faults.active = True
        result = cities.query(query, variables({"plain": plain}))
    attempts = cities.service.store.backoff.attempts
    assert faults.total == attempts
    assert len(waits) == attempts - 1
    assert result["data"] is not None
    assert list(result["data"].values()) == [None], result
    assert [e["extensions"]["code"] for e in result["errors"]] == [errors.UNAVAILABLE], result
    assert not leaks(result["errors"][0]["message"])
    assert snapshot(cities) == before
    assert list(check(cities.service.store)) == []


def test_an_answer_lost_after_the_transaction_is_an_error_though_the_write_happened(cities: Api) -> None:
    """An answer lost after DynamoDB applied the transaction, past every retry: the client is told it
    failed (an internal error, no details), and the store is whole: the city and its users, both
    sides linked."""
    faults = Faults(seed=0, rate=0.0, lost_rate=1.0, operations=frozenset({"TransactWriteItems"}), limit=1)
    with injecting(cities, faults):
        faults.active = True
        result = create_city_with_users(cities, "lost")
    assert faults.injected == Counter({"lost-response": 1})
    assert result["data"] == {"createCity": None}
    assert [e["extensions"]["code"] for e in result["errors"]] == [errors.INTERNAL_ERROR]
    assert not leaks(result["errors"][0]["message"])
    (city,) = cities_named(cities, "lost")
    assert sorted(u["email"] for u in city["user"]) == ["lost2@x.co", "lost@x.co"]
    assert list(check(cities.service.store)) == []


def test_a_failed_read_after_the_write_keeps_the_write_and_nulls_only_that_field(
    cities: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """createCity's payload reads the new users back (a Query of their city index) after the
    transaction: when that read fails every try, the payload still carries the city, the error is on
    `user` alone, and the write stays."""
    recorded_waits(cities, monkeypatch)
    faults = Faults(seed=0, rate=1.0, kinds=("read-timeout",), operations=frozenset({"Query"}))
    with injecting(cities, faults):
        faults.active = True
        result = create_city_with_users(cities, "partial")
    assert faults.total == cities.service.store.backoff.attempts
    city = result["data"]["createCity"]["data"]
    assert city["name"] == "partial"
    assert city["user"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [
        (["createCity", "data", "user"], errors.UNAVAILABLE)
    ]
    assert [c["id"] for c in cities_named(cities, "partial")] == [city["id"]]
    assert list(check(cities.service.store)) == []


def test_the_checks_catch_a_reported_success_that_did_not_happen(cities: Api) -> None:
    """The oracle itself: deleteCity's transaction answered by a stub (nothing deleted) makes it report
    a success that did not happen, and the end-state check says so."""
    faults = Faults(seed=0, rate=0.0)
    workload = Workload(cities, faults, 0, "oracle")
    data = {"name": workload.fresh("City.name"), "population": 1, "neighborhoods": []}
    city_id = cities.data(CREATE_CITY, {"data": data})["createCity"]["data"]["id"]
    workload.cities[city_id] = Rec(data)

    def lie(model: Any, **_kwargs: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != "TransactWriteItems":
            return None
        return AWSResponse("x", 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}}

    (client,) = cities.service.tables.clients()
    client.meta.events.register("before-call.dynamodb", lie)
    try:
        workload.delete_city()
    finally:
        client.meta.events.unregister("before-call.dynamodb", lie)
    assert workload.cities[city_id].exists == GONE
    problems = workload.check_end_state()
    assert len(problems) == 1
    assert problems[0].startswith(f"City {city_id} was reported deleted and exists")


def test_the_checks_catch_a_reported_failure_that_happened(cities: Api) -> None:
    """The oracle itself: a write whose failure is reported though it landed (an error raised after the
    call, unknown to the workload, which takes the failure as clean) shows up as a phantom value."""
    faults = Faults(seed=0, rate=0.0)
    workload = Workload(cities, faults, 0, "oracle")

    def fail_after(model: Any, **_kwargs: Any) -> None:
        if model.name in ("PutItem", "TransactWriteItems"):
            raise ReadTimeoutError(endpoint_url="x")

    (client,) = cities.service.tables.clients()
    client.meta.events.register("after-call.dynamodb", fail_after)
    with injecting(cities, faults):
        try:
            workload.op = 1
            workload.create_city()
        finally:
            client.meta.events.unregister("after-call.dynamodb", fail_after)
    assert workload.clean_failures == {1}
    assert workload.cities == {}
    problems = workload.check_end_state()
    assert any("written by op 1, reported failed" in p for p in problems), problems
