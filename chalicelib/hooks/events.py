"""What a `before` and an `after` step receive, and how a `before` refuses a write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.hooks.caller import Caller

# The actions a step is declared for. An upsert is a create or an update, as it turns out.
CREATE = "create"
UPDATE = "update"
DELETE = "delete"
ACTIONS = (CREATE, UPDATE, DELETE)


class Refusal(Exception):
    """Raised by a `before` step: the write is refused, as GGT_INVALID_RECORD naming `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class Before:
    """A record about to be written. `data` is the mutation's input for it (a copy: the step may
    change it in place, or return new data); `record` is the stored record an update or a delete
    acts on, as read (None for a create)."""

    model: str
    action: str
    data: dict[str, Any]
    record: dict[str, Any] | None
    caller: Caller

    def refuse(self, field: str, message: str) -> Refusal:
        """`raise event.refuse("title", "contains a banned word")`: nothing is written."""
        return Refusal(field, message)


@dataclass(frozen=True)
class After:
    """A record written, once its transaction committed: as written (a delete: as it was last
    read), with `previous`, for an update, the record as it was read before."""

    model: str
    action: str
    record: dict[str, Any]
    previous: dict[str, Any] | None
    caller: Caller
