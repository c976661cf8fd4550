"""Who a subscriber is: what its `Authorization` proved at connection time, kept without the
credential itself (an API key's digest; a session's ids and its secret's digest), and checked
again as changes arrive, so that a session that ends, a user whose roles change, or a key that is
withdrawn stops receiving what it may no longer read."""

from __future__ import annotations

import hashlib
from functools import partial
from typing import TYPE_CHECKING, Any

from chalicelib.access.context import RequestContext, authenticate
from chalicelib.access.permissions import readable
from chalicelib.access.roles import SYSTEM_ADMIN, UNAUTHENTICATED
from chalicelib.query.loader import Loader
from chalicelib.sessions import tokens

if TYPE_CHECKING:
    from chalicelib.service import Service

Identity = dict[str, Any]
ANONYMOUS: Identity = {"kind": "none"}


def identify(service: Service, authorization: str | None) -> tuple[RequestContext, Identity]:
    """The context of a credential, as the HTTP route derives it, and what to keep of it. Raises
    ApiError for a wrong API key or scheme; a session token that does not stand is no session."""
    headers = {"Authorization": authorization} if authorization else {}
    context, token = authenticate(headers, service.settings.api_keys)
    if context.is_admin:
        key = (authorization or "").strip().partition(" ")[2].strip()
        return context, {"kind": "key", "digest": hashlib.sha256(key.encode("utf-8")).hexdigest()}
    if token is None or service.sessions is None:
        return context, ANONYMOUS
    session = service.sessions.authenticate(token)
    parsed = tokens.parse(token)
    if session is None or parsed is None:
        return context, ANONYMOUS
    _enter(context, session)
    return context, {
        "kind": "session",
        "session": parsed.session_id,
        "user": parsed.user_id,
        "secret": tokens.digest(parsed.secret),
    }


def context_of(service: Service, identity: Identity) -> RequestContext | None:
    """The subscriber's context now; None when its credential no longer stands."""
    kind = identity.get("kind")
    if kind == "none":
        return RequestContext(roles=frozenset({UNAUTHENTICATED}))
    if kind == "key":
        if bytes.fromhex(identity["digest"]) not in service.settings.api_keys.digests():
            return None
        return RequestContext(roles=frozenset({SYSTEM_ADMIN}))
    if kind == "session" and service.sessions is not None:
        session = service.sessions.resume(identity["session"], identity.get("user"), identity["secret"])
        if session is None:
            return None
        context = RequestContext(roles=frozenset({UNAUTHENTICATED}))
        _enter(context, session)
        return context
    return None


def with_loader(service: Service, context: RequestContext) -> RequestContext:
    """`context` with a loader that has read nothing yet, reading with the subscriber's rights."""
    context.loader = Loader(
        service.registry, service.store, partial(readable, context), service.settings.page_cap, service.cursors
    )
    return context


def _enter(context: RequestContext, session: dict[str, Any]) -> None:
    context.session = session
    context.user_id = session.get("user")
    context.roles = frozenset(session.get("roles") or ())
