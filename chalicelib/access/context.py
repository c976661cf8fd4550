"""The request context: the caller's role, derived once from the `Authorization` header."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.access.api_keys import ApiKeys
from chalicelib.access.roles import SYSTEM_ADMIN, UNAUTHENTICATED
from chalicelib.errors import PERMISSION_DENIED, ApiError

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

    from chalicelib.files.service import Files
    from chalicelib.hooks.installed import Installed
    from chalicelib.query.loader import Loader


@dataclass
class RequestContext:
    roles: frozenset[str]
    # The caller's session (its record) and signed-in user, when it presents a valid session token.
    session: dict[str, Any] | None = None
    user_id: str | None = None
    # Headers the response must carry, e.g. a rotated session token.
    response_headers: dict[str, str] = field(default_factory=dict)
    # The request's batch loader (see `loader`), set once the request is authenticated.
    _loader: Loader | None = None
    # When the request must have answered (a time.monotonic() value), if it has a limit.
    deadline: float | None = None
    # The variables as the client sent them: their key order is the client's, unlike coerced input.
    variables: dict[str, Any] = field(default_factory=dict)
    # The team's hooks (chalicelib/hooks), which the writes of this request run; None: no hooks.
    hooks: Installed | None = None
    # The stage's file fields' bucket (chalicelib/files); None: the schema has no File field.
    files: Files | None = None
    # For a context that writes with rights its caller lacks (signUp creates the user as
    # system-admin): the caller's own context, which is who the team's hooks are told calls.
    acting_for: RequestContext | None = None

    @property
    def is_admin(self) -> bool:
        return SYSTEM_ADMIN in self.roles

    @property
    def caller(self) -> RequestContext:
        """Whose request this is: the context itself, or the one it acts for."""
        return self.acting_for or self

    @property
    def loader(self) -> Loader:
        """The request's batch loader; asking before it is set is a mistake in the code, and raises."""
        if self._loader is None:
            raise RuntimeError("the request context has no loader: it is set once the request is authenticated")
        return self._loader

    @loader.setter
    def loader(self, loader: Loader) -> None:
        self._loader = loader


def request(info: GraphQLResolveInfo) -> RequestContext:
    """The context of the request a resolver answers (graphql-core types it as `Any`)."""
    context: RequestContext = info.context
    return context


def authenticate(headers: Mapping[str, str], api_keys: ApiKeys) -> tuple[RequestContext, str | None]:
    """The caller's context, and the session token it presents (checked by the session store).

    Raise for an API key that is present but wrong: a bad key is refused, never downgraded. A
    session token that is wrong or expired is no session at all: the caller is unauthenticated.
    """
    header = _header(headers, "authorization")
    if header is None or not header.strip():
        return RequestContext(roles=frozenset({UNAUTHENTICATED})), None
    scheme, _, credential = header.strip().partition(" ")
    scheme = scheme.lower()
    credential = credential.strip()
    if scheme == "bearer":
        if credential and api_keys.matches(credential):
            return RequestContext(roles=frozenset({SYSTEM_ADMIN})), None
        raise ApiError(PERMISSION_DENIED, "Invalid API key")
    if scheme == "session":
        return RequestContext(roles=frozenset({UNAUTHENTICATED})), credential
    raise ApiError(PERMISSION_DENIED, "Unsupported Authorization scheme; use `Bearer <api key>` or `Session <token>`")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
