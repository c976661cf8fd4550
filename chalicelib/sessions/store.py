"""Sessions in DynamoDB: the Session model's table, plus each session's token hash and expiry.

Expiry is checked here, on every use: a session ends `idle` seconds after it was last used and
`max_age` seconds after it was created or last logged in to. DynamoDB's TTL attribute only
removes ended sessions from the table later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chalicelib.access.roles import SIGNED_IN, UNAUTHENTICATED
from chalicelib.api import ids
from chalicelib.api.scalars import now
from chalicelib.errors import ApiError
from chalicelib.schema.registry import SESSION_MODEL, Model, Registry
from chalicelib.sessions import tokens
from chalicelib.store.records import Record, to_item, to_record
from chalicelib.store.sizes import check_item
from chalicelib.store.tables import Tables

# A session's last use is written at most this often, not on every request.
TOUCH_SECONDS = 300
LOGGED_IN = {"created": "loggedIn"}
LOGGED_OUT = {"created": "loggedOut"}


@dataclass(frozen=True)
class Lifetime:
    idle: int
    max_age: int


class SessionStore:
    def __init__(self, registry: Registry, tables: Tables, lifetime: Lifetime) -> None:
        self.model: Model = registry.model(SESSION_MODEL)
        self.cls = tables.model_class(SESSION_MODEL)
        self.lifetime = lifetime

    def get(self, session_id: str) -> Record | None:
        try:
            if ids.model_of(session_id) != self.model.name:
                return None
        except ApiError:  # a malformed id finds no session
            return None
        try:
            return to_record(self.model, self.cls.get(session_id, consistent_read=True))
        except self.cls.DoesNotExist:
            return None

    def create(
        self, fields: dict[str, Any], user_id: str | None = None, roles: list[str] | None = None
    ) -> tuple[Record, str]:
        """A new session (logged in when `user_id` is given); returns it and its token."""
        stamp = now()
        record: Record = {
            "id": ids.new_id(self.model.name),
            **{f.name: stamp for f in self.model.scalars() if f.timestamp is not None},
            **fields,
        }
        secret = tokens.new_secret()
        self._log(record, user_id, roles)
        item = to_item(self.cls, self.model, {**record, "_v": 1})
        moment = int(time.time())
        self._stamp(item, secret, moment, moment)
        # The cart comes from the client: a session past DynamoDB's item limit is its input's fault.
        check_item(self.model.name, item.serialize())
        item.save()
        return record, tokens.token(record["id"], secret)

    def authenticate(self, presented: str) -> Record | None:
        """The session of a token, if the token is right and the session has not ended."""
        parsed = tokens.parse(presented)
        if parsed is None:
            return None
        session_id, secret = parsed
        try:
            item = self.cls.get(session_id, consistent_read=True)
        except (self.cls.DoesNotExist, ValueError):
            return None
        values = item.attribute_values
        moment = int(time.time())
        if not tokens.matches(secret, values.get("secret_")):
            return None
        if moment >= int(values.get("expires_") or 0) or moment >= int(values.get("seen_") or 0) + self.lifetime.idle:
            return None
        if moment - int(values.get("seen_") or 0) > TOUCH_SECONDS:
            item.update(actions=[self.cls.seen_.set(moment), self.cls.ttl_.set(self._ttl(item, moment))])  # type: ignore[attr-defined]
        return to_record(self.model, item)

    def rotate(self, record: Record, user_id: str | None, roles: list[str] | None) -> tuple[Record, str]:
        """Log `record` in (`user_id`) or out (None) under a new token; the old token stops working."""
        secret = tokens.new_secret()
        record = dict(record)
        self._log(record, user_id, roles)
        stamp = now()
        for field in self.model.scalars():
            if field.timestamp is not None and field.timestamp.on_update:
                record[field.name] = stamp
        item = to_item(self.cls, self.model, {**record, "_v": (record.get("_v") or 0) + 1})
        moment = int(time.time())
        self._stamp(item, secret, moment, moment)
        item.save()
        return record, tokens.token(record["id"], secret)

    def delete(self, session_id: str) -> None:
        self.cls(session_id).delete()

    def _log(self, record: Record, user_id: str | None, roles: list[str] | None) -> None:
        record["user"] = user_id
        record["state"] = LOGGED_IN if user_id else LOGGED_OUT
        record["roles"] = [SIGNED_IN, *(r for r in roles or () if r != SIGNED_IN)] if user_id else [UNAUTHENTICATED]

    def _stamp(self, item: Any, secret: str, started: int, seen: int) -> None:
        item.secret_ = tokens.digest(secret)
        item.expires_ = started + self.lifetime.max_age
        item.seen_ = seen
        item.ttl_ = self._ttl(item, seen)

    def _ttl(self, item: Any, seen: int) -> int:
        return min(int(item.expires_ or 0), seen + self.lifetime.idle)
