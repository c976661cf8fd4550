"""Single-use, expiring tokens of a user's account (password reset, email verification), kept on
the user's own item as a SHA-256 hash and an expiry (see `user_attributes`).

A token is `<user id>.<secret>` (256 random bits). Using one is one conditional UpdateItem of the
user: the hash must be the one stored and the expiry in the future (checked by DynamoDB at the
write, not by TTL), and the write that does what the token is for also removes it. So a token
works once, however many requests race with it, and a newer token of the same purpose replaces
an older one. A stolen table holds no usable token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from chalicelib.api import ids
from chalicelib.schema.registry import USER_MODEL
from chalicelib.sessions import tokens


@dataclass(frozen=True)
class Purpose:
    name: str
    # The user item's attributes (python names in `user_attributes`) holding the hash and expiry.
    digest: str
    expires: str


RESET = Purpose("reset", "reset_", "reset_expires_")
VERIFY = Purpose("verify", "verify_", "verify_expires_")
# Every token's attributes: a change of the user's email removes them (accounts/addresses.py).
TOKEN_ATTRIBUTES = frozenset(name for p in (RESET, VERIFY) for name in (p.digest, p.expires))


class AccountTokens:
    def __init__(self, users: Any, email: Any) -> None:
        self.users = users
        # The users' email attribute: a token is stored only while the user has the address it goes to.
        self.email = email

    def issue(self, user_id: str | None, address: str, purpose: Purpose, lifetime: int) -> str | None:
        """A new token of `purpose` for `user_id`, replacing any earlier one, if the user's email is
        still `address`: the token, or None. With no user (an unknown email, or one that may not be
        mailed now) the same write is made to an id no user has, and fails its condition: the
        answer costs the same either way."""
        target = user_id or ids.new_id(USER_MODEL)
        secret = tokens.new_secret()
        actions = [
            getattr(self.users, purpose.digest).set(tokens.digest(secret)),
            getattr(self.users, purpose.expires).set(int(time.time()) + lifetime),
        ]
        try:
            self.users(target).update(actions=actions, condition=Path("id").exists() & (self.email == address))
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return None
        return f"{target}.{secret}"

    def use(self, presented: str, purpose: Purpose, actions: list[Action]) -> Any:
        """Carry out `actions` on the token's user and spend the token, in one write: the user's
        item after it, or None when the token is wrong, spent or expired."""
        user_id, _, secret = presented.strip().rpartition(".")
        if not ids.is_id_of(user_id, USER_MODEL) or len(secret) < tokens.SECRET_BYTES:
            return None
        digest, expires = getattr(self.users, purpose.digest), getattr(self.users, purpose.expires)
        item = self.users(user_id)
        try:
            item.update(
                actions=[*actions, digest.remove(), expires.remove()],
                condition=(digest == tokens.digest(secret)) & (expires > int(time.time())),
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return item
