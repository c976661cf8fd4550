"""An update's condition and actions, built once for a run of updates alike but for their record.

The updates of a bulk write differ only in the record each changes: the same values set, the
same where-clause as their condition. Building each one's PynamoDB condition and actions, and
measuring the values it carries, cost more than the rest of its planning. `Alike` keeps the last
update's, with what they were built from, and hands out the same objects for the next update built
from the same; a transaction then serializes those once for all of its writes that share them
(transaction.py), so a chunk of a bulk write sends one expression, its items differing by key.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.store.changes import Update

# An update's condition, its actions and the bytes of item data they carry.
Built = tuple[Condition, list[Action], int]
# json.dumps(parts, sort_keys=True), without building an encoder for each update.
_ENCODER = json.JSONEncoder(sort_keys=True)


class Alike:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[Hashable, Condition | None, Built] | None = None

    def built(self, cls: type, update: Update, build: Callable[[], Built]) -> Built:
        """What `build` makes of `update`, or what it made of the last update alike (the same model
        class and the same values, expectations, version and client's condition object)."""
        content = _content(update)
        if content is None:
            return build()
        key = (cls, content)
        with self._lock:
            last = self._last
        if last is not None and last[0] == key and last[1] is update.condition:
            return last[2]
        made = build()
        with self._lock:
            self._last = (key, update.condition, made)
        return made


def _content(update: Update) -> str | None:
    """Everything of `update` its condition and actions are built from, but its record and the
    client's condition (compared as an object); None if some value has no JSON form."""
    parts = [update.version, update.assign, update.push, update.expect, sorted(update.remove)]
    try:
        return _ENCODER.encode(parts)
    except TypeError:
        # Any text standing for such a value (a Decimal, a set) is also the text of some JSON value
        # (a list naming its type and repr): the two updates would share what only one is built from.
        return None
