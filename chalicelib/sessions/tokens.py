"""Session tokens: `<session id>.<secret>`, or `<session id>.<user id>.<secret>` once logged in;
the secret is 256 random bits, stored only as a hash.

The ids let a token find its session and its user with one strongly consistent read (the user
decides the roles in force and whether the session still stands); the secret is compared to the
stored hash in constant time. A stolen table holds no usable token, and a token whose user id is
not the session's is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Token:
    session_id: str
    user_id: str | None
    secret: str


def token(session_id: str, user_id: str | None, secret: str) -> str:
    return ".".join(part for part in (session_id, user_id, secret) if part)


def parse(presented: str) -> Token | None:
    parts = presented.strip().split(".")
    if len(parts) not in (2, 3) or not all(parts) or len(parts[-1]) < SECRET_BYTES:
        return None
    return Token(parts[0], parts[1] if len(parts) == 3 else None, parts[-1])


def matches(secret: str, stored_digest: str | None) -> bool:
    return stored_digest is not None and hmac.compare_digest(digest(secret), stored_digest)
