"""moto's DynamoDB Streams, as the embedded server's reader of them needs them.

- moto keeps every shard iterator it ever hands out (each GetRecords hands out the next one), so
  a reader polling for changes grew the server's memory without end. Here only the most recent
  `ITERATORS_KEPT` are kept; DynamoDB's own expire after 15 minutes.
- A reader learns that a table's stream has new records when moto appends one (`listen`), so it
  reads only then, and only that table, rather than polling every stream: the embedded server
  answers one request at a time, and polling would stand in the API's way.

moto never trims a shard (every record stays, and TRIM_HORIZON is the table's first change), and a
transaction rolled back by moto itself (not by the journal) restores a copy of the table, shard
included: the reader (local/streams.py) therefore starts at the end of a shard and finds its place
again by sequence number on each read, never keeping an iterator. The journal (local/journal.py)
drops the stream records of a transaction it rolls back.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamShard
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

ITERATORS_KEPT = 1000

_add = StreamShard.add
_get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator
_get_records = DynamoDBStreamsBackend.get_records

# What the patch relies on, with the SHA-256 of its source in the pinned moto (see moto_patch).
PINNED: tuple[tuple[Any, str], ...] = (
    (_add, "357dc6da267e5dd7d46e18ee25d14b232a98679677906a2f02e4d454d1f11e03"),
    (_get_shard_iterator, "a0be676df0bfc9ef0fdb546a45df0f1510de564d215dcafffbd144a8f04219ef"),
    (_get_records, "db8c6cb04430c08f76be9e6b3cc9317387643b4fee26f43071c5ac22e25d2b64"),
)

_listeners: list[Callable[[str], None]] = []
_lock = threading.Lock()


def listen(listener: Callable[[str], None]) -> None:
    """Call `listener` with a table's name whenever a record is appended to its stream. It runs
    inside moto's request: it must only take note."""
    with _lock:
        _listeners.append(listener)


def install() -> None:
    StreamShard.add = _add_noted  # type: ignore[method-assign,assignment]
    DynamoDBStreamsBackend.get_shard_iterator = _bounded(_get_shard_iterator)  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_records = _bounded(_get_records)  # type: ignore[method-assign]


def _add_noted(shard: StreamShard, old: Item | None, new: Item | None) -> None:
    _add(shard, old, new)
    for listener in list(_listeners):
        listener(shard.table.name)


def _bounded(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def call(backend: DynamoDBStreamsBackend, *args: Any, **kwargs: Any) -> Any:
        result = original(backend, *args, **kwargs)
        iterators: dict[str, ShardIterator] = backend.shard_iterators
        while len(iterators) > ITERATORS_KEPT:
            del iterators[next(iter(iterators))]
        return result

    return call
