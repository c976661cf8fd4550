"""The one place that decides who may do what: every resolver, nested write and relation hop asks here.

A model's `@access` lists, per action, the roles granted it; `system-admin` may always do
everything, and a model that declares nothing is `system-admin` only. `owner` grants an action
on the records whose owner field points to the caller's user: reads are then restricted to those
records (for anyone else they do not exist), writes checked record by record.

A record the caller may not read does not exist for it anywhere: `readable` is what relation
filters, relation fields, counts and payloads consult, so that no answer depends on hidden data.
"""

from __future__ import annotations

import enum
from typing import Any

from chalicelib.access.context import RequestContext
from chalicelib.errors import permission_denied
from chalicelib.schema.registry import OWNER, USER_MODEL, Field, Model

# A User field the account lifecycle manages, where the schema declares it (a Boolean).
EMAIL_VERIFIED = "emailVerified"


class Action(enum.Enum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    BULK = "bulk"


def allowed(context: RequestContext, model: Model, action: Action, record: dict[str, Any] | None = None) -> bool:
    """Whether the caller may do `action` to `record`, or, without one, to some record of `model`."""
    if context.is_admin:
        return True
    granted = model.access.roles(action.value)
    if context.roles & (granted - {OWNER}):
        return True
    return OWNER in granted and context.user_id is not None and (record is None or owns(model, record, context.user_id))


def authorize(context: RequestContext, model: Model, action: Action, record: dict[str, Any] | None = None) -> None:
    """Raise GGT_PERMISSION_DENIED unless the caller may do `action` (to `record`, when given)."""
    if not allowed(context, model, action, record):
        raise permission_denied(action.value, model.name)


def unrestricted(context: RequestContext, model: Model, action: Action) -> bool:
    """Whether the caller may do `action` to every record of `model`, whoever owns it."""
    return context.is_admin or bool(context.roles & (model.access.roles(action.value) - {OWNER}))


# A where-clause no record matches (and that reads nothing: a match on no ids).
NOTHING: dict[str, Any] = {"match": {"id": []}}


def owned_only(context: RequestContext, model: Model, action: Action = Action.READ) -> dict[str, Any] | None:
    """The where-clause that restricts `action` to the records the caller may do it to: None for
    every record, its own when only ownership grants it, none at all when nothing grants it."""
    if unrestricted(context, model, action):
        return None
    owner = model.access.owner_field
    if owner is None or context.user_id is None or not allowed(context, model, action):
        return NOTHING
    return {"match": {owner: [context.user_id]}}


def readable(context: RequestContext, model: Model, record: dict[str, Any]) -> bool:
    if model.is_session:
        # A session exists only for its bearer (and system-admin).
        return context.is_admin or (context.session is not None and context.session["id"] == record.get("id"))
    return allowed(context, model, Action.READ, record)


def visible(context: RequestContext, model: Model, record: dict[str, Any] | None) -> dict[str, Any] | None:
    """`record` if the caller may read it, else None: a record the caller may not see does not exist."""
    return record if record is not None and readable(context, model, record) else None


def owns(model: Model, record: dict[str, Any], user_id: str) -> bool:
    owner = model.access.owner_field
    return owner is not None and record.get(owner) == user_id


def _managed(model: Model, field: Field) -> bool:
    """Managed by type (roles, state, passwords), or by the account lifecycle: a user's verified
    address is set by verifyEmail alone (chalicelib/accounts/)."""
    return field.managed or (model.name == USER_MODEL and field.name == EMAIL_VERIFIED)


def check_managed(context: RequestContext, model: Model, data: dict[str, Any]) -> None:
    """Managed fields (roles, record state, passwords) are written only by system-admin or by the
    action that manages them (signUp, changePassword), which acts as system-admin for that write."""
    if context.is_admin:
        return
    field: Field | None = next((model.fields[n] for n in data if _managed(model, model.fields[n])), None)
    if field is not None:
        raise permission_denied("set", f"{model.name}.{field.name}; it is managed by the server")
