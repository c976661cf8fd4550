"""API keys: `Authorization: Bearer <key>` grants `system-admin`.

Only SHA-256 digests of keys are held, and a presented key is compared against every digest in
constant time, so neither the code nor its memory reveals a usable key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def generate_key() -> str:
    return "shk_" + secrets.token_urlsafe(32)


class ApiKeys:
    def __init__(self, digests: Iterable[bytes]) -> None:
        self._digests = tuple(digests)

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
