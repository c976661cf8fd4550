"""Password hashing with Argon2id; by default argon2-cffi's parameters (RFC 9106's second
recommendation), configurable per stage (`ARGON2_TIME_COST`, `ARGON2_MEMORY_KIB`, `ARGON2_PARALLELISM`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class Cost:
    """Argon2id's parameters; hashes made with others are rehashed at the next login."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4


_hasher = PasswordHasher()


def configure(cost: Cost) -> None:
    global _hasher
    _hasher = PasswordHasher(time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism)
    _dummy.cache_clear()


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
