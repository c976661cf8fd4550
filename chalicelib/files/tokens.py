"""Upload tokens: what `createFileUpload` hands out and a write's `directUploadToken` names.

A token is signed under the stage's secret (the one its cursors are signed with, for a scope of
its own: `upload:<Model>.<field>`, so no cursor is a token and no token of one field serves
another) and holds when it stops working, the caller it was handed to and the upload's name.
It is spent by the write that attaches it (chalicelib/api/writes.py), once.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from chalicelib.access.context import RequestContext
from chalicelib.access.roles import SYSTEM_ADMIN
from chalicelib.errors import INVALID_TOKEN, PERMISSION_DENIED, ApiError
from chalicelib.query.cursors import Cursors
from chalicelib.schema.registry import Field, Model


@dataclass(frozen=True)
class Upload:
    """A token's content: its upload's name (the object's key is layout.upload_key of it)."""

    name: str
    expires: int


def caller_of(context: RequestContext) -> str | None:
    """Who a token is handed to: the signed-in user, else the session, else an API key (all API
    keys are system-admin); None for a caller with none of these, who gets no token."""
    if context.user_id is not None:
        return f"user:{context.user_id}"
    if context.session is not None:
        return f"session:{context.session['id']}"
    return SYSTEM_ADMIN if context.is_admin else None


class UploadTokens:
    def __init__(self, cursors: Cursors, lifetime: int) -> None:
        self.cursors = cursors
        self.lifetime = lifetime

    def mint(self, caller: str, model: Model, field: Field) -> tuple[str, Upload]:
        upload = Upload(secrets.token_urlsafe(24), int(time.time()) + self.lifetime)
        return self.cursors.encode(_scope(model, field), [upload.expires, caller, upload.name]), upload

    def check(self, token: str, context: RequestContext, model: Model, field: Field) -> Upload:
        """The upload `token` names, if it is a token of `model.field` handed to this caller and
        still working; else GGT_INVALID_TOKEN (or GGT_PERMISSION_DENIED: another caller's)."""
        where = f"{model.name}.{field.name}"
        try:
            expires, caller, name = self.cursors.decode(_scope(model, field), token, 3)
        except ApiError:
            raise ApiError(INVALID_TOKEN, f"{where}: this is not an upload token of {where}") from None
        if caller != caller_of(context):
            raise ApiError(PERMISSION_DENIED, f"{where}: this upload token was handed to another caller")
        if not isinstance(expires, int) or expires <= time.time():
            raise ApiError(INVALID_TOKEN, f"{where}: this upload token has expired; ask createFileUpload for another")
        return Upload(name, expires)


def _scope(model: Model, field: Field) -> str:
    return f"upload:{model.name}.{field.name}"
