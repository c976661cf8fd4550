"""The permission check every generated resolver and nested write passes through.

A model's `@access` lists, per action, the roles granted it; `system-admin` may always do
everything, and a model that declares nothing is `system-admin` only. `owner` grants an action
on the records whose owner field points to the caller's user: reads are then restricted to those
records (for anyone else they do not exist), writes checked record by record.
"""

from __future__ import annotations

import enum
from typing import Any

from chalicelib.access.context import RequestContext
from chalicelib.errors import permission_denied
from chalicelib.schema.registry import OWNER, Model


class Action(enum.Enum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    BULK = "bulk"


def authorize(context: RequestContext, model: Model, action: Action, record: dict[str, Any] | None = None) -> None:
    """Raise GGT_PERMISSION_DENIED unless the caller may do `action` (to `record`, when given)."""
    if context.is_admin:
        return
    granted = model.access.roles(action.value)
    if context.roles & (granted - {OWNER}):
        return
    if OWNER in granted and context.user_id is not None and (record is None or owns(model, record, context.user_id)):
        return
    raise permission_denied(action.value, model.name)


def owned_only(context: RequestContext, model: Model, action: Action = Action.READ) -> dict[str, Any] | None:
    """The where-clause that restricts `action` to the caller's own records, when only ownership grants it."""
    if context.is_admin or context.roles & (model.access.roles(action.value) - {OWNER}):
        return None
    owner = model.access.owner_field
    if owner is None or context.user_id is None:
        return None
    return {"match": {owner: [context.user_id]}}


def visible(context: RequestContext, model: Model, record: dict[str, Any] | None) -> dict[str, Any] | None:
    """`record` if the caller may read it, else None: a record the caller may not see does not exist."""
    if record is None:
        return None
    clause = owned_only(context, model)
    if clause is None or context.user_id is None or owns(model, record, context.user_id):
        return record
    return None


def owns(model: Model, record: dict[str, Any], user_id: str) -> bool:
    owner = model.access.owner_field
    return owner is not None and record.get(owner) == user_id
