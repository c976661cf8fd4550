"""What the functional tests do as clients: call the API with a credential, sign up, read replies."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.query.cursors import TAG_BYTES
from chalicelib.routes import CLEANUP_FUNCTION
from tests.conftest import ADMIN, Api

PASSWORD = "correct horse battery"
SET_AUTHORIZATION = "x-set-authorization"
SIGN_UP = """
mutation ($email: String!, $password: String!) {
  signUp(email: $email, password: $password) { success session { id user { id } } }
}
"""


@dataclass
class Login:
    auth: str
    user_id: str
    session_id: str
    email: str


@dataclass
class Reply:
    body: dict[str, Any]
    token: str | None

    @property
    def data(self) -> dict[str, Any]:
        assert "errors" not in self.body, self.body
        data: dict[str, Any] = self.body["data"]
        return data

    @property
    def codes(self) -> list[str]:
        return [error["extensions"]["code"] for error in self.body.get("errors") or []]


def call(api: Api, query: str, variables: dict[str, Any] | None = None, auth: str | None = None) -> Reply:
    headers = {} if auth is None else {"Authorization": auth}
    response = api.post({"query": query, "variables": variables}, headers)
    return Reply(json.loads(response.body), response.headers.get(SET_AUTHORIZATION))


def admin(api: Api, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return call(api, query, variables, ADMIN["Authorization"]).data


def sign_up(api: Api, email: str) -> Login:
    reply = call(api, SIGN_UP, {"email": email, "password": PASSWORD})
    result = reply.data["signUp"]
    assert result["success"] is True, result
    assert reply.token is not None
    return Login(reply.token, result["session"]["user"]["id"], result["session"]["id"], email)


def create_mutation(model: str) -> str:
    """`createX` of one record, answering its id: variables `{"data": ...}`."""
    return f"mutation ($data: {model}CreateInput!) {{ create{model}(input: {{data: $data}}) {{ data {{ id }} }} }}"


def update_mutation(model: str) -> str:
    """`updateX` of one record by id, answering its id: variables `{"id": ..., "data": ...}`."""
    return (
        f"mutation ($id: ID!, $data: {model}UpdateInput!) "
        f"{{ update{model}(input: {{where: {{id: $id}}, data: $data}}) {{ data {{ id }} }} }}"
    )


def api_on(make_api: Callable[..., Api], tmp_path: Path, sdl: str, **overrides: Any) -> Api:
    """The API on the schema `sdl`, with empty tables (see `make_api`)."""
    schema = tmp_path / "schema.graphql"
    schema.write_text(sdl)
    return make_api(schema, **overrides)


def flipped(cursor: str, index: int) -> str:
    """`cursor` with the character at `index` changed, as a client editing it would."""
    other = "B" if cursor[index] == "A" else "A"
    return cursor[:index] + other + cursor[index + 1 :]


def opened(cursor: str) -> tuple[bytes, list[Any]]:
    """The tag and the position of a cursor: signed, not encrypted, so a client can read them."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    position: list[Any] = json.loads(raw[TAG_BYTES:])
    return raw[:TAG_BYTES], position


def forged(position: list[Any], tag: bytes = b"") -> str:
    """A cursor a client made up: `position` behind `tag` (none: as unsigned cursors were)."""
    return base64.urlsafe_b64encode(tag + json.dumps(position).encode()).decode().rstrip("=")


@contextmanager
def hooked(api: Api, handlers: Mapping[str, Callable[..., Any]]) -> Iterator[None]:
    """botocore's event `handlers` (event name: handler) on every client of the store for the block."""
    clients = api.service.tables.clients()
    for client in clients:
        for event, handler in handlers.items():
            client.meta.events.register(event, handler)
    try:
        yield
    finally:
        for client in clients:
            for event, handler in handlers.items():
                client.meta.events.unregister(event, handler)


def run_cleanup(api: Api) -> dict[str, Any]:
    """One run of the scheduled cleanup function, as Lambda invokes it, through the API's own app."""
    event = api.client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])
    payload: dict[str, Any] = api.client.lambda_.invoke(CLEANUP_FUNCTION, event).payload
    return payload
