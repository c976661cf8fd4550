"""Sessions in DynamoDB: the Session model's table, plus each session's token hash and expiry.

Expiry is checked here, on every use: a session ends `idle` seconds after it was last used and
`max_age` seconds after it was created or last logged in to. DynamoDB's TTL attribute only
removes ended sessions from the table later.

A logged-in session also ends when its user no longer has it: the user is deleted, or the user's
session epoch has moved past the one the session logged in at (a password change, an admin ending
every session of the user). The roles in force are the user's roles as they are now, read with the
session, so a role taken away is gone from the next request on.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from chalicelib.access.roles import SIGNED_IN, UNAUTHENTICATED
from chalicelib.api import ids
from chalicelib.api.scalars import now
from chalicelib.schema.registry import SESSION_MODEL, USER_MODEL, Model, Registry
from chalicelib.sessions import tokens
from chalicelib.store import batch
from chalicelib.store.attributes import python_name
from chalicelib.store.changes import VERSION
from chalicelib.store.records import Record, RecordStore, to_item, to_record
from chalicelib.store.sizes import check_item

# A session's last use is written at most this often, not on every request.
TOUCH_SECONDS = 300
LOGGED_IN = {"created": "loggedIn"}
LOGGED_OUT = {"created": "loggedOut"}


# Where a session record says which epoch of its user it logged in at (see `user_attributes`).
EPOCH = "_epoch"


@dataclass(frozen=True)
class Account:
    """A user as read for logging in: the record, and its session epoch read with it. A session
    logs in at that epoch, so a password change or `end_all` after the read ends it too."""

    user: Record
    epoch: int


class SessionEnded(Exception):
    """The session was deleted by another request while this one used it."""


@dataclass(frozen=True)
class Lifetime:
    idle: int
    max_age: int


class SessionStore:
    def __init__(self, registry: Registry, records: RecordStore, lifetime: Lifetime) -> None:
        self.records = records
        tables = records.tables
        self.model: Model = registry.model(SESSION_MODEL)
        self.cls = tables.model_class(SESSION_MODEL)
        self.users = tables.model_class(USER_MODEL)
        self.user_model = registry.model(USER_MODEL)
        self.lifetime = lifetime

    def get(self, session_id: str) -> Record | None:
        if not ids.is_id_of(session_id, SESSION_MODEL):
            return None
        try:
            return to_record(self.model, self.cls.get(session_id, consistent_read=True))
        except self.cls.DoesNotExist:
            return None

    def create(self, fields: dict[str, Any], account: Account | None = None) -> tuple[Record, str]:
        """A new session (logged in to `account` when given); returns it and its token."""
        stamp = now()
        record: Record = {
            "id": ids.new_id(self.model.name),
            **{f.name: stamp for f in self.model.scalars() if f.timestamp is not None},
            **fields,
        }
        secret = tokens.new_secret()
        epoch = self._log(record, account)
        item = to_item(self.cls, self.model, {**record, VERSION: 1})
        moment = int(time.time())
        self._stamp(item, secret, moment, epoch)
        # The cart comes from the client: a session past DynamoDB's item limit is its input's fault.
        check_item(self.model.name, item.serialize())
        item.save(condition=Path("id").does_not_exist())
        return record, tokens.token(record["id"], record.get("user"), secret)

    def authenticate(self, presented: str) -> Record | None:
        """The session of a token, if the token is right and the session has not ended."""
        parsed = tokens.parse(presented)
        if parsed is None or not ids.is_id_of(parsed.session_id, SESSION_MODEL):
            return None
        if parsed.user_id is not None and not ids.is_id_of(parsed.user_id, USER_MODEL):
            return None
        return self._standing(parsed.session_id, parsed.user_id, lambda stored: tokens.matches(parsed.secret, stored))

    def resume(self, session_id: str, user_id: str | None, secret_digest: str) -> Record | None:
        """The session a token authenticated before, by its ids and its secret's digest, if it still
        stands: for a subscriber, whose token is not kept, checked again as each change arrives.
        Not noted as a use of the session."""
        if not ids.is_id_of(session_id, SESSION_MODEL):
            return None
        return self._standing(
            session_id, user_id, lambda stored: stored is not None and hmac.compare_digest(stored, secret_digest), False
        )

    def _standing(
        self, session_id: str, user_id: str | None, secret_ok: Callable[[str | None], bool], touch: bool = True
    ) -> Record | None:
        item, user = self._read(session_id, user_id)
        if item is None:
            return None
        values = item.attribute_values
        moment = int(time.time())
        if not secret_ok(values.get("secret_")):
            return None
        if moment >= int(values.get("expires_") or 0) or moment >= int(values.get("seen_") or 0) + self.lifetime.idle:
            return None
        record = to_record(self.model, item)
        record[EPOCH] = int(values.get("epoch_") or 0)
        if record.get("user") != user_id:
            return None
        if user_id is not None:
            if user is None or _epoch(user) != int(values.get("epoch_") or 0):
                return None
            record["roles"] = signed_in_roles(getattr(user, python_name(self.user_model.fields["roles"])))
        if touch and moment - int(values.get("seen_") or 0) > TOUCH_SECONDS:
            self._touch(item, moment)
        return record

    def _touch(self, item: Any, moment: int) -> None:
        """Note the session's use. Only if it still exists: an update of a session deleted meanwhile
        would make a fragment of one."""
        try:
            item.update(
                actions=[self.cls.seen_.set(moment), self.cls.ttl_.set(self._ttl(item, moment))],  # type: ignore[attr-defined]
                condition=Path("id").exists(),
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    def rotate(self, record: Record, account: Account | None) -> tuple[Record, str]:
        """Log `record` in (to `account`) or out (None) under a new token; the old token stops working.

        Only what logging in or out changes is written (and the version raised): a concurrent change
        of the session's other fields (its cart) is not overwritten.
        """
        secret = tokens.new_secret()
        record = dict(record)
        epoch = self._log(record, account)
        stamp = now()
        for field in self.model.scalars():
            if field.timestamp is not None and field.timestamp.on_update:
                record[field.name] = stamp
        changed = [
            "user",
            "state",
            "roles",
            *(f.name for f in self.model.scalars() if f.timestamp and f.timestamp.on_update),
        ]
        item = to_item(self.cls, self.model, record)
        moment = int(time.time())
        self._stamp(item, secret, moment, epoch)
        actions: list[Action] = [Path(VERSION).add({"N": "1"})]
        for name in changed:
            path = getattr(self.cls, python_name(self.model.fields[name]))
            value = record.get(name)
            actions.append(
                path.remove() if value is None else path.set(getattr(item, python_name(self.model.fields[name])))
            )
        for name in ("secret_", "expires_", "seen_", "ttl_", "epoch_"):
            actions.append(getattr(self.cls, name).set(getattr(item, name)))
        try:
            self.cls(record["id"]).update(actions=actions, condition=Path("id").exists())
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise SessionEnded() from error
            raise
        record[VERSION] = (record.get(VERSION) or 0) + 1
        return record, tokens.token(record["id"], record.get("user"), secret)

    def delete(self, session_id: str) -> None:
        self.cls(session_id).delete()

    def end_all(self, user_id: str) -> int | None:
        """End every session of `user_id` (those logged in before now): its new session epoch, or
        None if there is no such user."""
        user = self.users(user_id)
        try:
            user.update(
                actions=[self.users.epoch_.add(1), Path(VERSION).add({"N": "1"})],  # type: ignore[attr-defined]
                condition=Path("id").exists(),
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return _epoch(user)

    def account(self, user_id: str) -> Account | None:
        """The user and its session epoch, in one consistent read; None if there is no such user."""
        item = self._user(user_id)
        return None if item is None else Account(to_record(self.user_model, item), _epoch(item))

    def _read(self, session_id: str, user_id: str | None) -> tuple[Any, Any]:
        """The session's item and, for a logged-in token, its user's, in one consistent read."""
        if user_id is None:
            try:
                return self.cls.get(session_id, consistent_read=True), None
            except self.cls.DoesNotExist:
                return None, None
        sessions, users = self.cls.Meta.table_name, self.users.Meta.table_name
        keys = {sessions: {"id": {"S": session_id}}, users: {"id": {"S": user_id}}}
        found = batch.batch_get_tables(self.records.client, keys, self.records.backoff)
        session = self.cls.from_raw_data(found[sessions]) if sessions in found else None
        user = self.users.from_raw_data(found[users]) if users in found else None
        return session, user

    def _user(self, user_id: str) -> Any:
        try:
            return self.users.get(user_id, consistent_read=True)
        except self.users.DoesNotExist:
            return None

    def _log(self, record: Record, account: Account | None) -> int:
        """Set the session's login fields for `account` (None: logged out); returns the epoch logged in at."""
        record["user"] = account.user["id"] if account is not None else None
        record["state"] = LOGGED_IN if account is not None else LOGGED_OUT
        record["roles"] = signed_in_roles(account.user.get("roles")) if account is not None else [UNAUTHENTICATED]
        record[EPOCH] = account.epoch if account is not None else 0
        return record[EPOCH]

    def _stamp(self, item: Any, secret: str, started: int, epoch: int) -> None:
        item.secret_ = tokens.digest(secret)
        item.expires_ = started + self.lifetime.max_age
        item.seen_ = started
        item.ttl_ = self._ttl(item, started)
        item.epoch_ = epoch

    def _ttl(self, item: Any, seen: int) -> int:
        return min(int(item.expires_ or 0), seen + self.lifetime.idle)


def signed_in_roles(roles: Any) -> list[str]:
    return [SIGNED_IN, *(r for r in roles or () if r != SIGNED_IN)]


def _epoch(user: Any) -> int:
    return int(user.epoch_ or 0)
