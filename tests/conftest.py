"""Shared fixtures: one embedded DynamoDB for the run, emptied before each test that uses it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.access.api_keys import ApiKeys
from chalicelib.passwords import Cost
from chalicelib.routes import create_app
from chalicelib.service import Service
from chalicelib.settings import Settings
from chalicelib.store.calls import CallLog, counting
from chalicelib.store.limits import LimitChecker
from chalicelib.store.tables import StoreConfig
from tooling.local.dynamodb import LocalDynamoDB
from tooling.local.server import make_server, server_port

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = ROOT / "schema.graphql"
CITIES_SCHEMA = ROOT / "examples" / "cities.graphql"
# The three documents the product comes from; their GraphQL operations must run verbatim.
SEEDS = ROOT / "tests" / "seeds"
ADMIN_KEY = "test-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
# GraphQL over HTTP's media type, under which a request that could not run is a 4xx.
GRAPHQL_RESPONSE = "application/graphql-response+json"
TEST_PASSWORD_COST = Cost(time_cost=1, memory_kib=1024, parallelism=1)


@pytest.fixture(scope="session")
def dynamodb() -> Iterator[LocalDynamoDB]:
    server = LocalDynamoDB().start()
    yield server
    server.stop()


@dataclass
class Api:
    """The API as a client sees it: HTTP requests through Chalice's test client."""

    service: Service
    client: Client
    headers: dict[str, str] = field(default_factory=lambda: dict(ADMIN))

    def post(
        self, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None, accept: str | None = None
    ) -> Any:
        """POSTs `body` (or `raw`); `accept`, when given, is the media type asked for."""
        sent = {"Content-Type": "application/json", **(self.headers if headers is None else headers)}
        if accept is not None:
            sent["Accept"] = accept
        return self.client.http.post(
            "/graphql", headers=sent, body=raw if raw is not None else json.dumps(body).encode()
        )

    def query(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = self.post({"query": query, "variables": variables}, headers)
        result: dict[str, Any] = json.loads(response.body)
        return result

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of a request that must succeed."""
        result = self.query(query, variables)
        assert "errors" not in result, result
        data: dict[str, Any] = result["data"]
        return data

    def calls(self) -> AbstractContextManager[CallLog]:
        """Counts the DynamoDB calls made inside the block, through a botocore event hook."""
        return counting(self.service.tables.clients())


def make_settings(dynamodb: LocalDynamoDB, schema: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "schema_path": schema,
        "stage": "test",
        # Retries planned on the service's tries, as in production, but the embedded DynamoDB's long
        # read timeout: on a busy machine a page of moto can take more than the service's 3 s, and a
        # call timed out and sent again would change what a test counts or let a read give up.
        # Timeouts are tested by raising them (test_faults.py, test_retries.py).
        "store": StoreConfig.at_endpoint("test-", "us-east-1", dynamodb.url),
        "api_keys": ApiKeys.from_plain([ADMIN_KEY]),
        # Real Argon2id, at a cost tests can afford; production's cost is the default of Settings.
        "password_cost": TEST_PASSWORD_COST,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="session")
def services(dynamodb: LocalDynamoDB) -> Callable[..., Service]:
    """Services by schema and settings, built once per run: building botocore clients is the slow part."""
    built: dict[tuple[Path, tuple[tuple[str, Any], ...]], Service] = {}

    def get(schema: Path, **overrides: Any) -> Service:
        key = (schema, tuple(sorted(overrides.items())))
        if key not in built:
            built[key] = Service(make_settings(dynamodb, schema, **overrides))
        return built[key]

    return get


@pytest.fixture
def make_api(dynamodb: LocalDynamoDB, services: Callable[..., Service]) -> Iterator[Callable[..., Api]]:
    """Builds the API on a schema, with empty tables: `make_api(CITIES_SCHEMA, page_cap=5)`."""
    dynamodb.reset()
    clients: list[Client] = []
    checkers: list[LimitChecker] = []

    def build(schema: Path = DEFAULT_SCHEMA, **overrides: Any) -> Api:
        service = services(schema, **overrides)
        # Every request of every test is held to DynamoDB's limits, which moto does not enforce.
        checker = service.tables.limits
        assert checker is not None, "the store of a test must check DynamoDB's limits"
        checker.violations.clear()
        checkers.append(checker)
        service.tables.create_all()
        client = Client(create_app(service))
        clients.append(client)
        return Api(service, client)

    yield build
    for client in clients:
        client.__exit__(None, None, None)
    # A request past a limit raises; this also catches one whose error became an answer.
    assert not [v for checker in checkers for v in checker.violations], [c.violations for c in checkers]


@pytest.fixture
def cities(make_api: Callable[..., Api]) -> Api:
    return make_api(CITIES_SCHEMA)


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api(DEFAULT_SCHEMA)


@contextmanager
def served(api: Api) -> Iterator[str]:
    """`api` served over real HTTP by the local server, on a free loopback port: its URL."""
    server = make_server(create_app(api.service), "127.0.0.1", 0)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server_port(server)}/graphql"
    finally:
        server.shutdown()
        server.server.server_close()


@pytest.fixture
def cities_url(cities: Api) -> Iterator[str]:
    with served(cities) as url:
        yield url
