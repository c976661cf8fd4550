"""Session tokens: `<session id>.<secret>`, the secret 256 random bits, stored only as a hash.

The id half lets a token find its session with one strongly consistent read; the secret half is
compared to the stored hash in constant time. A stolen table holds no usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token(session_id: str, secret: str) -> str:
    return f"{session_id}.{secret}"


def parse(presented: str) -> tuple[str, str] | None:
    session_id, dot, secret = presented.strip().partition(".")
    if not dot or not session_id or len(secret) < SECRET_BYTES:
        return None
    return session_id, secret


def matches(secret: str, stored_digest: str | None) -> bool:
    return stored_digest is not None and hmac.compare_digest(digest(secret), stored_digest)
