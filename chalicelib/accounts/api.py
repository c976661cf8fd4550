"""Resolvers of the account lifecycle: password reset and email verification, Gadget's way.

The actions that take an email answer `{success: true}` whether or not it has an account, and
whether or not it is over its mail limit (ratelimit/quota.py, per address), after the same reads and writes
(a token written to an id no user has, for an unknown or limited one) and at least
`AccountSettings.answer_seconds`: neither the answer nor its time tells whether an address is
registered. The token goes to the address by email (chalicelib/mail/), never in an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from chalicelib.accounts import messages
from chalicelib.accounts.addresses import verified_field
from chalicelib.accounts.pacing import at_least
from chalicelib.accounts.sdl import ACCOUNT_SDL
from chalicelib.accounts.settings import AccountSettings
from chalicelib.accounts.tokens import RESET, VERIFY, AccountTokens, Purpose
from chalicelib.api import scalars
from chalicelib.errors import INVALID_RECORD, INVALID_TOKEN
from chalicelib.mail.message import Message, Sender
from chalicelib.passwords import hash_password
from chalicelib.ratelimit.quota import Quota
from chalicelib.schema.registry import USER_MODEL, Registry
from chalicelib.store.attributes import python_name
from chalicelib.store.changes import VERSION
from chalicelib.store.records import RecordStore

LOG = logging.getLogger(__name__)
Result = dict[str, Any]


class AccountApi:
    sdl = ACCOUNT_SDL

    def __init__(
        self, registry: Registry, store: RecordStore, sender: Sender, settings: AccountSettings, mail_limit: Quota
    ) -> None:
        self.store = store
        self.sender = sender
        self.settings = settings
        self.mail_limit = mail_limit
        self.user = registry.model(USER_MODEL)
        self.users: Any = store.tables.model_class(USER_MODEL)
        self.tokens = AccountTokens(self.users, getattr(self.users, python_name(self.user.fields["email"])))

    def bindables(self) -> list[Any]:
        mutation = MutationType()
        mutation.set_field("sendResetPassword", self.send_reset_password)
        mutation.set_field("resetPassword", self.reset_password)
        mutation.set_field("sendVerifyEmail", self.send_verify_email)
        mutation.set_field("verifyEmail", self.verify_email)
        return [mutation]

    def send_reset_password(self, _obj: Any, _info: GraphQLResolveInfo, email: str) -> Result:
        return self._send(email, RESET, self.settings.reset_seconds, messages.reset_password)

    def send_verify_email(self, _obj: Any, _info: GraphQLResolveInfo, email: str) -> Result:
        return self._send(email, VERIFY, self.settings.verify_seconds, messages.verify_email)

    def reset_password(self, _obj: Any, _info: GraphQLResolveInfo, token: str, password: str) -> Result:
        try:
            scalars.parse_password(password)
        except ValueError as error:
            return _invalid_password(str(error))
        stored = getattr(self.users, python_name(self.user.fields["password"]))
        # The new password and a new session epoch (every session of the user ends), in the write
        # that spends the token.
        actions: list[Action] = [
            stored.set(hash_password(password)),
            self.users.epoch_.add(1),
            Path(VERSION).add({"N": "1"}),
        ]
        if self.tokens.use(token, RESET, actions) is None:
            return _failure(INVALID_TOKEN, "This password reset token is wrong, used or expired; ask for a new one")
        return {"success": True, "errors": None}

    def verify_email(self, _obj: Any, _info: GraphQLResolveInfo, token: str) -> Result:
        actions: list[Action] = [Path(VERSION).add({"N": "1"})]
        field = verified_field(self.user)
        if field is not None:
            actions.append(getattr(self.users, python_name(field)).set(True))
        if self.tokens.use(token, VERIFY, actions) is None:
            return _failure(INVALID_TOKEN, "This verification token is wrong, used or expired; ask for a new one")
        return {"success": True, "errors": None}

    def _send(
        self, email: str, purpose: Purpose, lifetime: int, compose: Callable[[str, str, str | None, int], Message]
    ) -> Result:
        with at_least(self.settings.answer_seconds):
            try:
                address: str | None = scalars.parse_email(email)
            except ValueError:
                address = None
            # Counted for every address, registered or not, so that the calls are the same for all.
            allowed = self.mail_limit.take(address or email).admitted
            found = self.store.find_unique(self.user, self.user.fields["email"], address) if address else None
            # Over the limit, the token is written as for an unknown address, to no user: the same
            # calls again, and the token mailed last stays the one that works.
            user = found if allowed else None
            token = self.tokens.issue(user["id"] if user else None, address or email, purpose, lifetime)
            if user is not None and token is not None:
                message = compose(user["email"], token, self.settings.link_url, lifetime // 60)
                try:
                    self.sender.send(message)
                except Exception:
                    # The answer stays the same: a failure to send must not tell that the address exists.
                    LOG.exception("account email not sent", extra={"purpose": purpose.name})
        return {"success": True, "errors": None}


def _failure(code: str, message: str) -> Result:
    return {"success": False, "errors": [{"__typename": "SimpleError", "code": code, "message": message}]}


def _invalid_password(message: str) -> Result:
    error = {
        "__typename": "InvalidRecordError",
        "code": INVALID_RECORD,
        "message": f"password {message}",
        "validationErrors": [{"apiIdentifier": "password", "message": message}],
        "record": None,
        "model": {"apiIdentifier": "user"},
    }
    return {"success": False, "errors": [error]}
