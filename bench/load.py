"""A load test of the local server on loopback: concurrent clients mixing reads and writes, bounded
in count and time; then the data is checked for consistency (unique guards, links, ordered index
keys and counters: bench/load_schema.graphql declares ordered indexes, which its writes move).

The server runs as `make run` runs it (`python -m chalicelib serve`), on a DynamoDB of its own
process, which the consistency check reads afterwards.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.bulk import dynamodb_process
from bench.harness import ROOT
from chalicelib.schema import load_schema_file
from chalicelib.store.records import RecordStore
from chalicelib.store.tables import StoreConfig, Tables
from tooling.consistency import check
from tooling.local.process import Served, serving

CLIENTS = 8
OPERATIONS_PER_CLIENT = 150
TIME_LIMIT_SECONDS = 60.0
CITIES = 20
KEY = "load-test-key"
PREFIX = "load-"
# Not bench/load.graphql: a schema's hooks module is the .py file of its name, this module.
SCHEMA = ROOT / "bench" / "load_schema.graphql"


@contextmanager
def server(settings: dict[str, str]) -> Iterator[Served]:
    """The API as `make run` runs it (`python -m chalicelib serve`), with `settings` in its environment."""
    with serving({"ADMIN_API_KEY": KEY, "POWERTOOLS_METRICS_DISABLED": "true", **settings}) as served:
        yield served


class Client:
    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, query: str, variables: dict[str, Any] | None = None) -> tuple[float, dict[str, Any]]:
        body = json.dumps({"query": query, "variables": variables or {}})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}
        started = time.perf_counter()
        self.connection.request("POST", "/graphql", body, headers)
        response = self.connection.getresponse()
        result: dict[str, Any] = json.loads(response.read())
        if response.status >= 500:
            result.setdefault("errors", [{"extensions": {"code": f"HTTP {response.status}"}}])
        return time.perf_counter() - started, result


def seed(port: int) -> list[str]:
    client = Client(port)
    ids = []
    for i in range(CITIES):
        _, result = client.call(
            "mutation ($n: String!, $e: String!) { createCity(input: {data: {name: $n, population: 0,"
            " user: {create: [{email: $e, displayname: $n}]}}}) { data { id } } }",
            {"n": f"city{i}", "e": f"seed{i}@example.com"},
        )
        ids.append(result["data"]["createCity"]["data"]["id"])
    return ids


Outcome = tuple[str, float, list[str]]  # kind of request, seconds, error codes


def workload(port: int, number: int, cities: list[str], deadline: float, out: list[Outcome]) -> None:
    rng = random.Random(number)
    client = Client(port)
    users: list[str] = []  # created by this client
    for step in range(OPERATIONS_PER_CLIENT):
        if time.monotonic() > deadline:
            return
        city = rng.choice(cities)
        roll = rng.random()
        variables: dict[str, Any] | None
        if roll < 0.4:
            kind, query, variables = (
                "read",
                "query ($id: ID!) { city(id: $id) { name population user { email address { name } } } }",
                {"id": city},
            )
        elif roll < 0.5:
            kind, query, variables = (
                "list",
                "query ($id: ID!) { citiesConnection(first: 10, orderBy: {population: DESC})"
                " { edges { node { name } } aggregate { count } }"
                " usersConnection(where: {address: {match: {id: [$id]}}}) { aggregate { count } } }",
                {"id": city},
            )
        elif roll < 0.65:
            kind = "push"
            query = (
                "mutation ($id: ID!, $v: String!) { updateCity(input: {where: {id: $id},"
                " data: {neighborhoods: {push: [$v]}}}) { data { id } } }"
            )
            variables = {"id": city, "v": f"n{number}-{step}"}
        elif roll < 0.8 or not users:
            kind = "create"
            query = (
                "mutation ($e: String!, $c: ID!) { createUser(input: {data: {email: $e,"
                " address: {connect: {id: $c}}}}) { data { id } } }"
            )
            variables = {"e": f"user{number}-{step}@example.com", "c": city}
        elif roll < 0.88:
            kind = "move"
            query = (
                "mutation ($id: ID!, $c: ID!) { updateUser(input: {where: {id: $id},"
                " data: {address: {connect: {id: $c}}}}) { data { id } } }"
            )
            variables = {"id": rng.choice(users), "c": city}
        elif roll < 0.93:
            kind = "delete"
            query = "mutation ($id: ID!) { deleteUser(input: {where: {id: $id}}) { data { id } } }"
            variables = {"id": users.pop(rng.randrange(len(users)))}
        else:
            kind = "conditional"
            query = (
                "mutation ($id: ID!, $p: Int!) { updateCity(input: {where: {id: $id}, data: {population: $p},"
                " conditions: {match: {population: 0}}}) { data { id } unalteredData { id } } }"
            )
            variables = {"id": city, "p": rng.randrange(1, 1000)}
        elapsed, result = client.call(query, variables)
        codes = [str((e.get("extensions") or {}).get("code")) for e in result.get("errors") or []]
        if kind == "create" and not codes:
            users.append(result["data"]["createUser"]["data"]["id"])
        out.append((kind, elapsed, codes))


def main() -> None:
    settings = {"SCHEMA": str(SCHEMA), "TABLE_PREFIX": PREFIX}
    with dynamodb_process() as url, server({**settings, "AWS_ENDPOINT_URL_DYNAMODB": url}) as served:
        port = served.port
        cities = seed(port)
        results: list[Outcome] = []
        deadline = time.monotonic() + TIME_LIMIT_SECONDS
        threads = [threading.Thread(target=workload, args=(port, n, cities, deadline, results)) for n in range(CLIENTS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        registry = load_schema_file(SCHEMA)
        store = RecordStore(Tables(registry, StoreConfig.at_endpoint(PREFIX, "us-east-1", url)))
        problems = list(check(store))
    latencies = sorted(r[1] for r in results)
    errors = [r for r in results if r[2]]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    print(f"Load test: {CLIENTS} concurrent clients on loopback, {len(results)} requests in {elapsed:.1f} s")
    print(f"  throughput     {len(results) / elapsed:8.1f} requests/s")
    print(f"  latency p50    {statistics.median(latencies) * 1000:8.1f} ms" if latencies else "  no requests")
    print(f"  latency p99    {p99 * 1000:8.1f} ms")
    print(f"  errors         {len(errors):8d}  {sorted({c for e in errors for c in e[2]})}")
    print(
        f"  mix            {dict(sorted((k, sum(1 for r in results if r[0] == k)) for k in {r[0] for r in results}))}"
    )
    print(f"  consistency    {len(problems)} problems found after the run")
    for problem in problems[:10]:
        print(f"    {problem}")
