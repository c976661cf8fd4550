"""Custom scalars. Values are validated on the way in and normalised so stored strings order correctly:
DateTime and Time in UTC with millisecond precision, Date as YYYY-MM-DD."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

from ariadne import ScalarType

T = TypeVar("T", dt.datetime, dt.time)
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
MAX_EMAIL = 254
MIN_PASSWORD = 8
# Argon2 hashes any length, but an unbounded input is an unbounded CPU cost per request.
MAX_PASSWORD = 256
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def _string(value: Any, kind: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{kind} must be a string")
    return value


def _zoned(value: Any, kind: str, parse: Callable[[str], T], shape: str) -> T:
    """Parse an ISO-8601 value that must carry a time zone (`Z` or an offset)."""
    text = _string(value, kind)
    try:
        parsed = parse(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not {shape}") from None
    if getattr(parsed, "tzinfo", None) is None:
        raise ValueError(f"{text!r} has no time zone; add Z or an offset")
    return parsed


def parse_datetime(value: Any) -> str:
    return format_datetime(_zoned(value, "DateTime", dt.datetime.fromisoformat, "an ISO-8601 date-time"))


def format_datetime(moment: dt.datetime) -> str:
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def now() -> str:
    return format_datetime(dt.datetime.now(dt.UTC))


def parse_date(value: Any) -> str:
    text = _string(value, "Date")
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_time(value: Any) -> str:
    parsed = _zoned(value, "Time", dt.time.fromisoformat, "a time (HH:MM:SS with Z or an offset)")
    moment = dt.datetime.combine(dt.date(2000, 1, 1), parsed).astimezone(dt.UTC)
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_email(value: Any) -> str:
    """An email address in its canonical form, lower case, so that one address is one account
    everywhere it is compared (sign-up, login, `@unique`, `match`, lookups, the login throttle).
    Surrounding white space is refused, not trimmed: the whole value must be the address."""
    text = _string(value, "Email")
    # Lower case first: lowering can lengthen a string ("İ"), and the canonical form is what is kept.
    canonical = text.lower()
    if len(canonical) > MAX_EMAIL or not _EMAIL.fullmatch(canonical):
        raise ValueError(f"{text!r} is not an email address")
    return canonical


def parse_password(value: Any) -> str:
    text = _string(value, "Password")
    if not MIN_PASSWORD <= len(text) <= MAX_PASSWORD:
        raise ValueError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return text


def _typed(kind: type | tuple[type, ...], name: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            raise ValueError(f"{value!r} is not a valid {name}")
        return value

    return check


def _int(value: Any) -> int:
    """GraphQL's Int: 32-bit signed, as its own coercion insists."""
    number: int = _typed(int, "Int")(value)
    if not INT_MIN <= number <= INT_MAX:
        raise ValueError(f"{number} is not a 32-bit Int")
    return number


def _float(value: Any) -> float:
    """GraphQL's Float: a finite double."""
    number: float = _typed((int, float), "Float")(value)
    try:
        finite = math.isfinite(number)
    except OverflowError:  # an int too large for a double
        finite = False
    if not finite:
        raise ValueError(f"{number!r} is not a finite Float")
    return number


# Checks for values that arrive as raw JSON (importData), not through GraphQL's own coercion.
PARSERS: dict[str, Callable[[Any], Any]] = {
    "DateTime": parse_datetime,
    "Date": parse_date,
    "Time": parse_time,
    "Email": parse_email,
    "Password": parse_password,
    "ID": _typed(str, "ID"),
    "String": _typed(str, "String"),
    "Int": _int,
    "Float": _float,
    "Boolean": _typed(bool, "Boolean"),
}


def _hidden(_value: Any) -> None:
    raise ValueError("passwords are write-only")


def _identity(value: Any) -> Any:
    return value


SCALARS = [
    ScalarType("DateTime", serializer=_identity, value_parser=parse_datetime),
    ScalarType("Date", serializer=_identity, value_parser=parse_date),
    ScalarType("Time", serializer=_identity, value_parser=parse_time),
    ScalarType("Email", serializer=_identity, value_parser=parse_email),
    ScalarType("Password", serializer=_hidden, value_parser=parse_password),
    ScalarType("JSON", serializer=_identity, value_parser=_identity),
    ScalarType("RecordState", serializer=_identity, value_parser=_identity),
]
