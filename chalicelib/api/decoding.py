"""JSON from a request (a POST body, GET's `variables`), decoded within a nesting limit.

Python's json module recurses once per level of nesting and, about a thousand levels down, raises
RecursionError rather than ValueError. Nothing the API takes needs more than a few dozen levels,
so the depth is measured on the text first, without recursion, and anything nested deeper than
`MAX_JSON_DEPTH` is refused like any other malformed JSON. So are `NaN` and infinities, which
Python accepts but JSON does not: stored, they could never be sent back as JSON.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

MAX_JSON_DEPTH = 64

# A string, unrolled so that matching is linear in its length; the closing quote is optional so
# that an unterminated string is one match to the end, not a fresh attempt at every quote in it.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class BadJson(Exception):
    """The text cannot be taken as JSON; `reason` says why, to complete "The request body ..."."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def loads(data: str | bytes) -> Any:
    """The JSON value of `data` (bytes in any encoding JSON allows), or BadJson."""
    try:
        text = data.decode(json.detect_encoding(data), "surrogatepass") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise BadJson("is not valid JSON") from None
    depth = nesting(text)
    if depth > MAX_JSON_DEPTH:
        raise BadJson(f"is nested {depth} levels deep; the limit is {MAX_JSON_DEPTH}")
    try:
        value = json.loads(text, parse_constant=_refuse, parse_float=_finite)
    except ValueError:
        raise BadJson("is not valid JSON") from None
    try:
        # A lone surrogate ("\ud800") is valid JSON but no Unicode text: nothing could store it.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadJson("holds a string that is not Unicode text (a lone surrogate)") from None
    return value


def nesting(text: str) -> int:
    """How deep the arrays and objects of JSON `text` nest (`[[1]]` is 2); exact for valid JSON."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(1 if bracket in "[{" else -1 for bracket in brackets), default=0)


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large for a double")
    return number
