"""Password reset and email verification through the API, end to end: the token taken from the
local outbox, sessions ended by a reset, tokens refused once used or expired, unknown emails
answered alike, the verified flag managed by the server; the SES sender's call."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from chalicelib.accounts.settings import AccountSettings
from chalicelib.accounts.tokens import RESET as RESET_TOKEN
from chalicelib.accounts.tokens import AccountTokens
from chalicelib.errors import INVALID_TOKEN, PERMISSION_DENIED
from chalicelib.mail.message import Message
from chalicelib.mail.outbox import Outbox
from chalicelib.mail.ses import Ses
from chalicelib.schema.registry import USER_MODEL
from chalicelib.settings import Settings, StartupError
from chalicelib.store.attributes import python_name
from tests.conftest import ADMIN, Api
from tests.functional.helpers import PASSWORD, call, sign_up

FLOOR = 0.2
NEW_PASSWORD = "a brand new passphrase"
SEND_RESET = "mutation ($email: String!) { sendResetPassword(email: $email) { success errors { code message } } }"
RESET = """mutation ($token: String!, $password: String!) {
  resetPassword(token: $token, password: $password) { success errors { code message } }
}"""
SEND_VERIFY = "mutation ($email: String!) { sendVerifyEmail(email: $email) { success errors { code message } } }"
VERIFY = "mutation ($token: String!) { verifyEmail(token: $token) { success errors { code message } } }"
LOG_IN = """mutation ($email: LogInViaEmailEmailInput, $password: String) {
  logInViaEmail(email: $email, password: $password) { success errors { code } }
}"""
WHO = "{ currentSession { id userId } }"


@pytest.fixture(scope="session")
def outbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outbox")


@pytest.fixture
def accounts(make_api: Callable[..., Api], outbox_dir: Path) -> Api:
    return make_api(outbox_dir=outbox_dir, accounts=AccountSettings(answer_seconds=FLOOR))


def outbox(api: Api) -> Outbox:
    sender = api.service.sender
    assert isinstance(sender, Outbox)
    return sender


def token_in_outbox(api: Api, email: str, kind: str) -> str:
    """The token of the latest `kind` ("Reset" or "Verification") message to `email`, as a developer reads it."""
    message = outbox(api).messages_to(email)[-1]
    found = re.search(rf"^{kind} token: (\S+)$", message.text, re.MULTILINE)
    assert found is not None, message.text
    return found.group(1)


def logged_in(api: Api, email: str, password: str) -> bool:
    return bool(call(api, LOG_IN, {"email": email, "password": password}).data["logInViaEmail"]["success"])


def test_a_reset_sets_the_password_and_ends_every_session_and_its_token_works_once(accounts: Api) -> None:
    alice = sign_up(accounts, "alice@example.com")
    other = call(accounts, LOG_IN, {"email": alice.email, "password": PASSWORD})
    assert other.token is not None
    answer = call(accounts, SEND_RESET, {"email": "Alice@Example.com"}).data["sendResetPassword"]
    assert answer == {"success": True, "errors": None}
    token = token_in_outbox(accounts, alice.email, "Reset")
    assert call(accounts, RESET, {"token": token, "password": NEW_PASSWORD}).data["resetPassword"]["success"]
    # Every session the user had is refused: its token is no session at all now.
    for auth in (alice.auth, other.token):
        who = call(accounts, WHO, auth=auth).data["currentSession"]
        assert who["userId"] is None
        assert who["id"] != alice.session_id
    assert logged_in(accounts, alice.email, NEW_PASSWORD)
    assert not logged_in(accounts, alice.email, PASSWORD)
    again = call(accounts, RESET, {"token": token, "password": "yet another passphrase"}).data["resetPassword"]
    assert again["success"] is False
    assert again["errors"][0]["code"] == INVALID_TOKEN
    assert logged_in(accounts, alice.email, NEW_PASSWORD)


def test_an_expired_or_replaced_or_forged_reset_token_is_refused_and_changes_nothing(accounts: Api) -> None:
    bob = sign_up(accounts, "bob@example.com")
    call(accounts, SEND_RESET, {"email": bob.email})
    first = token_in_outbox(accounts, bob.email, "Reset")
    call(accounts, SEND_RESET, {"email": bob.email})
    second = token_in_outbox(accounts, bob.email, "Reset")
    users: Any = accounts.service.tables.model_class(USER_MODEL)
    users(bob.user_id).update(actions=[users.reset_expires_.set(int(time.time()) - 1)])
    user_id, _, secret = second.rpartition(".")
    for token in (first, second, f"{user_id}.{secret[::-1]}", "not a token", f"{user_id}."):
        answer = call(accounts, RESET, {"token": token, "password": NEW_PASSWORD}).data["resetPassword"]
        assert answer["errors"][0]["code"] == INVALID_TOKEN, token
    assert logged_in(accounts, bob.email, PASSWORD)
    # The user's sessions stand: nothing was written.
    assert call(accounts, WHO, auth=bob.auth).data["currentSession"]["userId"] == bob.user_id


def test_a_short_password_is_refused_before_the_token_is_spent(accounts: Api) -> None:
    carol = sign_up(accounts, "carol@example.com")
    call(accounts, SEND_RESET, {"email": carol.email})
    token = token_in_outbox(accounts, carol.email, "Reset")
    short = call(accounts, RESET, {"token": token, "password": "short"}).data["resetPassword"]
    assert short["errors"][0]["code"] == "GGT_INVALID_RECORD"
    assert call(accounts, RESET, {"token": token, "password": NEW_PASSWORD}).data["resetPassword"]["success"]


def test_an_unknown_email_gets_the_same_answer_after_the_same_work_and_no_mail(accounts: Api) -> None:
    dave = sign_up(accounts, "dave@example.com")
    figures = {}
    for email in (dave.email, "nobody@example.com", "not an address"):
        for query in (SEND_RESET, SEND_VERIFY):
            started = time.monotonic()
            with accounts.calls() as log:
                reply = call(accounts, query, {"email": email})
            elapsed = time.monotonic() - started
            assert elapsed >= FLOOR
            figures[(email, query)] = (reply.body, reply.token, dict(log.counts))
    for query in (SEND_RESET, SEND_VERIFY):
        known, unknown = figures[(dave.email, query)], figures[("nobody@example.com", query)]
        assert known == unknown
    assert outbox(accounts).messages_to("nobody@example.com") == []
    assert len(outbox(accounts).messages_to(dave.email)) == 2


def test_verification_sets_the_managed_verified_flag(accounts: Api) -> None:
    erin = sign_up(accounts, "erin@example.com")
    read = "query ($id: ID!) { user(id: $id) { emailVerified } }"
    assert call(accounts, read, {"id": erin.user_id}, erin.auth).data["user"]["emailVerified"] is False
    forged = (
        "mutation ($id: ID!) { updateUser(input: {where: {id: $id}, data: {emailVerified: true}}) { data { id } } }"
    )
    assert call(accounts, forged, {"id": erin.user_id}, erin.auth).codes == [PERMISSION_DENIED]
    assert call(accounts, SEND_VERIFY, {"email": erin.email}).data["sendVerifyEmail"]["success"]
    token = token_in_outbox(accounts, erin.email, "Verification")
    assert call(accounts, VERIFY, {"token": token}).data["verifyEmail"] == {"success": True, "errors": None}
    assert call(accounts, read, {"id": erin.user_id}, erin.auth).data["user"]["emailVerified"] is True
    assert call(accounts, VERIFY, {"token": token}).data["verifyEmail"]["errors"][0]["code"] == INVALID_TOKEN
    # Verifying ends no session.
    assert call(accounts, WHO, auth=erin.auth).data["currentSession"]["userId"] == erin.user_id


UPDATE_USER = """mutation ($id: ID!, $data: UserUpdateInput!) {
  updateUser(input: {where: {id: $id}, data: $data}) { data { email emailVerified } }
}"""


def test_a_changed_email_is_unverified_and_the_tokens_sent_to_the_old_one_stop_working(accounts: Api) -> None:
    fay = sign_up(accounts, "fay@example.com")
    call(accounts, SEND_VERIFY, {"email": fay.email})
    assert call(accounts, VERIFY, {"token": token_in_outbox(accounts, fay.email, "Verification")}).data
    call(accounts, SEND_VERIFY, {"email": fay.email})
    verify = token_in_outbox(accounts, fay.email, "Verification")
    call(accounts, SEND_RESET, {"email": fay.email})
    reset = token_in_outbox(accounts, fay.email, "Reset")
    with accounts.calls() as log:
        changed = call(accounts, UPDATE_USER, {"id": fay.user_id, "data": {"email": "fay@new.example"}}, fay.auth)
    assert changed.data["updateUser"]["data"] == {"email": "fay@new.example", "emailVerified": False}
    # One write: the address, the flag and the tokens together.
    assert log.counts["TransactWriteItems"] == 1
    read = "query ($id: ID!) { user(id: $id) { emailVerified } }"
    assert call(accounts, read, {"id": fay.user_id}, fay.auth).data["user"]["emailVerified"] is False
    assert call(accounts, VERIFY, {"token": verify}).data["verifyEmail"]["errors"][0]["code"] == INVALID_TOKEN
    old = call(accounts, RESET, {"token": reset, "password": NEW_PASSWORD}).data["resetPassword"]
    assert old["errors"][0]["code"] == INVALID_TOKEN
    # The new address is verified by a token sent to it; writing the same address again keeps that.
    call(accounts, SEND_VERIFY, {"email": "fay@new.example"})
    assert call(accounts, VERIFY, {"token": token_in_outbox(accounts, "fay@new.example", "Verification")}).data
    same = call(accounts, UPDATE_USER, {"id": fay.user_id, "data": {"email": "fay@new.example"}}, fay.auth)
    assert same.data["updateUser"]["data"]["emailVerified"] is True
    # system-admin may change the address and state the flag in one write.
    both = {"email": "fay@third.example", "emailVerified": True}
    assert call(accounts, UPDATE_USER, {"id": fay.user_id, "data": both}, ADMIN["Authorization"]).data == {
        "updateUser": {"data": both}
    }


def test_a_token_is_stored_only_while_the_user_has_the_address_it_goes_to(accounts: Api) -> None:
    gus = sign_up(accounts, "gus@example.com")
    users: Any = accounts.service.tables.model_class(USER_MODEL)
    issuer = AccountTokens(
        users, getattr(users, python_name(accounts.service.registry.model(USER_MODEL).fields["email"]))
    )
    # A send that found the user by an address the user has just given up.
    assert issuer.issue(gus.user_id, "gus@old.example", RESET_TOKEN, 60) is None
    assert users.get(gus.user_id).reset_ is None
    assert issuer.issue(gus.user_id, gus.email, RESET_TOKEN, 60) is not None
    assert users.get(gus.user_id).reset_ is not None


@pytest.fixture
def limited(make_api: Callable[..., Api], outbox_dir: Path) -> Api:
    # Two messages per address; one window for the whole run (it ends in 2033), so none ends mid-test.
    settings = AccountSettings(answer_seconds=FLOOR, mail_limit=2, mail_window_seconds=10**9)
    return make_api(outbox_dir=outbox_dir, accounts=settings)


def test_an_address_is_mailed_at_most_its_limit_and_a_limited_send_answers_as_any_other(limited: Api) -> None:
    hal = sign_up(limited, "hal@example.com")
    seen = []
    for email, query in [
        (hal.email, SEND_RESET),
        (hal.email, SEND_VERIFY),
        ("HAL@example.com", SEND_RESET),
        (hal.email, SEND_VERIFY),
        ("nobody@example.com", SEND_RESET),
        ("nobody@example.com", SEND_VERIFY),
    ]:
        with limited.calls() as log:
            reply = call(limited, query, {"email": email})
        seen.append((query, reply.body, reply.token, dict(log.counts)))
    # Under the limit, over it, and an unknown address: the same answer after the same calls.
    assert seen[0] == seen[2] == seen[4]
    assert seen[1] == seen[3] == seen[5]
    assert [m.subject for m in outbox(limited).messages_to(hal.email)] == [
        "Reset your password",
        "Verify your email address",
    ]
    # The limited sends replaced no token: the one mailed works.
    reset = re.search(r"^Reset token: (\S+)$", outbox(limited).messages_to(hal.email)[0].text, re.MULTILINE)
    assert reset is not None
    assert call(limited, RESET, {"token": reset.group(1), "password": NEW_PASSWORD}).data["resetPassword"]["success"]
    # Each address has its own count.
    ivy = sign_up(limited, "ivy@example.com")
    call(limited, SEND_VERIFY, {"email": ivy.email})
    assert len(outbox(limited).messages_to(ivy.email)) == 1


def test_the_mail_limit_comes_from_the_stages_environment() -> None:
    accounts = Settings.from_environ({"ACCOUNT_MAIL_LIMIT": "3", "ACCOUNT_MAIL_WINDOW_SECONDS": "600"}).accounts
    assert (accounts.mail_limit, accounts.mail_window_seconds) == (3, 600)
    assert Settings.from_environ({}).accounts == AccountSettings()
    with pytest.raises(StartupError, match="ACCOUNT_MAIL_WINDOW_SECONDS"):
        Settings.from_environ({"ACCOUNT_MAIL_WINDOW_SECONDS": "0"})


def test_the_outbox_keeps_each_message_as_a_file_a_developer_can_open(tmp_path: Path) -> None:
    box = Outbox(tmp_path, "app@example.com", echo=False)
    box.send(Message("Zoe@Example.com", "Hello", "first"))
    box.send(Message("zoe@example.com", "Again", "second"))
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    assert "Subject: Hello" in files[0].read_text()
    assert [m.text.strip() for m in box.messages_to("zoe@example.com")] == ["first", "second"]


def test_ses_sends_one_plain_text_email_from_the_stages_address() -> None:
    ses = Ses("no-reply@example.com", "us-east-1")
    with Stubber(ses.client()) as stub:
        expected = {
            "FromEmailAddress": "no-reply@example.com",
            "Destination": {"ToAddresses": ["zoe@example.com"]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": "Hi", "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": "text", "Charset": "UTF-8"}},
                }
            },
        }
        stub.add_response("send_email", {"MessageId": "1"}, expected)
        ses.send(Message("zoe@example.com", "Hi", "text"))
        stub.assert_no_pending_responses()
