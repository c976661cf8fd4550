"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`. With no stored hash (an unknown email, a user without a
    password) a dummy hash is verified instead, so that the answer takes the same time."""
    try:
        return _hasher.verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was hashed with other parameters than today's."""
    return _hasher.check_needs_rehash(stored)


@cache
def _dummy() -> str:
    return _hasher.hash("a password nobody has")
