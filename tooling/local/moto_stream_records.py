"""moto's DynamoDB stream records, built when first read rather than at each write.

moto builds a stream record as the write happens: it writes both images as JSON-like dicts,
serializes the whole record to JSON only to measure its SizeBytes, draws a random event id and
reads the clock, about a third of the cost of an update in a bulk write, for records that a
shard then drops unread (the embedded server keeps the newest ones; bench and tests have no
reader). Here a write keeps only what the record is made of: the images as they stand (the new
one a `journal.snapshot`, as the item is changed in place by the writes that follow; the old one
as moto hands it, an item no longer in the table or a copy made for the record), the sequence
number, the clock as moto's constructor reads it and the random bits its event id is drawn from,
in the order moto draws them. moto's own constructor builds the record from these when the
record is first read (GetRecords, a Lambda event source), reading that clock and those bits: the
record is the one moto would have built at the write.

The patch relies on moto's code as it is in the pinned version: `PINNED` names what moto_patch
checks before applying it.
"""

from __future__ import annotations

import types
from typing import Any
from uuid import UUID

import moto.dynamodb.models.table as table_module
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamRecord, Table
from moto.moto_api._internal.moto_random import MotoRandom

from tooling.local.journal import snapshot
from tooling.local.replaced import Replaced

_build = StreamRecord.__init__

# What the patch relies on, with the SHA-256 of its source in the pinned moto (see moto_patch).
PINNED: tuple[tuple[Any, str], ...] = (
    # The constructor, run later: it reads the clock once (`utcnow`) and draws one `uuid4`, and
    # reads nothing of the images but through `to_json`, nothing of the table but its keys' names.
    (StreamRecord, "cf0d90da46216fa246b7e3ea2d7182c90817482652b499acf7ee250fd3c6f7db"),
    # A uuid4: one draw of 128 bits. (Where records are made, StreamShard.add, calling the
    # module's name `StreamRecord` once per write: pinned by moto_streams.)
    (MotoRandom.uuid4, "7968a33b3bf2d180754dc77c89a61fb4badcff40aea5ef5a985b8e39a06a818a"),
)


class DeferredRecord:
    """A stream record of moto's, as `StreamRecord(table, stream_type, event_name, old, new, seq)`."""

    def __init__(
        self, table: Table, stream_type: str, event_name: str, old: Item | None, new: Item | None, seq: int
    ) -> None:
        # Read now, in moto's order (a draw, then the clock), through the module's own names.
        self._bits = table_module.mock_random.getrandbits(128)
        self._at = table_module.utcnow()
        self._made = (table, stream_type, event_name, old, None if new is None else snapshot(new), seq)
        self._record: dict[str, Any] | None = None

    @property
    def record(self) -> dict[str, Any]:
        if self._record is None:
            self._record = _built(self._made, self._bits, self._at)
        return self._record

    def to_json(self) -> dict[str, Any]:
        return self.record


class _Drawn:
    """moto's random source, as its constructor uses it, having drawn `bits`."""

    def __init__(self, bits: int) -> None:
        self._bits = bits

    def uuid4(self) -> UUID:
        return UUID(int=self._bits, version=4)


def _built(made: tuple[Any, ...], bits: int, at: Any) -> dict[str, Any]:
    """moto's constructor run on `made`, its clock reading `at` and its random draw `bits`."""
    names = {**vars(table_module), "mock_random": _Drawn(bits), "utcnow": lambda: at}
    build = types.FunctionType(_build.__code__, names, _build.__name__)
    holder = types.SimpleNamespace()
    build(holder, *made)
    record: dict[str, Any] = holder.record
    return record


def _replaced() -> tuple[tuple[Any, str, Any, Any], ...]:
    return ((table_module, "StreamRecord", DeferredRecord, StreamRecord),)


_REPLACED = Replaced(_replaced)
install = _REPLACED.install
# Records built at each write, for the span of a block (what the tests compare these with).
moto_s_own = _REPLACED.moto_s_own
