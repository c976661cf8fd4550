"""Accounts a hostile client cannot bend: managed fields are the server's, the roles in force are
the user's current roles, sessions end when they should, and one address is one account."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import INVALID_INPUT, INVALID_RECORD, PERMISSION_DENIED
from chalicelib.schema.registry import SESSION_MODEL
from chalicelib.sessions import api as sessions_api
from chalicelib.store.changes import Changes
from tests.conftest import Api
from tests.functional.helpers import PASSWORD, admin, call, hooked, sign_up

WHO = "{ currentSession { userId roles { key } } }"
LOG_IN = """
mutation ($email: LogInViaEmailEmailInput, $password: String) {
  logInViaEmail(email: $email, password: $password) { success errors { code } session { id } }
}
"""
SIGN_UP = """
mutation ($email: String!) {
  signUp(email: $email, password: "correct horse battery") { success errors { code message } }
}
"""
CHANGE_PASSWORD = """
mutation ($new: String!) {
  changePassword(currentPassword: "correct horse battery", newPassword: $new) { success errors { code } }
}
"""
END_SESSIONS = "mutation ($id: ID!) { endSessions(userId: $id) { success errors { code } session { id } } }"
UPDATE_ME = """
mutation ($id: ID!, $data: UserUpdateInput!) { updateUser(input: {where: {id: $id}, data: $data}) { data { id } } }
"""
ME = "query ($id: ID!) { user(id: $id) { id email roles { key } state } }"
SESSIONS = "{ sessions(options: {first: 10}) { detail { id } } }"
SET_CART = 'mutation { updateSession(changes: {cart: ["mine.com"]}) { detail { cart } } }'
CART = "{ currentSession { cart } }"
MEMOS = "{ memos { id text } }"


def who(api: Api, auth: str) -> dict[str, Any]:
    """Who the server takes the bearer of `auth` for (a fresh anonymous session if it has ended)."""
    session: dict[str, Any] = call(api, WHO, None, auth).data["currentSession"]
    return session


def log_in(api: Api, email: str, password: str = PASSWORD) -> str:
    reply = call(api, LOG_IN, {"email": email, "password": password})
    assert reply.data["logInViaEmail"]["success"] is True, reply.body
    assert reply.token is not None
    return reply.token


# Managed fields.


def test_a_user_cannot_make_itself_system_admin_or_write_its_state_or_password(api: Api) -> None:
    ada = sign_up(api, "ada@example.com")
    for data in (
        {"roles": {"set": ["system-admin"]}},
        {"roles": {"push": ["system-admin"]}},
        {"state": {"created": "active", "admin": True}},
        {"password": "a new password!"},
    ):
        reply = call(api, UPDATE_ME, {"id": ada.user_id, "data": data}, ada.auth)
        assert reply.codes == [PERMISSION_DENIED], (data, reply.body)
    stored = admin(api, ME, {"id": ada.user_id})["user"]
    assert [r["key"] for r in stored["roles"]] == ["signed-in"]
    assert stored["state"] == {"created": "active"}
    # Logging in again brings no new role, and the old password still works.
    token = log_in(api, "ada@example.com")
    assert call(api, SESSIONS, None, token).codes == [PERMISSION_DENIED]
    # The user's other fields are still its own to change.
    assert call(api, UPDATE_ME, {"id": ada.user_id, "data": {"name": "Ada"}}, ada.auth).body.get("errors") is None


def test_system_admin_sets_roles(api: Api) -> None:
    ada = sign_up(api, "ada@example.com")
    admin(api, UPDATE_ME, {"id": ada.user_id, "data": {"roles": {"set": ["signed-in", "editor"]}}})
    assert [r["key"] for r in who(api, ada.auth)["roles"]] == ["signed-in", "editor"]


def test_the_roles_in_force_are_the_users_current_roles(trust: Api) -> None:
    ada = sign_up(trust, "ada@example.com")
    assert call(trust, MEMOS, None, ada.auth).codes == [PERMISSION_DENIED]
    admin(trust, UPDATE_ME, {"id": ada.user_id, "data": {"roles": {"set": ["signed-in", "editor"]}}})
    # Granted from the next request on, without logging in again...
    assert call(trust, MEMOS, None, ada.auth).data["memos"] == []
    admin(trust, UPDATE_ME, {"id": ada.user_id, "data": {"roles": {"set": ["signed-in"]}}})
    # ...and taken away the same way.
    assert call(trust, MEMOS, None, ada.auth).codes == [PERMISSION_DENIED]
    assert [r["key"] for r in who(trust, ada.auth)["roles"]] == ["signed-in"]


# Sessions that end.


def test_changing_the_password_ends_every_other_session_of_the_user(api: Api) -> None:
    ada = sign_up(api, "ada@example.com")
    other = log_in(api, "ada@example.com")
    bob = sign_up(api, "bob@example.com")
    reply = call(api, CHANGE_PASSWORD, {"new": "another good password"}, ada.auth)
    assert reply.data["changePassword"]["success"] is True
    assert reply.token is not None
    assert who(api, reply.token)["userId"] == ada.user_id
    assert who(api, other)["userId"] is None
    assert who(api, ada.auth)["userId"] is None  # the token before the change, rotated away
    assert who(api, bob.auth)["userId"] == bob.user_id
    log_in(api, "ada@example.com", "another good password")


def test_deleting_a_user_ends_their_sessions(api: Api) -> None:
    ada = sign_up(api, "ada@example.com")
    assert who(api, ada.auth)["userId"] == ada.user_id
    admin(api, "mutation ($id: ID!) { deleteUser(input: {where: {id: $id}}) { data { id } } }", {"id": ada.user_id})
    session = who(api, ada.auth)
    assert session["userId"] is None
    assert [r["key"] for r in session["roles"]] == ["unauthenticated"]


def test_system_admin_ends_every_session_of_a_user(api: Api) -> None:
    ada = sign_up(api, "ada@example.com")
    other = log_in(api, "ada@example.com")
    bob = sign_up(api, "bob@example.com")
    assert call(api, END_SESSIONS, {"id": ada.user_id}, bob.auth).data["endSessions"]["errors"][0]["code"] == (
        PERMISSION_DENIED
    )
    assert who(api, ada.auth)["userId"] == ada.user_id
    assert admin(api, END_SESSIONS, {"id": ada.user_id})["endSessions"]["success"] is True
    assert who(api, ada.auth)["userId"] is None
    assert who(api, other)["userId"] is None
    assert who(api, bob.auth)["userId"] == bob.user_id
    # Logging in again works as before.
    assert who(api, log_in(api, "ada@example.com"))["userId"] == ada.user_id


def test_a_user_ends_its_other_sessions_and_keeps_this_one(api: Api) -> None:
    ada = sign_up(api, "ada@example.com")
    other = log_in(api, "ada@example.com")
    reply = call(api, END_SESSIONS, {"id": ada.user_id}, ada.auth)
    assert reply.data["endSessions"]["session"]["id"] == ada.session_id
    assert reply.token is not None
    assert who(api, reply.token)["userId"] == ada.user_id
    assert who(api, other)["userId"] is None


def test_a_token_naming_another_user_is_refused(api: Api) -> None:
    ada, bob = sign_up(api, "ada@example.com"), sign_up(api, "bob@example.com")
    session_id, _user, secret = ada.auth.removeprefix("Session ").split(".")
    forged = f"Session {session_id}.{bob.user_id}.{secret}"
    assert who(api, forged)["userId"] is None
    assert who(api, ada.auth)["userId"] == ada.user_id


def test_logging_in_keeps_the_cart(api: Api) -> None:
    reply = call(api, "{ currentSession { id } }")
    assert reply.token is not None
    assert call(api, SET_CART, None, reply.token).data["updateSession"]["detail"]["cart"] == ["mine.com"]
    sign_up(api, "ada@example.com")
    logged_in = call(api, LOG_IN, {"email": "ada@example.com", "password": PASSWORD}, reply.token)
    assert logged_in.token is not None
    assert call(api, CART, None, logged_in.token).data["currentSession"]["cart"] == ["mine.com"]


def test_a_concurrent_session_change_is_not_lost(api: Api) -> None:
    """Two updateSession of one session at once: the second to land is refused, not written over."""
    ada = sign_up(api, "ada@example.com")
    model = api.service.registry.model(SESSION_MODEL)
    concurrent: list[bool] = []

    def meanwhile(**_kwargs: Any) -> None:
        if concurrent:
            return
        concurrent.append(True)
        current = api.service.store.get(model, ada.session_id)
        assert current is not None
        changes = Changes()
        update = changes.update(model, ada.session_id)
        update.assign["cart"] = ["theirs.com"]
        update.version = current["_v"]
        api.service.store.write(changes)

    with hooked(api, {"before-call.dynamodb.UpdateItem": meanwhile}):
        reply = call(api, SET_CART, None, ada.auth)
    assert reply.codes == [INVALID_INPUT], reply.body
    assert call(api, CART, None, ada.auth).data["currentSession"]["cart"] == ["theirs.com"]


# One address, one account.


def test_an_address_in_another_case_or_with_white_space_is_no_second_account(api: Api) -> None:
    sign_up(api, "alice@example.com")
    taken = call(api, SIGN_UP, {"email": "ALICE@Example.com"}).data["signUp"]
    assert taken["success"] is False
    assert taken["errors"][0]["code"] == INVALID_RECORD
    for padded in ("alice@example.com\n", " alice@example.com", "alice@example.com "):
        refused = call(api, SIGN_UP, {"email": padded}).data["signUp"]
        assert refused["success"] is False, padded
        assert "email" in refused["errors"][0]["message"]
    users = admin(api, "{ usersConnection { aggregate { count } } }")["usersConnection"]["aggregate"]["count"]
    assert users == 1


def test_addresses_compare_in_one_form_everywhere(api: Api) -> None:
    alice = sign_up(api, "Alice@Example.com")
    assert alice.email == "Alice@Example.com"
    log_in(api, "ALICE@EXAMPLE.COM")
    found = admin(api, 'query { user(email: "aLiCe@example.COM") { id email } }')["user"]
    assert found == {"id": alice.user_id, "email": "alice@example.com"}
    matched = admin(api, '{ users(where: {match: {email: ["ALICE@example.com"]}}) { id } }')["users"]
    assert matched == [{"id": alice.user_id}]
    looked_up = admin(api, '{ users(email: ["alice@EXAMPLE.com"]) { id } }')["users"]
    assert looked_up == [{"id": alice.user_id}]


def test_the_login_throttle_counts_an_address_in_any_case(api: Api) -> None:
    sign_up(api, "ada@example.com")
    for email in ("ADA@example.com", "ada@EXAMPLE.com", "Ada@Example.Com", "ada@example.com", "ADA@EXAMPLE.COM"):
        failed = call(api, LOG_IN, {"email": email, "password": "wrong password"}).data["logInViaEmail"]
        assert failed["errors"][0]["code"] == "GGT_INVALID_EMAIL_PASSWORD"
    blocked = call(api, LOG_IN, {"email": "ada@example.com", "password": PASSWORD}).data["logInViaEmail"]
    assert blocked["errors"][0]["code"] == "GGT_TOO_MANY_REQUESTS"


def test_a_login_checked_against_the_old_password_ends_with_a_password_change_made_meanwhile(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Argon2 takes a while: a password change can land between a login's check and its session."""
    ada = sign_up(api, "ada@example.com")
    real = sessions_api.verify_password
    changed: list[bool] = []

    def slow_check(password: str, stored: str | None) -> bool:
        if not changed:
            changed.append(True)
            # Meanwhile, Ada changes her password from her session.
            reply = call(api, CHANGE_PASSWORD, {"new": "another good password"}, ada.auth)
            assert reply.data["changePassword"]["success"] is True
        return real(password, stored)

    monkeypatch.setattr(sessions_api, "verify_password", slow_check)
    attacker = call(api, LOG_IN, {"email": "ada@example.com", "password": PASSWORD})
    assert changed
    assert attacker.data["logInViaEmail"]["success"] is True  # the old password was right when checked
    assert attacker.token is not None
    assert who(api, attacker.token)["userId"] is None
