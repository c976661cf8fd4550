"""Opaque, tamper-evident cursors: the position of a record in an ordered list (its sort values,
then its id), signed.

A cursor is base64url of an HMAC-SHA256 tag (truncated to `TAG_BYTES`) followed by the position
as JSON. The tag covers the position and a scope naming the list the cursor belongs to (its
model or relation field, and its order), under the stage's secret: a cursor a client edited or
made up, or one of another list or another order, is refused as not a cursor of this list,
never read from. The position is not encrypted: it holds only values the client was shown.

The secret must be the same on every instance of a stage, or a cursor handed out by one would be
refused by the next (settings.py says where it comes from).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.query.order import OrderBy

Position = list[Any]
# 128 bits: a forger gets one guess per request, so this is far past reach, and a cursor stays short.
TAG_BYTES = 16
# A shorter secret could be guessed offline from one cursor and its position.
MIN_SECRET_BYTES = 16
# Keys for other purposes may one day come from the same secret: this one is for cursors only.
_PURPOSE = b"shoreline cursors"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class Cursors:
    """Signs and checks the cursors of one stage, under its secret."""

    def __init__(self, secret: bytes | Callable[[], bytes]) -> None:
        """`secret`, or a function that reads it, called once, at the first cursor: importing the
        app (as `chalice package` does) must not reach for secrets. A secret given as it is is
        checked at once, so a bad one stops the start rather than the first list read."""
        self._load = secret if callable(secret) else None
        self._key = b"" if callable(secret) else _derive(secret)
        self._lock = threading.Lock()

    def encode(self, scope: str, position: Position) -> str:
        payload = json.dumps(position, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(self._tag(scope, payload) + payload).decode().rstrip("=")

    def decode(self, scope: str, cursor: str, length: int) -> Position:
        """The position in `cursor`, which must be signed for `scope` and hold `length` values;
        anything else is a client error."""
        raw = _unbase64(cursor)
        if raw is None or len(raw) <= TAG_BYTES:
            raise _bad(cursor)
        tag, payload = raw[:TAG_BYTES], raw[TAG_BYTES:]
        if not hmac.compare_digest(tag, self._tag(scope, payload)):
            raise _bad(cursor)
        try:
            position = json.loads(payload)
        except ValueError:
            raise _bad(cursor) from None
        if not isinstance(position, list) or len(position) != length or not isinstance(position[-1], str):
            raise _bad(cursor)
        return position

    def of_list(self, name: str, order_by: OrderBy) -> ListCursors:
        """The cursors of the list `name` (a model's, or a relation field's) in the order `order_by`."""
        return ListCursors(self, list_scope(name, order_by))

    def _tag(self, scope: str, payload: bytes) -> bytes:
        # Scopes are made of GraphQL names, which hold no NUL: the message reads back one way only.
        message = scope.encode() + b"\x00" + payload
        return hmac.new(self._secret_key(), message, hashlib.sha256).digest()[:TAG_BYTES]

    def _secret_key(self) -> bytes:
        if self._load is not None:
            with self._lock:
                if self._load is not None:
                    self._key = _derive(self._load())
                    self._load = None
        return self._key


@dataclass(frozen=True)
class ListCursors:
    """The cursors of one list: signed for it, so another list's (or another order's) are refused."""

    cursors: Cursors
    scope: str

    def encode(self, position: Position) -> str:
        return self.cursors.encode(self.scope, position)

    def decode(self, cursor: str, length: int) -> Position:
        return self.cursors.decode(self.scope, cursor, length)


def list_scope(name: str, order_by: OrderBy) -> str:
    """What a list's cursors are bound to: its name and its sort keys with their directions. Only
    what the position depends on: the pages of one list (its `first`, `skip`, a connection or a
    plain list) share their cursors."""
    keys = ",".join(f"{field.name}:{'desc' if descending else 'asc'}" for field, descending in order_by)
    return f"list:{name}:{keys}"


def _derive(secret: bytes) -> bytes:
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"a cursor secret needs at least {MIN_SECRET_BYTES} bytes")
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def _unbase64(cursor: str) -> bytes | None:
    """The bytes of `cursor`, or None unless it is exactly as `encode` writes them: Python's decoder
    would pass over stray characters and unused bits, letting several strings stand for one cursor."""
    if not _BASE64URL.fullmatch(cursor):
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if base64.urlsafe_b64encode(raw).decode().rstrip("=") == cursor else None


def _bad(cursor: str) -> ApiError:
    shown = cursor if len(cursor) <= 64 else cursor[:64] + "..."
    return ApiError(INVALID_INPUT, f"{shown!r} is not a cursor of this list")
