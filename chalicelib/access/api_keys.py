"""API keys: `Authorization: Bearer <key>` grants `system-admin`.

Only SHA-256 digests of keys are held, and a presented key is compared against every digest in
constant time, so neither the code nor its memory reveals a usable key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Iterable

from chalicelib.parameters import read_parameter


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def generate_key() -> str:
    return "shk_" + secrets.token_urlsafe(32)


class ApiKeys:
    def __init__(self, digests: Iterable[bytes] | Callable[[], Iterable[bytes]]) -> None:
        """`digests`, or a function that reads them, called once, at the first key presented:
        importing the app (as `chalice package` does) must not reach for secrets."""
        self._load = digests if callable(digests) else None
        self._loaded: tuple[bytes, ...] = () if callable(digests) else tuple(digests)
        self._lock = threading.Lock()

    @property
    def _digests(self) -> tuple[bytes, ...]:
        if self._load is not None:
            with self._lock:
                if self._load is not None:
                    self._loaded = tuple(self._load())
                    self._load = None
        return self._loaded

    @classmethod
    def from_plain(cls, keys: Iterable[str]) -> ApiKeys:
        return cls(digest(key) for key in keys if key)

    def digests(self) -> tuple[bytes, ...]:
        return self._digests

    def __bool__(self) -> bool:
        return bool(self._digests)

    def matches(self, key: str) -> bool:
        presented = digest(key)
        found = False
        for stored in self._digests:
            found |= hmac.compare_digest(presented, stored)
        return found


def from_parameter(name: str, region: str) -> ApiKeys:
    """The digests kept (comma-separated, hex) in an SSM parameter: deployed stages keep keys there."""

    def load() -> list[bytes]:
        value = read_parameter(name, region)
        return [bytes.fromhex(h.strip()) for h in value.split(",") if h.strip()]

    return ApiKeys(load)
