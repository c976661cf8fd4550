"""Global ids: opaque strings that encode the model, so `node(id:)` knows where to look."""

from __future__ import annotations

import base64
import binascii
import re
import uuid

from chalicelib.errors import INVALID_INPUT, ApiError

_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
_RANDOM = re.compile(r"^[0-9a-f]{32}$")


def new_id(model: str) -> str:
    return _encode(f"{model}:{uuid.uuid4().hex}")


def model_of(global_id: str) -> str:
    """The model name encoded in `global_id`; a malformed id is a client error."""
    try:
        decoded = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid(global_id) from None
    model, _, random = decoded.partition(":")
    if not _NAME.match(model) or not _RANDOM.match(random) or _encode(decoded) != global_id:
        raise _invalid(global_id)
    return model


def is_id_of(value: str, model: str) -> bool:
    """Whether `value` is a well-formed id of `model`: a malformed one is no id of anything."""
    try:
        return model_of(value) == model
    except ApiError:
        return False


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def _invalid(global_id: str) -> ApiError:
    shown = global_id if len(global_id) <= 64 else global_id[:64] + "..."
    return ApiError(INVALID_INPUT, f"{shown!r} is not a valid id")
