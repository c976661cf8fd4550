"""The hooks of a running service, indexed by what they act on, and how the write path runs them.

`before` steps run as each record's write is planned, so a refusal stops the mutation before
anything is sent; a mutation planned again after a conflict runs them again (they must have no
effects beyond the input they return). `after` steps run once the transaction committed, outside
it, in the order the records were planned; a failing one is logged and the write stands.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from graphql import GraphQLSchema

from chalicelib.access.context import RequestContext
from chalicelib.errors import INVALID_RECORD, ApiError
from chalicelib.hooks.caller import Caller
from chalicelib.hooks.declare import AFTER, BEFORE, COMPUTED, Declared
from chalicelib.hooks.events import After, Before, Refusal
from chalicelib.schema.registry import Model, Registry
from chalicelib.store.records import Record, RecordStore

LOG = logging.getLogger("shoreline.hooks")
# A step's key: (model name, action).
Key = tuple[str, str]
# An `after` step's event, as the write path notes it: (model, action, record, previous).
Written = tuple[Model, str, Record, Record | None]


class Installed:
    def __init__(self, registry: Registry, store: RecordStore, declared: Iterable[Declared], origin: str) -> None:
        self.registry = registry
        self.store = store
        self.declared = list(declared)
        # The file the declarations came from.
        self.origin = origin
        # The built API, for `Caller.execute` (set once built: the API's resolvers need these hooks).
        self.schema: GraphQLSchema | None = None
        self.before: dict[Key, list[Declared]] = {}
        self.after: dict[Key, list[Declared]] = {}
        # Computed fields and custom operations, by (type name, field name).
        self.fields: dict[Key, Declared] = {}
        for item in self.declared:
            if item.kind == BEFORE:
                self.before.setdefault((item.target[0], item.target[1]), []).append(item)
            elif item.kind == AFTER:
                self.after.setdefault((item.target[0], item.target[1]), []).append(item)
            elif item.kind == COMPUTED:
                self.fields[(item.target[0], item.target[1])] = item
            else:
                self.fields[(item.kind.capitalize(), item.target[0])] = item

    def hooked(self, model: Model, action: str) -> bool:
        """Whether writes of `action` to `model` have steps (a bulk write plans each from the
        record it matched, so that they run for each)."""
        key = (model.name, action)
        return key in self.before or key in self.after

    def reads(self, model: Model, action: str) -> bool:
        """Whether a step of writes of `action` to `model` uses the stored record (`stored=True`):
        such an update is planned from the record as read, never blind."""
        key = (model.name, action)
        return any(step.stored for step in (*self.before.get(key, ()), *self.after.get(key, ())))

    def has_after(self, model: Model, action: str) -> bool:
        return (model.name, action) in self.after

    def run_before(
        self, context: RequestContext, model: Model, action: str, data: dict[str, Any], record: Record | None
    ) -> dict[str, Any]:
        """The input as the `before` steps leave it; a refusal is GGT_INVALID_RECORD."""
        steps = self.before.get((model.name, action))
        if not steps:
            return data
        event = Before(model.name, action, dict(data), record, Caller(context, self))
        for step in steps:
            event.stored = step.stored
            try:
                changed = step.function(event)
            except Refusal as refusal:
                raise refused(model, refusal) from None
            if isinstance(changed, dict):
                event.data = changed
            elif changed is not None:
                raise TypeError(f"{step.where}: a before step returns new data (a dict) or None")
        return event.data

    def run_after(self, context: RequestContext, written: list[Written]) -> None:
        """Each record's `after` steps, once; a failure is logged, and the others still run."""
        caller = Caller(context, self)
        for model, action, record, previous in written:
            for step in self.after.get((model.name, action), ()):
                _quietly(step, After(model.name, action, record, previous, caller, step.stored))


def _quietly(step: Declared, event: After) -> None:
    try:
        step.function(event)
    except Exception:
        # The write has committed: an effect that failed is an incident to look into, not an answer.
        LOG.exception("after step %s failed on %s %s", step.where, event.model, event.record.get("id"))


def refused(model: Model, refusal: Refusal) -> ApiError:
    """Gadget's InvalidRecordError shape, as a taken unique value is reported (errors.not_unique)."""
    return ApiError(
        INVALID_RECORD,
        f"{model.name}.{refusal.field}: {refusal.message}",
        model=model.name,
        field=refusal.field,
        validationErrors=[{"apiIdentifier": refusal.field, "message": refusal.message}],
    )
