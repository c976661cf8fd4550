"""What a `before` and an `after` step receive, and how a `before` refuses a write.

The record as stored before the write (a before's `event.record` of an update or a delete, an
after's `event.previous` of an update) is given only to the steps declared with `stored=True`:
an update is read before it is written only when one of its steps uses it, and a step that did
not declare it fails the same way whether or not the write happened to read it.
"""

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


class NotDeclared(RuntimeError):
    """A step used the stored record without declaring it (a mistake in the team's module)."""

    def __init__(self, kind: str, model: str, action: str, attribute: str) -> None:
        super().__init__(
            f"event.{attribute} of a {model} {action} is given to steps declared with stored=True: "
            f"@hooks.{kind}({model!r}, {action!r}, stored=True)"
        )


@dataclass
class Before:
    """A record about to be written. `data` is the mutation's input for it (a copy: the step may
    change it in place, or return new data); `record` is the stored record an update or a delete
    acts on, as read (None for a create), for a step declared with `stored=True`."""

    model: str
    action: str
    data: dict[str, Any]
    read: dict[str, Any] | None
    caller: Caller
    # Whether the step running now declared `stored=True`.
    stored: bool = False

    @property
    def record(self) -> dict[str, Any] | None:
        if self.action != CREATE and not self.stored:
            raise NotDeclared("before", self.model, self.action, "record")
        return self.read

    def refuse(self, field: str, message: str) -> Refusal:
        """`raise event.refuse("title", "contains a banned word")`: nothing is written."""
        return Refusal(field, message)


@dataclass(frozen=True)
class After:
    """A record written, once its transaction committed: as written (a delete: as it was last
    read), with `previous`, for an update, the record as it was read before (for a step declared
    with `stored=True`)."""

    model: str
    action: str
    record: dict[str, Any]
    read: dict[str, Any] | None
    caller: Caller
    stored: bool = False

    @property
    def previous(self) -> dict[str, Any] | None:
        if self.action == UPDATE and not self.stored:
            raise NotDeclared("after", self.model, self.action, "previous")
        return self.read
