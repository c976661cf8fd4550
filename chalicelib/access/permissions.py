"""The one permission check every generated resolver passes through.

Until a model declares its own rules, every model is readable and writable by `system-admin` only.
"""

from __future__ import annotations

import enum

from chalicelib.access.context import RequestContext
from chalicelib.errors import permission_denied
from chalicelib.schema.registry import Model


class Action(enum.Enum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


def authorize(context: RequestContext, model: Model, action: Action) -> None:
    if not context.is_admin:
        raise permission_denied(action.value, model.name)
