"""Who a request counts against: its session, its API key, or, when it has neither, its address.

A caller's key names no secret: an API key is known by a hash of it, so that neither the
limiter's memory nor its table holds a usable credential.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from chalicelib.access.context import RequestContext


def caller_key(context: RequestContext, headers: Mapping[str, str], address: str | None) -> str | None:
    """The caller's key, or None when the request names no one to count it against (an
    anonymous request whose address the transport does not know)."""
    if context.is_admin:
        credential = _bearer(headers)
        if credential is not None:
            return "key:" + hashlib.sha256(credential.encode()).hexdigest()
    if context.session is not None:
        return "session:" + str(context.session["id"])
    return "address:" + address if address else None


def _bearer(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme, _, credential = value.strip().partition(" ")
            return credential.strip() if scheme.lower() == "bearer" else None
    return None
