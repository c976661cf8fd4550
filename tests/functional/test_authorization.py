"""Who may do what: every role against every kind of operation on the owner-ruled User model and on
sessions, with what a refusal may cost (nothing read but the caller's own session, nothing
written); sessions kept apart from each other; and owner rules through a relation (notes and
their author)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import PERMISSION_DENIED
from tests.conftest import ADMIN, Api
from tests.functional.helpers import Login, Reply, admin, call, sign_up
from tests.functional.trust_schema import SESSION_TYPE
from tests.seed_operations import DELETE_SESSION as SEED_DELETE_SESSION
from tests.seed_operations import GET_SESSION as SEED_GET_SESSION
from tests.seed_operations import UPDATE_SESSION as SEED_UPDATE_SESSION

ROLES = ["unauthenticated", "owner", "other", "admin"]
# The DynamoDB calls that write.
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}

TRIVIAL = "{ __typename }"
EXPORT_ALL = "{ exportData }"
ALL_SESSIONS = """
{ sessions(options: {first: 100}) { detail { id state cart updated user { id } customer { id } } cursor } }
"""

USER_BY_ID = "query ($id: ID!) { user(id: $id) { id email } }"
USER_BY_EMAIL = "query ($email: Email!) { user(email: $email) { id email } }"
USERS = "{ users { id email } }"
USERS_CONNECTION = "{ usersConnection { edges { node { id email } } aggregate { count } } }"
NODE = "query ($id: ID!) { node(id: $id) { __typename id ... on User { email } ... on Session { cart } } }"
CREATE_USER = 'mutation { createUser(input: {data: {email: "new@example.com"}}) { data { id email } } }'
UPDATE_USER = 'mutation ($id: ID!) { updateUser(input: {where: {id: $id}, data: {name: "changed"}}) { data { name } } }'
UPSERT_USER = """
mutation ($id: ID!) {
  upsertUser(input: {where: {id: $id}, create: {email: "new@example.com"}, update: {name: "changed"}}) {
    data { name }
  }
}
"""
DELETE_USER = "mutation ($id: ID!) { deleteUser(input: {where: {id: $id}}) { data { id } } }"
UPDATE_MANY_USERS = """
mutation { updateManyUsers(input: {where: {exists: {id: true}}, data: {name: "changed"}}) { count complete } }
"""
DELETE_MANY_USERS = "mutation { deleteManyUsers(input: {where: {exists: {id: true}}}) { count complete } }"
EXPORT_USERS = '{ exportData(types: ["User"]) }'
IMPORT_USERS = "mutation ($data: [JSON]!) { importData(data: $data) { data missingData } }"
SESSION = "query ($id: ID) { session(options: {id: $id}) { detail { id cart } } }"
UPDATE_SESSION = """
mutation ($id: ID) { updateSession(changes: {cart: ["changed.dist"]}, options: {id: $id}) { detail { id cart } } }
"""
DELETE_SESSION = "mutation ($id: ID) { deleteSession(options: {id: $id}) { success } }"
SET_CART = "mutation ($cart: [String]) { updateSession(changes: {cart: $cart}) { detail { id } } }"
SESSIONS = "{ sessions { detail { id } cursor } }"

# beachfront's seed operations (tests/seeds/beachfront-session-api.md), verbatim.


@dataclass
class World:
    """Ada (the owner of the records at stake) and Bob (another signed-in user), each with a cart."""

    api: Api
    ada: Login
    bob: Login

    def auth(self, role: str) -> str | None:
        return {
            "unauthenticated": None,
            "owner": self.ada.auth,
            "other": self.bob.auth,
            "admin": ADMIN["Authorization"],
        }[role]


def snapshot(api: Api) -> Any:
    """Everything stored: every record, and every session (which exportData leaves out)."""
    sessions = admin(api, ALL_SESSIONS)["sessions"]
    assert sessions["cursor"] is None
    return admin(api, EXPORT_ALL)["exportData"], sorted(sessions["detail"], key=lambda s: s["id"])


def cart_of(api: Api, session_id: str) -> Any:
    return admin(api, SESSION, {"id": session_id})["session"]["detail"]["cart"]


@pytest.fixture
def world(api: Api) -> World:
    ada = sign_up(api, "ada@example.com")
    bob = sign_up(api, "bob@example.com")
    for login, cart in [(ada, ["ada.dist"]), (bob, ["bob.dist"])]:
        assert call(api, SET_CART, {"cart": cart}, login.auth).data["updateSession"]["detail"]["id"] == login.session_id
    return World(api, ada, bob)


# The matrix. An operation is allowed (and does its work), denied (GGT_PERMISSION_DENIED, nothing
# read but the caller's own session, nothing written: README, "Roles and permissions") or, where
# owner rules make the records of others not exist for the caller, hidden (no error, the record
# absent, nothing written).

ALLOW, DENY, HIDE = "allow", "deny", "hidden"
Check = Callable[[World, str, dict[str, Any]], None]


@dataclass(frozen=True)
class Operation:
    name: str
    query: str
    variables: Callable[[World], dict[str, Any]]
    outcomes: dict[str, str]
    allowed: Check
    hidden: Check | None = None


def _outcomes(unauthenticated: str, owner: str, other: str, admin: str) -> dict[str, str]:
    return {"unauthenticated": unauthenticated, "owner": owner, "other": other, "admin": admin}


def _no_variables(_world: World) -> dict[str, Any]:
    return {}


def _ada(world: World) -> dict[str, Any]:
    return {"id": world.ada.user_id}


def _ada_session(world: World) -> dict[str, Any]:
    return {"id": world.ada.session_id}


def _emails(users: list[dict[str, Any] | None]) -> list[str]:
    return sorted(u["email"] for u in users if u is not None)


def _is_ada(key: str) -> Check:
    def check(world: World, _role: str, data: dict[str, Any]) -> None:
        assert data[key]["email"] == world.ada.email

    return check


def _is_null(key: str) -> Check:
    def check(_world: World, _role: str, data: dict[str, Any]) -> None:
        assert data[key] is None

    return check


def _users_listed(world: World, role: str, data: dict[str, Any]) -> None:
    everyone = sorted([world.ada.email, world.bob.email])
    assert _emails(data["users"]) == (everyone if role == "admin" else [world.ada.email])


def _users_without_ada(world: World, _role: str, data: dict[str, Any]) -> None:
    assert _emails(data["users"]) == [world.bob.email]


def _connection(world: World, role: str, data: dict[str, Any]) -> None:
    connection = data["usersConnection"]
    emails = sorted(edge["node"]["email"] for edge in connection["edges"])
    expected = sorted([world.ada.email, world.bob.email]) if role == "admin" else [world.ada.email]
    assert emails == expected
    assert connection["aggregate"]["count"] == len(expected)


def _connection_without_ada(world: World, _role: str, data: dict[str, Any]) -> None:
    connection = data["usersConnection"]
    assert [edge["node"]["email"] for edge in connection["edges"]] == [world.bob.email]
    assert connection["aggregate"]["count"] == 1


def _ada_renamed(key: str) -> Check:
    def check(world: World, _role: str, data: dict[str, Any]) -> None:
        assert data[key]["data"]["name"] == "changed"
        assert admin(world.api, "query ($id: ID!) { user(id: $id) { name } }", _ada(world))["user"]["name"] == "changed"

    return check


def _user_created(world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["createUser"]["data"]["email"] == "new@example.com"
    assert len(admin(world.api, USERS)["users"]) == 3


def _ada_deleted(world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["deleteUser"]["data"]["id"] == world.ada.user_id
    assert _emails(admin(world.api, USERS)["users"]) == [world.bob.email]


def _all_renamed(world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["updateManyUsers"] == {"count": 2, "complete": True}
    assert {u["name"] for u in admin(world.api, "{ users { name } }")["users"]} == {"changed"}


def _all_deleted(world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["deleteManyUsers"] == {"count": 2, "complete": True}
    assert admin(world.api, USERS)["users"] == []


def _exported(world: World, _role: str, data: dict[str, Any]) -> None:
    assert sorted(r["email"] for r in data["exportData"]) == sorted([world.ada.email, world.bob.email])


def _imported(world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["importData"]["data"]
    assert "imported@example.com" in _emails(admin(world.api, USERS)["users"])


def _session_read(world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["session"]["detail"] == {"id": world.ada.session_id, "cart": ["ada.dist"]}


def _session_hidden(_world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["session"]["detail"] is None


def _session_updated(world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["updateSession"]["detail"] == {"id": world.ada.session_id, "cart": ["changed.dist"]}
    assert cart_of(world.api, world.ada.session_id) == ["changed.dist"]


def _session_update_hidden(_world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["updateSession"]["detail"] is None


def _session_deleted(world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["deleteSession"] == {"success": True}
    assert admin(world.api, SESSION, _ada_session(world))["session"]["detail"] is None


def _session_delete_hidden(_world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["deleteSession"] == {"success": False}


def _sessions_listed(world: World, _role: str, data: dict[str, Any]) -> None:
    assert {world.ada.session_id, world.bob.session_id} <= {s["id"] for s in data["sessions"]["detail"]}


def _session_node(world: World, _role: str, data: dict[str, Any]) -> None:
    assert data["node"] == {"__typename": "Session", "id": world.ada.session_id, "cart": ["ada.dist"]}


OWNED_READ = _outcomes(DENY, ALLOW, HIDE, ALLOW)
OWNED_WRITE = _outcomes(DENY, ALLOW, DENY, ALLOW)
ADMIN_ONLY = _outcomes(DENY, DENY, DENY, ALLOW)
BEARER_ONLY = _outcomes(HIDE, ALLOW, HIDE, ALLOW)

OPERATIONS = [
    Operation("user(id)", USER_BY_ID, _ada, OWNED_READ, _is_ada("user"), _is_null("user")),
    Operation(
        "user(email)", USER_BY_EMAIL, lambda w: {"email": w.ada.email}, OWNED_READ, _is_ada("user"), _is_null("user")
    ),
    Operation("users", USERS, _no_variables, OWNED_READ, _users_listed, _users_without_ada),
    Operation("usersConnection", USERS_CONNECTION, _no_variables, OWNED_READ, _connection, _connection_without_ada),
    Operation("node(user)", NODE, _ada, OWNED_READ, _is_ada("node"), _is_null("node")),
    Operation("updateUser", UPDATE_USER, _ada, OWNED_WRITE, _ada_renamed("updateUser")),
    Operation("upsertUser", UPSERT_USER, _ada, OWNED_WRITE, _ada_renamed("upsertUser")),
    Operation("createUser", CREATE_USER, _no_variables, ADMIN_ONLY, _user_created),
    Operation("deleteUser", DELETE_USER, _ada, ADMIN_ONLY, _ada_deleted),
    Operation("updateManyUsers", UPDATE_MANY_USERS, _no_variables, ADMIN_ONLY, _all_renamed),
    Operation("deleteManyUsers", DELETE_MANY_USERS, _no_variables, ADMIN_ONLY, _all_deleted),
    Operation("exportData", EXPORT_USERS, _no_variables, ADMIN_ONLY, _exported),
    Operation(
        "importData",
        IMPORT_USERS,
        lambda _w: {"data": [{"__typename": "User", "email": "imported@example.com"}]},
        ADMIN_ONLY,
        _imported,
    ),
    Operation("session(options)", SESSION, _ada_session, BEARER_ONLY, _session_read, _session_hidden),
    Operation("updateSession", UPDATE_SESSION, _ada_session, BEARER_ONLY, _session_updated, _session_update_hidden),
    Operation("deleteSession", DELETE_SESSION, _ada_session, BEARER_ONLY, _session_deleted, _session_delete_hidden),
    Operation("sessions", SESSIONS, _no_variables, ADMIN_ONLY, _sessions_listed),
    Operation("node(session)", NODE, _ada_session, BEARER_ONLY, _session_node, _is_null("node")),
]
CASES = [(role, operation) for operation in OPERATIONS for role in ROLES]


@pytest.mark.parametrize(("role", "operation"), CASES, ids=[f"{op.name}-{role}" for role, op in CASES])
def test_authorization_matrix(world: World, role: str, operation: Operation) -> None:
    api, auth = world.api, world.auth(role)
    expected = operation.outcomes[role]
    # What any request of this caller costs: a session header is one read of the session.
    with api.calls() as calls:
        assert "errors" not in call(api, TRIVIAL, None, auth).body
    baseline = calls.total
    assert baseline == (1 if auth is not None and auth.startswith("Session ") else 0)
    before = snapshot(api)
    with api.calls() as calls:
        reply = call(api, operation.query, operation.variables(world), auth)
    if expected == ALLOW:
        operation.allowed(world, role, reply.data)
        return
    if expected == DENY:
        assert reply.codes == [PERMISSION_DENIED], reply.body
        assert calls.total == baseline, calls.counts
    else:
        assert operation.hidden is not None
        operation.hidden(world, role, reply.data)
        assert not WRITES & set(calls.counts), calls.counts
    assert reply.token is None
    assert snapshot(api) == before


def test_the_matrix_is_complete() -> None:
    assert {op.name for op in OPERATIONS} >= {
        "user(id)",
        "users",
        "updateUser",
        "createUser",
        "deleteUser",
        "updateManyUsers",
        "deleteManyUsers",
        "exportData",
        "importData",
        "session(options)",
        "updateSession",
        "deleteSession",
        "sessions",
        "node(session)",
    }
    assert all(set(op.outcomes) == set(ROLES) for op in OPERATIONS)


@pytest.mark.parametrize("role", ["unauthenticated", "other"])
def test_reading_another_session_reads_nothing(world: World, role: str) -> None:
    """A session that is not the caller's does not exist for it: not even a read is spent on it."""
    auth = world.auth(role)
    for query in (SESSION, UPDATE_SESSION, DELETE_SESSION):
        with world.api.calls() as calls:
            assert "errors" not in call(world.api, query, _ada_session(world), auth).body
        assert calls.total == (0 if auth is None else 1), (query, calls.counts)


def test_one_session_cannot_read_or_change_anothers_cart(world: World) -> None:
    api = world.api
    # Two anonymous carts, and the signed-in ones.
    first = call(api, "{ currentSession { id } }")
    second = call(api, "{ currentSession { id } }")
    assert first.token is not None
    assert second.token is not None
    first_id = first.data["currentSession"]["id"]
    second_id = second.data["currentSession"]["id"]
    assert call(api, SEED_UPDATE_SESSION, {"changes": {"cart": ["first.dist"]}}, first.token).data["updateSession"]
    for auth, other_id in [
        (second.token, first_id),
        (first.token, second_id),
        (world.bob.auth, world.ada.session_id),
        (world.bob.auth, first_id),
        (first.token, world.ada.session_id),
    ]:
        before = snapshot(api)
        got = call(api, SEED_GET_SESSION, {"variables": {"id": other_id}}, auth)
        assert got.data == {"session": {"detail": None}}
        changes = {"changes": {"cart": ["stolen.dist"], "customer": None}, "variables": {"id": other_id}}
        changed = call(api, SEED_UPDATE_SESSION, changes, auth)
        assert changed.data == {"updateSession": {"detail": None}}
        deleted = call(api, SEED_DELETE_SESSION, {"id": other_id}, auth)
        assert deleted.data == {"deleteSession": {"success": False}}
        assert snapshot(api) == before
    assert cart_of(api, first_id) == ["first.dist"]
    assert cart_of(api, world.ada.session_id) == ["ada.dist"]
    # The caller's own cart is still its own.
    assert call(api, SEED_GET_SESSION, {}, first.token).data["session"]["detail"]["cart"] == ["first.dist"]


# Owner rules through a relation: notes and their author.

NOTES_SCHEMA = (
    """
type User @model @access(read: ["owner"], owner: "id") {
  id: ID!
  email: Email! @unique
  password: Password
  roles: [Role!] @default(value: ["signed-in"])
  state: RecordState
}

"""
    + SESSION_TYPE
    + """
type Shop @model {
  id: ID!
}

type Note @model
  @access(read: ["owner"], create: ["signed-in"], update: ["owner"], delete: ["owner"], owner: "author") {
  id: ID!
  text: String
  author: User
}
"""
)
CREATE_NOTE = """
mutation ($text: String!) { createNote(input: {data: {text: $text}}) { data { id text author { id } } } }
"""
CREATE_NOTE_FOR = """
mutation ($text: String!, $author: ID!) {
  createNote(input: {data: {text: $text, author: {connect: {id: $author}}}}) { data { id text author { id } } }
}
"""
NOTES = "{ notes { text } }"
NOTE = "query ($id: ID!) { note(id: $id) { id text } }"
UPDATE_NOTE = 'mutation ($id: ID!) { updateNote(input: {where: {id: $id}, data: {text: "edited"}}) { data { text } } }'
DELETE_NOTE = "mutation ($id: ID!) { deleteNote(input: {where: {id: $id}}) { data { id } } }"


@pytest.fixture
def notes(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    schema = tmp_path / "notes.graphql"
    schema.write_text(NOTES_SCHEMA)
    return make_api(schema)


def _texts(reply: Reply) -> list[str]:
    return sorted(note["text"] for note in reply.data["notes"])


def _note(api: Api, text: str, author: Login) -> str:
    """A note of `author`, written by system-admin."""
    reply = call(api, CREATE_NOTE_FOR, {"text": text, "author": author.user_id}, ADMIN["Authorization"])
    note: dict[str, Any] = reply.data["createNote"]["data"]
    assert note["author"] == {"id": author.user_id}
    return str(note["id"])


def test_a_signed_in_user_creates_notes_of_their_own(notes: Api) -> None:
    ada = sign_up(notes, "ada@example.com")
    bob = sign_up(notes, "bob@example.com")
    created = call(notes, CREATE_NOTE, {"text": "ada's"}, ada.auth).data["createNote"]["data"]
    # The author is filled in: the caller's own note, which the caller then reads, lists and changes.
    assert created["author"] == {"id": ada.user_id}
    assert call(notes, NOTE, {"id": created["id"]}, ada.auth).data["note"] == {"id": created["id"], "text": "ada's"}
    assert _texts(call(notes, NOTES, None, ada.auth)) == ["ada's"]
    assert _texts(call(notes, NOTES, None, bob.auth)) == []
    assert call(notes, UPDATE_NOTE, {"id": created["id"]}, ada.auth).data["updateNote"]["data"] == {"text": "edited"}


def test_owner_rules_through_a_relation(notes: Api) -> None:
    ada = sign_up(notes, "ada@example.com")
    bob = sign_up(notes, "bob@example.com")
    adas = _note(notes, "ada's", ada)
    _note(notes, "ada's too", ada)
    bobs = _note(notes, "bob's", bob)
    # Each lists only their own; system-admin sees all.
    assert _texts(call(notes, NOTES, None, ada.auth)) == ["ada's", "ada's too"]
    assert _texts(call(notes, NOTES, None, bob.auth)) == ["bob's"]
    assert _texts(call(notes, NOTES, None, ADMIN["Authorization"])) == ["ada's", "ada's too", "bob's"]
    connection = call(notes, "{ notesConnection { aggregate { count } } }", None, ada.auth).data
    assert connection["notesConnection"]["aggregate"]["count"] == 2
    # Another's note does not exist for a reader, and cannot be changed or deleted.
    assert call(notes, NOTE, {"id": bobs}, ada.auth).data == {"note": None}
    assert call(notes, "query ($id: ID!) { node(id: $id) { id } }", {"id": bobs}, ada.auth).data == {"node": None}
    assert call(notes, NOTE, {"id": adas}, ada.auth).data["note"] == {"id": adas, "text": "ada's"}
    before = admin(notes, EXPORT_ALL)["exportData"]
    updated = call(notes, UPDATE_NOTE, {"id": bobs}, ada.auth)
    assert updated.codes == [PERMISSION_DENIED]
    deleted = call(notes, DELETE_NOTE, {"id": bobs}, ada.auth)
    assert deleted.codes == [PERMISSION_DENIED]
    assert admin(notes, EXPORT_ALL)["exportData"] == before
    # The owner may.
    assert call(notes, UPDATE_NOTE, {"id": bobs}, bob.auth).data["updateNote"]["data"] == {"text": "edited"}
    assert call(notes, DELETE_NOTE, {"id": bobs}, bob.auth).data["deleteNote"]["data"] == {"id": bobs}
    assert _texts(call(notes, NOTES, None, ADMIN["Authorization"])) == ["ada's", "ada's too"]


def test_no_one_writes_a_note_in_anothers_name(notes: Api) -> None:
    ada = sign_up(notes, "ada@example.com")
    bob = sign_up(notes, "bob@example.com")
    before = admin(notes, EXPORT_ALL)["exportData"]
    forged = call(notes, CREATE_NOTE_FOR, {"text": "forged", "author": bob.user_id}, ada.auth)
    assert forged.codes == [PERMISSION_DENIED]
    assert admin(notes, EXPORT_ALL)["exportData"] == before
    assert _texts(call(notes, NOTES, None, bob.auth)) == []


def test_a_signed_in_user_may_name_themselves_the_author(notes: Api) -> None:
    ada = sign_up(notes, "ada@example.com")
    own = call(notes, CREATE_NOTE_FOR, {"text": "mine", "author": ada.user_id}, ada.auth)
    assert own.data["createNote"]["data"]["author"] == {"id": ada.user_id}
    assert _texts(call(notes, NOTES, None, ada.auth)) == ["mine"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (NOTES, None),
        ("{ notesConnection { aggregate { count } } }", None),
        (CREATE_NOTE, {"text": "anonymous"}),
        ("{ exportData }", None),
    ],
    ids=["notes", "notesConnection", "createNote", "exportData"],
)
def test_unauthenticated_callers_are_denied_notes(notes: Api, query: str, variables: dict[str, Any] | None) -> None:
    _note(notes, "ada's", sign_up(notes, "ada@example.com"))
    before = admin(notes, EXPORT_ALL)["exportData"]
    with notes.calls() as calls:
        reply = call(notes, query, variables)
    assert reply.codes == [PERMISSION_DENIED]
    assert calls.total == 0
    assert admin(notes, EXPORT_ALL)["exportData"] == before


def test_unauthenticated_callers_find_no_note_by_id(notes: Api) -> None:
    ada = sign_up(notes, "ada@example.com")
    note = _note(notes, "ada's", ada)
    for query in (NOTE, "query ($id: ID!) { node(id: $id) { id } }", UPDATE_NOTE, DELETE_NOTE):
        with notes.calls() as calls:
            reply = call(notes, query, {"id": note})
        assert reply.codes == [PERMISSION_DENIED], (query, reply.body)
        assert calls.total == 0, (query, calls.counts)
    assert _texts(call(notes, NOTES, None, ada.auth)) == ["ada's"]
