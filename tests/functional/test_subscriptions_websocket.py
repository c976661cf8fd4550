"""Subscriptions through a real client of graphql-transport-ws (websocket-client) against the
local server as `make run` starts it: the HTTP API and the WebSocket on one port."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from tooling.local.process import serving

KEY = "websocket-test-key"

ADMIN = f"Bearer {KEY}"
CITIES = """
subscription ($where: CitySubscriptionWhereInput) {
  city(where: $where) { mutation node { id name user { id } } updatedFields previousValues { id name population } }
}
"""


class Server:
    def __init__(self, port: int) -> None:
        self.port = port

    def post(self, query: str, variables: dict[str, Any] | None = None, auth: str = ADMIN) -> dict[str, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        body = json.dumps({"query": query, "variables": variables or {}})
        connection.request("POST", "/graphql", body, {"Content-Type": "application/json", "Authorization": auth})
        result: dict[str, Any] = json.loads(connection.getresponse().read())
        connection.close()
        assert "errors" not in result, result
        return result["data"]

    def connect(self, auth: str | None = ADMIN, subprotocols: list[str] | None = None) -> Client:
        return Client(self.port, auth, ["graphql-transport-ws"] if subprotocols is None else subprotocols)


class Client:
    def __init__(self, port: int, auth: str | None, subprotocols: list[str]) -> None:
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}/graphql", subprotocols=subprotocols, timeout=30)

    def init(self, auth: str | None) -> dict[str, Any]:
        self.send({"type": "connection_init", "payload": {"Authorization": auth} if auth else {}})
        return self.receive()

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.ws.recv())
        return message

    def subscribe(self, sid: str, query: str, variables: dict[str, Any] | None = None) -> None:
        self.send({"id": sid, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})

    def events(self, count: int) -> list[dict[str, Any]]:
        return [self.receive() for _ in range(count)]

    def close_code(self) -> int:
        """The code of the close frame the server sends next."""
        opcode, data = self.ws.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE, (opcode, data)
        return int.from_bytes(data[:2], "big")

    def quiet(self, seconds: float = 1.5) -> bool:
        """Whether nothing arrives for `seconds`."""
        self.ws.settimeout(seconds)
        try:
            self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return True
        finally:
            self.ws.settimeout(30)
        return False


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serving({"SCHEMA": "examples/cities.graphql", "ADMIN_API_KEY": KEY}) as served:
        yield Server(served.port)


@pytest.mark.slow
def test_created_updated_deleted_arrive_with_previous_values(server: Server) -> None:
    client = server.connect()
    assert client.init(ADMIN) == {"type": "connection_ack"}
    client.subscribe("all", CITIES)
    client.send({"type": "ping"})
    assert client.receive() == {"type": "pong"}
    created = server.post('mutation { createCity(input: {data: {name: "NY", population: 1}}) { data { id } } }')
    city_id = created["createCity"]["data"]["id"]
    server.post(
        "mutation ($id: ID!) { updateCity(input: {where: {id: $id}, data: {population: 2}}) { data { id } } }",
        {"id": city_id},
    )
    server.post("mutation ($id: ID!) { deleteCity(input: {where: {id: $id}}) { data { id } } }", {"id": city_id})
    messages = client.events(3)
    assert {m["id"] for m in messages} == {"all"}
    assert [m["payload"]["data"]["city"] for m in messages] == [
        {
            "mutation": "CREATED",
            "node": {"id": city_id, "name": "NY", "user": []},
            "updatedFields": None,
            "previousValues": None,
        },
        {
            "mutation": "UPDATED",
            "node": {"id": city_id, "name": "NY", "user": []},
            "updatedFields": ["population"],
            "previousValues": {"id": city_id, "name": "NY", "population": 1},
        },
        {
            "mutation": "DELETED",
            "node": None,
            "updatedFields": None,
            "previousValues": {"id": city_id, "name": "NY", "population": 2},
        },
    ]
    client.send({"id": "all", "type": "complete"})
    server.post('mutation { createCity(input: {data: {name: "LA"}}) { data { id } } }')
    assert client.quiet()


@pytest.mark.slow
def test_filters_nested_and_bulk_writes(server: Server) -> None:
    client = server.connect()
    client.init(ADMIN)
    client.subscribe(
        "users", "subscription { user(where: {mutation_in: [CREATED]}) { mutation node { email address { name } } } }"
    )
    client.subscribe(
        "renamed",
        CITIES,
        {
            "where": {
                "mutation_in": ["UPDATED"],
                "updatedFields_contains_every": ["name"],
                "node": {"match": {"name": ["Z"]}},
            }
        },
    )
    # A nested write: the city and its user, one transaction, an event each.
    nested = '{name: "Q", user: {create: [{email: "q@example.com"}]}}'
    server.post(f"mutation {{ createCity(input: {{data: {nested}}}) {{ data {{ id }} }} }}")
    [user] = client.events(1)
    assert user["id"] == "users"
    assert user["payload"]["data"]["user"] == {
        "mutation": "CREATED",
        "node": {"email": "q@example.com", "address": {"name": "Q"}},
    }
    # A bulk write: every record it changes fires its event; the filter picks the renamed ones.
    server.post('mutation { updateManyCities(input: {where: {match: {name: ["Q"]}}, data: {name: "Z"}}) { count } }')
    [renamed] = client.events(1)
    assert renamed["id"] == "renamed"
    assert renamed["payload"]["data"]["city"]["updatedFields"] == ["name"]
    assert client.quiet()


@pytest.mark.slow
def test_protocol_rules(server: Server) -> None:
    client = server.connect()
    client.subscribe("early", CITIES)
    assert client.close_code() == 4401
    wrong = server.connect()
    wrong.send({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}})
    assert wrong.close_code() == 4403
    assert server.connect(subprotocols=[]).close_code() == 4406
    twice = server.connect()
    twice.init(ADMIN)
    twice.send({"type": "connection_init"})
    assert twice.close_code() == 4429
    anonymous = server.connect()
    assert anonymous.init(None) == {"type": "connection_ack"}
    anonymous.subscribe("u", "subscription { user { mutation } }")
    error = anonymous.receive()
    assert error["type"] == "error"
    assert error["payload"][0]["extensions"]["code"] == "GGT_PERMISSION_DENIED"
    # A query over the socket runs once.
    anonymous.subscribe("q", "{ cities { id } }")
    assert anonymous.receive()["type"] == "next"
    assert anonymous.receive() == {"id": "q", "type": "complete"}


def _sign_up(port: int, email: str) -> tuple[str, str]:
    """A new user's session credential and user id."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    query = (
        'mutation ($e: String!) { signUp(email: $e, password: "correct horse battery") { session { user { id } } } }'
    )
    connection.request(
        "POST",
        "/graphql",
        json.dumps({"query": query, "variables": {"e": email}}),
        {"Content-Type": "application/json"},
    )
    response = connection.getresponse()
    result = json.loads(response.read())
    token = response.getheader("x-set-authorization")
    connection.close()
    assert token is not None, result
    return token, result["data"]["signUp"]["session"]["user"]["id"]


@pytest.mark.slow
def test_another_users_owner_only_records_never_arrive() -> None:
    with serving({"SCHEMA": "schema.graphql", "ADMIN_API_KEY": KEY}) as served:
        port = served.port
        server = Server(port)
        alice, alice_id = _sign_up(port, "alice@example.com")
        bob, bob_id = _sign_up(port, "bob@example.com")
        watching = server.connect()
        assert watching.init(alice) == {"type": "connection_ack"}
        watching.subscribe("me", "subscription { user { mutation node { id name } updatedFields } }")
        rename = """
        mutation ($id: ID!, $n: String) { updateUser(input: {where: {id: $id}, data: {name: $n}}) { data { id } } }
        """
        server.post(rename, {"id": bob_id, "n": "Bob"}, auth=bob)
        server.post(rename, {"id": alice_id, "n": "Alice"}, auth=alice)
        [event] = watching.events(1)
        assert event["payload"]["data"]["user"] == {
            "mutation": "UPDATED",
            "node": {"id": alice_id, "name": "Alice"},
            "updatedFields": ["name", "updatedAt"],
        }
        assert watching.quiet()
