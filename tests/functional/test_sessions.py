"""Sessions and email/password auth through the API: Gadget's current-session actions and the
beachfront session (cart) API, their seed operations verbatim; sign-up and password changes; and
login security: uniform failures, throttling, token lifetime, and what the tables hold."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from argon2 import PasswordHasher

from chalicelib.errors import INVALID_INPUT, INVALID_RECORD, PERMISSION_DENIED
from chalicelib.sessions.throttle import LIMIT, WINDOW_SECONDS
from tests.conftest import ADMIN, DEFAULT_SCHEMA, SEEDS, TEST_PASSWORD_COST, Api, served
from tests.functional.helpers import PASSWORD, Reply, call
from tests.seed_operations import (
    CREATE_SESSION,
    CREATE_VARIABLES,
    DELETE_SESSION,
    DELETE_VARIABLES,
    GADGET_VARIABLES,
    GET_SESSION,
    GET_VARIABLES,
    LOG_IN_SEED_VARIABLES,
    SEED_CART,
    SEED_ID,
    UPDATE_SESSION,
    UPDATE_VARIABLES,
)

# The seed operations, verbatim. Gadget's listings number their lines ("2 currentSession {"):
# the numbers are not part of the operation.
GET_CURRENT_SESSION = """query GetCurrentSession {
 currentSession {
 id
 state
 createdAt
 }
}"""

LOG_IN_VIA_EMAIL = """mutation ($email: LogInViaEmailEmailInput, $password: String) {
 logInViaEmail(email: $email, password: $password) {
 success
 errors {
 message
 ... on InvalidRecordError {
 validationErrors {
 apiIdentifier
 message
 }
 record
 model {
 apiIdentifier
 }
 }
 }
 session {
 __typename
 id
 state
 createdAt
 roles {
 key
 name
 }
 shop {
 id
 state
 accessToken
 address1
 address2
 checkoutApiSupported
 city
 cookieConsentLevel
 country
 countryCode
 countryName
 countyTaxes
 createdAt
 currency
 customerEmail
 domain
 eligibleForCardReaderGiveaway
 eligibleForPayments
 email
 enabledPresentmentCurrencies
 finances
 forceSsl
 googleAppsDomain
 googleAppsLoginEnabled
 grantedScopes
 hasDiscounts
 hasGiftCards
 hasStorefront
 ianaTimezone
 installedViaApiKey
 latitude
 longitude
 moneyFormat
 moneyInEmailsFormat
 moneyWithCurrencyFormat
 moneyWithCurrencyInEmailsFormat
 multiLocationEnabled
 myshopifyDomain
 name
 passwordEnabled
 phone
 planDisplayName
 planName
 preLaunchEnabled
 primaryLocale
 province
 provinceCode
 registeredWebhooks
 requiresExtraPaymentsAgreement
 setupRequired
 shopOwner
 shopifyCreatedAt
 shopifyUpdatedAt
 source
 taxShipping
 taxesIncluded
 timezone
 updatedAt
 weightUnit
 zipCode
 }
 shopifySID
 updatedAt
 user {
 id
 state
 createdAt
 email
 roles {
 key
 name
 }
 updatedAt
 }
 }
 }
}"""

LOG_OUT = """mutation {
 logOut {
 success
 errors {
 message
 ... on InvalidRecordError {
 validationErrors {
 apiIdentifier
 message
 }
 record
 model {
 apiIdentifier
 }
 }
 }
 session {
 __typename
 id
 state
 createdAt
 roles {
 key
 name
 }
 shop {
 id
 state
 accessToken
 address1
 address2
 checkoutApiSupported
 city
 cookieConsentLevel
 country
 countryCode
 countryName
 countyTaxes
 createdAt
 currency
 customerEmail
 domain
 eligibleForCardReaderGiveaway
 eligibleForPayments
 email
 enabledPresentmentCurrencies
 finances
 forceSsl
 googleAppsDomain
 googleAppsLoginEnabled
 grantedScopes
 hasDiscounts
 hasGiftCards
 hasStorefront
 ianaTimezone
 installedViaApiKey
 latitude
 longitude
 moneyFormat
 moneyInEmailsFormat
 moneyWithCurrencyFormat
 moneyWithCurrencyInEmailsFormat
 multiLocationEnabled
 myshopifyDomain
 name
 passwordEnabled
 phone
 planDisplayName
 planName
 preLaunchEnabled
 primaryLocale
 province
 provinceCode
 registeredWebhooks
 requiresExtraPaymentsAgreement
 setupRequired
 shopOwner
 shopifyCreatedAt
 shopifyUpdatedAt
 source
 taxShipping
 taxesIncluded
 timezone
 updatedAt
 weightUnit
 zipCode
 }
 shopifySID
 updatedAt
 user {
 id
 state
 createdAt
 email
 roles {
 key
 name
 }
 updatedAt
 }
 }
 }
}"""

ERRORS = """
errors {
  code message
  ... on InvalidRecordError { validationErrors { apiIdentifier message } record model { apiIdentifier } }
}
"""
LOG_IN = f"""
mutation ($email: LogInViaEmailEmailInput, $password: String) {{
  logInViaEmail(email: $email, password: $password) {{ success {ERRORS} session {{ id user {{ id email }} }} }}
}}
"""
SIGN_UP = f"""
mutation ($email: String!, $password: String!, $name: String, $username: String) {{
  signUp(email: $email, password: $password, name: $name, username: $username) {{
    success {ERRORS} session {{ id state user {{ id email name username }} }}
  }}
}}
"""
CHANGE_PASSWORD = f"""
mutation ($current: String!, $new: String!) {{
  changePassword(currentPassword: $current, newPassword: $new) {{ success {ERRORS} session {{ id user {{ id }} }} }}
}}
"""
LOG_OUT_CODE = f"mutation {{ logOut {{ success {ERRORS} session {{ id }} }} }}"
WHO = "{ currentSession { id state roles { key } user { id email } } }"
USER = "query ($id: ID!) { user(id: $id) { id email } }"
DELETE_USER = "mutation ($id: ID!) { deleteUser(input: {where: {id: $id}}) { data { id } } }"
SESSIONS = """
query ($options: SessionsQuery) { sessions(options: $options) { detail { id cart customer { id } } cursor } }
"""
SET_CHANGES = """
mutation ($changes: SessionInput, $options: SessionQuery) {
  updateSession(changes: $changes, options: $options) { detail { id cart customer { id name username } } }
}
"""
CREATE_WITH = """
mutation ($options: SessionInput) {
  createSession(options: $options) { detail { id cart customer { id name username } } }
}
"""

WRONG_PASSWORD = "incorrect horse battery"
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
INVALID_EMAIL_PASSWORD = "GGT_INVALID_EMAIL_PASSWORD"
TOO_MANY_REQUESTS = "GGT_TOO_MANY_REQUESTS"
WRONG = "Invalid email or password"
SIGNED_IN = [{"key": "signed-in", "name": "Signed In"}]


@dataclass
class Login:
    auth: str
    user_id: str
    session_id: str


@dataclass
class Clock:
    """A clock the session store and the throttle read, moved forward by the tests."""

    offset: float = 0.0
    real: Callable[[], float] = field(default=time.time)

    def __call__(self) -> float:
        return self.real() + self.offset


def anonymous(api: Api) -> tuple[str, str]:
    """A new anonymous session: the `Authorization` value of its bearer, and its id."""
    reply = call(api, GET_CURRENT_SESSION, GADGET_VARIABLES)
    assert reply.token is not None
    return reply.token, reply.data["currentSession"]["id"]


def sign_up(api: Api, email: str, password: str = PASSWORD, **extra: Any) -> Login:
    reply = call(api, SIGN_UP, {"email": email, "password": password, **extra})
    result = reply.data["signUp"]
    assert result["success"] is True, result
    assert reply.token is not None
    return Login(reply.token, result["session"]["user"]["id"], result["session"]["id"])


def log_in(api: Api, email: str, password: str, auth: str | None = None) -> Reply:
    return call(api, LOG_IN, {"email": email, "password": password}, auth)


def who(api: Api, auth: str) -> Reply:
    return call(api, WHO, None, auth)


def secret_of(auth: str) -> tuple[str, str]:
    """The session id and the secret of `Session <id>.<secret>` (or `<id>.<user id>.<secret>`)."""
    parts = auth.removeprefix("Session ").split(".")
    return parts[0], parts[-1]


def gadget_seed() -> str:
    """The Gadget seed, with the line numbers of its listings taken off."""
    text = (SEEDS / "gadget-session-model.txt").read_text()
    return "\n".join(re.sub(r"^\d+", "", line) for line in text.splitlines())


def all_session_ids(api: Api, customer: str | None = None, first: int | None = None) -> list[str]:
    ids: list[str] = []
    after: str | None = None
    for _ in range(100):
        options = {"first": first, "after": after, "customer": customer}
        page = call(api, SESSIONS, {"options": options}, ADMIN["Authorization"]).data["sessions"]
        if first is not None:
            assert len(page["detail"]) <= first
        ids.extend(s["id"] for s in page["detail"])
        after = page["cursor"]
        if after is None:
            return ids
    raise AssertionError("sessions never reached its last page")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("chalicelib.sessions.store.time.time", clock)
    return clock


# The seeds.


def test_seed_operations_are_copied_verbatim() -> None:
    gadget = gadget_seed()
    for operation in (GET_CURRENT_SESSION, LOG_IN_VIA_EMAIL, LOG_OUT):
        assert operation in gadget
    beachfront = (SEEDS / "beachfront-session-api.md").read_text()
    for operation in (CREATE_SESSION, GET_SESSION, UPDATE_SESSION, DELETE_SESSION):
        assert operation in beachfront
    assert SEED_ID in beachfront
    assert all(f'"{name}"' in beachfront for name in SEED_CART)


# Gadget: the current session.


def test_get_current_session_creates_an_anonymous_session_once(api: Api) -> None:
    first = call(api, GET_CURRENT_SESSION, GADGET_VARIABLES)
    session = first.data["currentSession"]
    assert set(session) == {"id", "state", "createdAt"}
    assert session["state"] == {"created": "loggedOut"}
    assert DATETIME.match(session["createdAt"])
    assert first.token is not None
    assert first.token.startswith(f"Session {session['id']}.")
    again = call(api, GET_CURRENT_SESSION, GADGET_VARIABLES, first.token)
    assert again.data["currentSession"] == session
    assert again.token is None
    # Without the token, a caller is someone else: a new session.
    other = call(api, GET_CURRENT_SESSION, GADGET_VARIABLES)
    assert other.data["currentSession"]["id"] != session["id"]
    assert other.token is not None


def test_a_wrong_session_token_is_no_session_at_all(api: Api) -> None:
    auth, session_id = anonymous(api)
    _, secret = secret_of(auth)
    for presented in [f"Session {session_id}.{'A' * len(secret)}", "Session nonsense", f"Session {session_id}"]:
        reply = who(api, presented)
        assert reply.data["currentSession"]["id"] != session_id
        assert reply.token is not None


def test_log_in_via_email_with_the_seed_variables_fails_without_credentials(api: Api) -> None:
    auth, session_id = anonymous(api)
    reply = call(api, LOG_IN_VIA_EMAIL, LOG_IN_SEED_VARIABLES, auth)
    assert reply.data == {"logInViaEmail": {"success": False, "errors": [{"message": WRONG}], "session": None}}
    assert reply.token is None
    coded = call(api, LOG_IN, {}, auth).data["logInViaEmail"]
    assert [e["code"] for e in coded["errors"]] == [INVALID_EMAIL_PASSWORD]
    assert coded["session"] is None
    # The session is untouched: still logged out, under the same token.
    assert who(api, auth).data["currentSession"]["id"] == session_id
    assert who(api, auth).data["currentSession"]["state"] == {"created": "loggedOut"}


def test_log_in_via_email_logs_the_current_session_in_under_a_new_token(api: Api) -> None:
    sign_up(api, "ada@example.com")
    auth, session_id = anonymous(api)
    reply = call(api, LOG_IN_VIA_EMAIL, {"email": "ada@example.com", "password": PASSWORD}, auth)
    result = reply.data["logInViaEmail"]
    assert result["success"] is True
    assert result["errors"] is None
    session = result["session"]
    assert session["__typename"] == "Session"
    assert session["id"] == session_id
    assert session["state"] == {"created": "loggedIn"}
    assert session["roles"] == SIGNED_IN
    assert session["shop"] is None
    assert session["shopifySID"] is None
    assert DATETIME.match(session["createdAt"])
    assert DATETIME.match(session["updatedAt"])
    user = session["user"]
    assert user["email"] == "ada@example.com"
    assert user["state"] == {"created": "active"}
    assert user["roles"] == SIGNED_IN
    assert DATETIME.match(user["createdAt"])
    assert reply.token is not None
    assert reply.token != auth
    # The new token is the logged-in session; the old one no longer works at all.
    current = who(api, reply.token)
    assert current.data["currentSession"]["id"] == session_id
    assert current.data["currentSession"]["user"] == {"id": user["id"], "email": "ada@example.com"}
    assert current.token is None
    stale = who(api, auth)
    assert stale.data["currentSession"]["id"] != session_id
    assert stale.data["currentSession"]["user"] is None
    assert stale.token is not None
    assert call(api, USER, {"id": user["id"]}, auth).codes == [PERMISSION_DENIED]


def test_log_in_without_a_session_creates_a_logged_in_one(api: Api) -> None:
    login = sign_up(api, "ada@example.com")
    reply = log_in(api, "ada@example.com", PASSWORD)
    result = reply.data["logInViaEmail"]
    assert result["success"] is True
    assert result["session"]["id"] != login.session_id
    assert reply.token is not None
    assert call(api, USER, {"id": login.user_id}, reply.token).data["user"]["email"] == "ada@example.com"


def test_log_out_logs_the_session_out_under_a_new_token(api: Api) -> None:
    login = sign_up(api, "ada@example.com")
    assert call(api, USER, {"id": login.user_id}, login.auth).data["user"]["email"] == "ada@example.com"
    reply = call(api, LOG_OUT, GADGET_VARIABLES, login.auth)
    result = reply.data["logOut"]
    assert result["success"] is True
    assert result["errors"] is None
    session = result["session"]
    assert session["__typename"] == "Session"
    assert session["id"] == login.session_id
    assert session["state"] == {"created": "loggedOut"}
    assert session["user"] is None
    assert session["roles"] == [{"key": "unauthenticated", "name": "Unauthenticated"}]
    assert reply.token is not None
    assert reply.token != login.auth
    # The token from before the logout no longer authenticates as the user, nor at all.
    assert call(api, USER, {"id": login.user_id}, login.auth).codes == [PERMISSION_DENIED]
    stale = who(api, login.auth)
    assert stale.data["currentSession"]["id"] != login.session_id
    assert stale.token is not None
    # The new token is the same session, logged out.
    current = who(api, reply.token)
    assert current.data["currentSession"]["id"] == login.session_id
    assert current.data["currentSession"]["user"] is None
    assert current.token is None
    assert call(api, USER, {"id": login.user_id}, reply.token).codes == [PERMISSION_DENIED]


def test_log_out_without_a_session_fails(api: Api) -> None:
    reply = call(api, LOG_OUT_CODE)
    result = reply.data["logOut"]
    assert result["success"] is False
    assert [e["code"] for e in result["errors"]] == [PERMISSION_DENIED]
    assert reply.token is None


# beachfront: the session API.


def test_create_session_with_the_seed_variables(api: Api) -> None:
    reply = call(api, CREATE_SESSION, CREATE_VARIABLES)
    detail = reply.data["createSession"]["detail"]
    assert detail["cart"] == SEED_CART
    assert detail["customer"] is None
    assert DATETIME.match(detail["created"])
    assert DATETIME.match(detail["updated"])
    assert reply.token is not None
    assert reply.token.startswith(f"Session {detail['id']}.")
    # The new session is its bearer's current session.
    assert who(api, reply.token).data["currentSession"]["id"] == detail["id"]
    assert call(api, GET_SESSION, {"variables": {"id": detail["id"]}}, reply.token).data["session"]["detail"] == detail


@pytest.mark.parametrize("caller", ["bearer", "admin"])
def test_seed_get_update_delete_find_no_session_by_the_seed_id(api: Api, caller: str) -> None:
    created = call(api, CREATE_SESSION, {"variables": {"cart": ["cool.dist"]}})
    assert created.token is not None
    auth = created.token if caller == "bearer" else ADMIN["Authorization"]
    assert call(api, GET_SESSION, GET_VARIABLES, auth).data == {"session": {"detail": None}}
    assert call(api, UPDATE_SESSION, UPDATE_VARIABLES, auth).data == {"updateSession": {"detail": None}}
    assert call(api, DELETE_SESSION, DELETE_VARIABLES, auth).data == {"deleteSession": {"success": False}}
    own = {"variables": {"id": created.data["createSession"]["detail"]["id"]}}
    assert call(api, GET_SESSION, own, created.token).data["session"]["detail"]["cart"] == ["cool.dist"]


def test_seed_get_update_delete_of_the_callers_own_session(api: Api) -> None:
    created = call(api, CREATE_SESSION, CREATE_VARIABLES)
    auth = created.token
    assert auth is not None
    detail = created.data["createSession"]["detail"]
    own = {"id": detail["id"]}
    assert call(api, GET_SESSION, {"variables": own}, auth).data["session"]["detail"] == detail
    time.sleep(0.01)
    new_cart = ["roll.dist", "mega.undernet", "roll.undernet"]
    updated = call(api, UPDATE_SESSION, {"changes": {"cart": new_cart}, "variables": own}, auth)
    after = updated.data["updateSession"]["detail"]
    assert after["id"] == detail["id"]
    assert after["cart"] == new_cart
    assert after["created"] == detail["created"]
    assert after["updated"] > detail["updated"]
    assert updated.token is None
    assert call(api, GET_SESSION, {"variables": own}, auth).data["session"]["detail"] == after
    assert call(api, DELETE_SESSION, own, auth).data == {"deleteSession": {"success": True}}
    # The token went with the session.
    gone = who(api, auth)
    assert gone.data["currentSession"]["id"] != detail["id"]
    assert gone.token is not None
    assert call(api, GET_SESSION, {"variables": own}, ADMIN["Authorization"]).data["session"]["detail"] is None
    assert detail["id"] not in all_session_ids(api)


def test_update_and_get_without_an_id_act_on_the_callers_session(api: Api) -> None:
    auth, session_id = anonymous(api)
    reply = call(api, UPDATE_SESSION, {"changes": {"cart": ["a.dist"]}}, auth)
    assert reply.data["updateSession"]["detail"]["id"] == session_id
    assert call(api, GET_SESSION, {}, auth).data["session"]["detail"]["cart"] == ["a.dist"]


@pytest.mark.parametrize("bad", ["not a domain", "-bad.dist", "x", "bad-.dist", "a..dist", "1.23"])
def test_a_cart_entry_that_is_no_domain_name_is_refused_and_nothing_is_written(api: Api, bad: str) -> None:
    auth, session_id = anonymous(api)
    assert call(api, UPDATE_SESSION, {"changes": {"cart": ["cool.dist"]}}, auth).data["updateSession"]["detail"]
    before = all_session_ids(api)
    created = call(api, CREATE_SESSION, {"variables": {"cart": ["good.dist", bad]}})
    assert created.codes == [INVALID_RECORD]
    assert repr(bad) in created.body["errors"][0]["message"]
    assert created.body["data"]["createSession"] is None
    assert created.token is None
    assert all_session_ids(api) == before
    updated = call(api, UPDATE_SESSION, {"changes": {"cart": [bad]}, "variables": {"id": session_id}}, auth)
    assert updated.codes == [INVALID_RECORD]
    assert repr(bad) in updated.body["errors"][0]["message"]
    assert call(api, GET_SESSION, {}, auth).data["session"]["detail"]["cart"] == ["cool.dist"]


def test_cart_domain_names_are_lower_cased(api: Api) -> None:
    reply = call(api, CREATE_SESSION, {"variables": {"cart": ["Cool.DIST", "THE.undernet"]}})
    assert reply.data["createSession"]["detail"]["cart"] == ["cool.dist", "the.undernet"]
    assert reply.token is not None
    updated = call(api, UPDATE_SESSION, {"changes": {"cart": ["Roll.Dist"]}}, reply.token)
    assert updated.data["updateSession"]["detail"]["cart"] == ["roll.dist"]


# beachfront: the customer.


def test_a_signed_in_user_may_make_themselves_the_customer(api: Api) -> None:
    login = sign_up(api, "ada@example.com", name="Ada", username="ada")
    reply = call(api, SET_CHANGES, {"changes": {"customer": login.user_id}}, login.auth)
    customer = {"id": login.user_id, "name": "Ada", "username": "ada"}
    assert reply.data["updateSession"]["detail"]["customer"] == customer
    got = call(api, GET_SESSION, {"variables": {"id": login.session_id}}, login.auth)
    assert got.data["session"]["detail"]["customer"] == {"name": "Ada", "username": "ada"}


def test_a_signed_in_user_may_create_a_session_for_themselves(api: Api) -> None:
    login = sign_up(api, "ada@example.com", name="Ada", username="ada")
    variables = {"variables": {"cart": SEED_CART, "customer": login.user_id}}
    reply = call(api, CREATE_SESSION, variables, login.auth)
    assert "errors" not in reply.body, reply.body
    assert reply.data["createSession"]["detail"]["customer"] == {"name": "Ada", "username": "ada"}


def test_no_one_but_admin_makes_another_user_the_customer(api: Api) -> None:
    ada = sign_up(api, "ada@example.com", name="Ada", username="ada")
    bob = sign_up(api, "bob@example.com", name="Bob", username="bob")
    before = all_session_ids(api)
    denied = call(api, SET_CHANGES, {"changes": {"customer": bob.user_id}}, ada.auth)
    assert denied.codes == [PERMISSION_DENIED]
    created = call(api, CREATE_WITH, {"options": {"customer": bob.user_id}}, ada.auth)
    assert created.codes == [PERMISSION_DENIED]
    assert created.token is None
    anonymous_create = call(api, CREATE_WITH, {"options": {"customer": bob.user_id}})
    assert anonymous_create.codes == [PERMISSION_DENIED]
    assert all_session_ids(api) == before
    assert call(api, GET_SESSION, {}, ada.auth).data["session"]["detail"]["customer"] is None
    # system-admin may set anyone, on a new session or on someone else's.
    admin = ADMIN["Authorization"]
    made = call(api, CREATE_WITH, {"options": {"cart": ["a.dist"], "customer": bob.user_id}}, admin)
    assert made.data["createSession"]["detail"]["customer"] == {"id": bob.user_id, "name": "Bob", "username": "bob"}
    changed = call(api, SET_CHANGES, {"changes": {"customer": bob.user_id}, "options": {"id": ada.session_id}}, admin)
    assert changed.data["updateSession"]["detail"]["customer"]["id"] == bob.user_id
    assert call(api, WHO, None, ada.auth).data["currentSession"]["user"]["id"] == ada.user_id


def test_a_customer_must_exist(api: Api) -> None:
    bob = sign_up(api, "bob@example.com")
    deleted = call(api, DELETE_USER, {"id": bob.user_id}, ADMIN["Authorization"])
    assert deleted.data["deleteUser"]["data"] == {"id": bob.user_id}
    reply = call(api, CREATE_WITH, {"options": {"customer": bob.user_id}}, ADMIN["Authorization"])
    assert reply.codes == [INVALID_INPUT]


# beachfront: listing sessions.


@pytest.mark.parametrize("caller", ["none", "anonymous session", "signed in"])
def test_only_admin_lists_sessions(api: Api, caller: str) -> None:
    auth = {"none": None, "anonymous session": anonymous(api)[0], "signed in": sign_up(api, "a@example.com").auth}[
        caller
    ]
    with api.calls() as calls:
        reply = call(api, SESSIONS, {"options": {}}, auth)
    assert reply.codes == [PERMISSION_DENIED]
    assert reply.body["data"]["sessions"] is None
    assert calls.total == (0 if auth is None else 1)


def test_sessions_pages_with_a_cursor_and_filters_by_customer(api: Api) -> None:
    admin = ADMIN["Authorization"]
    ada = sign_up(api, "ada@example.com")
    theirs = [
        call(api, CREATE_WITH, {"options": {"cart": [f"s{n}.dist"], "customer": ada.user_id}}, admin).data[
            "createSession"
        ]["detail"]["id"]
        for n in range(3)
    ]
    others = [anonymous(api)[1] for _ in range(3)]
    everything = all_session_ids(api)
    assert sorted(everything) == sorted([ada.session_id, *theirs, *others])
    assert sorted(all_session_ids(api, first=2)) == sorted(everything)
    assert all_session_ids(api, first=2) == everything
    assert sorted(all_session_ids(api, customer=ada.user_id)) == sorted(theirs)
    assert sorted(all_session_ids(api, customer=ada.user_id, first=1)) == sorted(theirs)
    page = call(api, SESSIONS, {"options": {"first": 3}}, admin).data["sessions"]
    assert len(page["detail"]) == 3
    assert page["cursor"] is not None
    assert call(api, SESSIONS, {"options": {"first": -1}}, admin).codes == [INVALID_INPUT]


# Signing up and changing passwords.


def test_sign_up_creates_the_user_and_logs_in(api: Api) -> None:
    reply = call(api, SIGN_UP, {"email": "ada@example.com", "password": PASSWORD, "name": "Ada"})
    result = reply.data["signUp"]
    assert result["success"] is True
    assert result["errors"] is None
    assert result["session"]["state"] == {"created": "loggedIn"}
    assert result["session"]["user"]["email"] == "ada@example.com"
    assert result["session"]["user"]["name"] == "Ada"
    assert reply.token is not None
    assert log_in(api, "ada@example.com", PASSWORD).data["logInViaEmail"]["success"] is True


def test_sign_up_with_a_taken_email_is_an_invalid_record_error(api: Api) -> None:
    sign_up(api, "ada@example.com")
    reply = call(api, SIGN_UP, {"email": "ada@example.com", "password": "another password"})
    result = reply.data["signUp"]
    assert result["success"] is False
    assert result["session"] is None
    [error] = result["errors"]
    assert error["code"] == INVALID_RECORD
    assert [v["apiIdentifier"] for v in error["validationErrors"]] == ["email"]
    assert error["model"] == {"apiIdentifier": "user"}
    assert "password" not in json.dumps(error["record"] or {})
    assert reply.token is None
    # The first user keeps the password.
    assert log_in(api, "ada@example.com", "another password").data["logInViaEmail"]["success"] is False
    assert log_in(api, "ada@example.com", PASSWORD).data["logInViaEmail"]["success"] is True


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("not an email", PASSWORD, "email"), ("ada@example.com", "short", "password"), ("ada@", PASSWORD, "email")],
)
def test_sign_up_with_a_bad_email_or_password_is_an_invalid_record_error(
    api: Api, email: str, password: str, field: str
) -> None:
    reply = call(api, SIGN_UP, {"email": email, "password": password})
    result = reply.data["signUp"]
    assert result["success"] is False
    assert result["session"] is None
    [error] = result["errors"]
    assert error["code"] == INVALID_RECORD
    assert [v["apiIdentifier"] for v in error["validationErrors"]] == [field]
    assert error["model"] == {"apiIdentifier": "user"}
    assert password not in json.dumps(error)
    assert reply.token is None
    assert call(api, "{ users { id } }", None, ADMIN["Authorization"]).data["users"] == []


def test_change_password_requires_a_login(api: Api) -> None:
    auth, _ = anonymous(api)
    for presented in (auth, None):
        result = call(api, CHANGE_PASSWORD, {"current": PASSWORD, "new": "a new password"}, presented).data
        assert result["changePassword"]["success"] is False
        assert [e["code"] for e in result["changePassword"]["errors"]] == [PERMISSION_DENIED]


def test_change_password(api: Api) -> None:
    login = sign_up(api, "ada@example.com")
    wrong = call(api, CHANGE_PASSWORD, {"current": WRONG_PASSWORD, "new": "a new password"}, login.auth)
    assert wrong.data["changePassword"]["success"] is False
    assert [e["code"] for e in wrong.data["changePassword"]["errors"]] == [INVALID_EMAIL_PASSWORD]
    short = call(api, CHANGE_PASSWORD, {"current": PASSWORD, "new": "short"}, login.auth)
    assert short.data["changePassword"]["success"] is False
    assert [e["code"] for e in short.data["changePassword"]["errors"]] == [INVALID_RECORD]
    assert log_in(api, "ada@example.com", PASSWORD).data["logInViaEmail"]["success"] is True
    changed = call(api, CHANGE_PASSWORD, {"current": PASSWORD, "new": "a new password"}, login.auth)
    assert changed.data["changePassword"]["success"] is True
    assert changed.data["changePassword"]["session"]["user"] == {"id": login.user_id}
    assert changed.token is not None
    assert changed.token != login.auth
    assert who(api, changed.token).data["currentSession"]["user"]["id"] == login.user_id
    old = log_in(api, "ada@example.com", PASSWORD).data["logInViaEmail"]
    assert old["success"] is False
    assert [e["code"] for e in old["errors"]] == [INVALID_EMAIL_PASSWORD]
    assert log_in(api, "ada@example.com", "a new password").data["logInViaEmail"]["success"] is True


# Login security.


def test_a_wrong_password_and_an_unknown_email_answer_alike(api: Api) -> None:
    sign_up(api, "ada@example.com")
    wrong = log_in(api, "ada@example.com", WRONG_PASSWORD)
    unknown = log_in(api, "nobody@example.com", PASSWORD)
    assert wrong.body == unknown.body
    result = wrong.data["logInViaEmail"]
    assert result["success"] is False
    assert result["session"] is None
    assert [(e["code"], e["message"]) for e in result["errors"]] == [(INVALID_EMAIL_PASSWORD, WRONG)]
    assert wrong.token is None
    assert unknown.token is None
    seeded = [
        call(api, LOG_IN_VIA_EMAIL, {"email": email, "password": password}).body
        for email, password in [("ada@example.com", WRONG_PASSWORD), ("nobody@example.com", PASSWORD)]
    ]
    assert seeded[0] == seeded[1]


def _codes(reply: Reply) -> list[str]:
    return [e["code"] for e in reply.data["logInViaEmail"]["errors"] or []]


def test_the_sixth_failed_login_in_a_row_is_refused_even_with_the_right_password(api: Api) -> None:
    sign_up(api, "ada@example.com")
    sign_up(api, "bob@example.com")
    for _ in range(LIMIT):
        assert _codes(log_in(api, "ada@example.com", WRONG_PASSWORD)) == [INVALID_EMAIL_PASSWORD]
    refused = log_in(api, "ada@example.com", PASSWORD)
    assert _codes(refused) == [TOO_MANY_REQUESTS]
    assert refused.data["logInViaEmail"]["success"] is False
    assert refused.data["logInViaEmail"]["session"] is None
    assert refused.token is None
    assert _codes(log_in(api, "ada@example.com", WRONG_PASSWORD)) == [TOO_MANY_REQUESTS]
    # Another account is unaffected.
    assert log_in(api, "bob@example.com", PASSWORD).data["logInViaEmail"]["success"] is True


def test_an_unknown_email_is_throttled_like_a_known_one(api: Api) -> None:
    for _ in range(LIMIT):
        assert _codes(log_in(api, "nobody@example.com", PASSWORD)) == [INVALID_EMAIL_PASSWORD]
    assert _codes(log_in(api, "nobody@example.com", PASSWORD)) == [TOO_MANY_REQUESTS]


def test_failures_count_per_account_whatever_the_case_of_the_email(api: Api) -> None:
    sign_up(api, "ada@example.com")
    for email in ["ada@example.com", "ADA@example.com", "Ada@Example.com", "ada@EXAMPLE.COM", "ada@example.com"]:
        assert _codes(log_in(api, email, WRONG_PASSWORD)) == [INVALID_EMAIL_PASSWORD]
    assert _codes(log_in(api, "ada@example.com", PASSWORD)) == [TOO_MANY_REQUESTS]


def test_a_successful_login_starts_the_count_again(api: Api) -> None:
    sign_up(api, "ada@example.com")
    for _ in range(3):
        for _ in range(LIMIT - 1):
            assert _codes(log_in(api, "ada@example.com", WRONG_PASSWORD)) == [INVALID_EMAIL_PASSWORD]
        assert log_in(api, "ada@example.com", PASSWORD).data["logInViaEmail"]["success"] is True


def test_the_throttle_lifts_when_its_window_ends(api: Api, clock: Clock) -> None:
    sign_up(api, "ada@example.com")
    for _ in range(LIMIT):
        log_in(api, "ada@example.com", WRONG_PASSWORD)
    assert _codes(log_in(api, "ada@example.com", PASSWORD)) == [TOO_MANY_REQUESTS]
    clock.offset += WINDOW_SECONDS
    assert log_in(api, "ada@example.com", PASSWORD).data["logInViaEmail"]["success"] is True


@pytest.fixture
def url(api: Api) -> Iterator[str]:
    """The API over real HTTP, for concurrent clients."""
    with served(api) as address:
        yield address


@pytest.mark.slow
def test_concurrent_failed_logins_get_no_more_guesses_than_the_limit(api: Api, url: str) -> None:
    sign_up(api, "ada@example.com")
    threads = 12
    barrier = threading.Barrier(threads)

    def guess(n: int) -> list[str]:
        body = json.dumps({"query": LOG_IN, "variables": {"email": "ada@example.com", "password": f"guess {n:04}"}})
        request = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json"})
        barrier.wait()
        with urllib.request.urlopen(request, timeout=60) as response:
            result = json.loads(response.read())
        return [e["code"] for e in result["data"]["logInViaEmail"]["errors"]]

    with ThreadPoolExecutor(threads) as pool:
        codes = [code for answer in pool.map(guess, range(threads)) for code in answer]
    # Every answer is a failure; at most LIMIT of them were password checks, the rest refusals.
    assert len(codes) == threads
    assert codes.count(INVALID_EMAIL_PASSWORD) <= LIMIT, sorted(codes)
    assert codes.count(TOO_MANY_REQUESTS) >= threads - LIMIT
    assert _codes(log_in(api, "ada@example.com", PASSWORD)) == [TOO_MANY_REQUESTS]


def test_a_token_ends_after_being_unused_for_the_idle_time(make_api: Callable[..., Api], clock: Clock) -> None:
    api = make_api(DEFAULT_SCHEMA, session_idle_seconds=3600, session_max_seconds=4 * 3600)
    login = sign_up(api, "ada@example.com")
    clock.offset += 3000
    assert who(api, login.auth).data["currentSession"]["id"] == login.session_id
    # Idle counts from the last use, not from the login.
    clock.offset += 3000
    assert who(api, login.auth).data["currentSession"]["id"] == login.session_id
    clock.offset += 3601
    ended = who(api, login.auth)
    assert ended.data["currentSession"]["id"] != login.session_id
    assert ended.token is not None
    assert call(api, USER, {"id": login.user_id}, login.auth).codes == [PERMISSION_DENIED]


def test_a_token_ends_at_its_max_age_however_often_used(make_api: Callable[..., Api], clock: Clock) -> None:
    api = make_api(DEFAULT_SCHEMA, session_idle_seconds=3600, session_max_seconds=4 * 3600)
    login = sign_up(api, "ada@example.com")
    for _ in range(4):
        clock.offset += 3500
        assert who(api, login.auth).data["currentSession"]["id"] == login.session_id
    clock.offset += 500  # 4 hours and 400 seconds after the login, used 500 seconds ago
    ended = who(api, login.auth)
    assert ended.data["currentSession"]["id"] != login.session_id
    assert call(api, USER, {"id": login.user_id}, login.auth).codes == [PERMISSION_DENIED]


def test_a_login_starts_the_max_age_again(make_api: Callable[..., Api], clock: Clock) -> None:
    api = make_api(DEFAULT_SCHEMA, session_idle_seconds=3600, session_max_seconds=2 * 3600)
    login = sign_up(api, "ada@example.com")
    clock.offset += 3500
    again = log_in(api, "ada@example.com", PASSWORD, login.auth)
    assert again.token is not None
    for _ in range(2):
        clock.offset += 3000
        assert who(api, again.token).data["currentSession"]["id"] == login.session_id
    clock.offset += 3000
    assert who(api, again.token).data["currentSession"]["id"] != login.session_id


def test_the_stored_session_holds_no_usable_token(api: Api) -> None:
    login = sign_up(api, "ada@example.com")
    token = login.auth.removeprefix("Session ")
    session_id, secret = secret_of(login.auth)
    assert session_id == login.session_id
    item = api.service.tables.model_class("Session").get(session_id)
    values = item.attribute_values
    stored = json.dumps(values, default=str)
    assert secret not in stored
    assert token not in stored
    digest = values["secret_"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    # Nor does the table hold the token of a session after a login and a logout.
    out = call(api, LOG_OUT_CODE, None, login.auth)
    assert out.token is not None
    _, new_secret = secret_of(out.token)
    stored = json.dumps(api.service.tables.model_class("Session").get(session_id).attribute_values, default=str)
    assert new_secret not in stored
    assert secret not in stored


def test_passwords_are_stored_as_argon2id_hashes(api: Api) -> None:
    login = sign_up(api, "ada@example.com")
    values = api.service.tables.model_class("User").get(login.user_id).attribute_values
    assert values["f_password"].startswith("$argon2id$")
    assert PASSWORD not in json.dumps(values, default=str)
    assert PasswordHasher().verify(values["f_password"], PASSWORD)


def test_a_hash_made_with_other_parameters_is_rehashed_on_login(api: Api) -> None:
    login = sign_up(api, "ada@example.com")
    users = api.service.tables.model_class("User")
    weak = PasswordHasher(time_cost=1).hash(PASSWORD)
    users.get(login.user_id).update(actions=[users.f_password.set(weak)])  # type: ignore[attr-defined]
    assert users.get(login.user_id).attribute_values["f_password"] == weak
    assert log_in(api, "ada@example.com", PASSWORD).data["logInViaEmail"]["success"] is True
    rehashed = users.get(login.user_id).attribute_values["f_password"]
    assert rehashed != weak
    assert rehashed.startswith("$argon2id$")
    current = PasswordHasher(
        time_cost=TEST_PASSWORD_COST.time_cost,
        memory_cost=TEST_PASSWORD_COST.memory_kib,
        parallelism=TEST_PASSWORD_COST.parallelism,
    )
    assert current.verify(rehashed, PASSWORD)
    assert not current.check_needs_rehash(rehashed)
    assert log_in(api, "ada@example.com", PASSWORD).data["logInViaEmail"]["success"] is True
    assert log_in(api, "ada@example.com", WRONG_PASSWORD).data["logInViaEmail"]["success"] is False
