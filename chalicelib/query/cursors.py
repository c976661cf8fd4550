"""Opaque cursors: the position of a record in an ordered list (its sort values, then its id)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.errors import INVALID_INPUT, ApiError

Position = list[Any]


def encode(position: Position) -> str:
    text = json.dumps(position, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str, length: int) -> Position:
    """The position in `cursor`, which must hold `length` values; anything else is a client error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, UnicodeError, ValueError):
        raise _bad(cursor) from None
    if not isinstance(position, list) or len(position) != length or not isinstance(position[-1], str):
        raise _bad(cursor)
    return position


def _bad(cursor: str) -> ApiError:
    shown = cursor if len(cursor) <= 64 else cursor[:64] + "..."
    return ApiError(INVALID_INPUT, f"{shown!r} is not a cursor of this list")
