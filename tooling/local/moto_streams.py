"""moto's DynamoDB Streams, as the embedded server's reader of them needs them.

- moto keeps every shard iterator it ever hands out (each GetRecords hands out the next one), so
  a reader polling for changes grew the server's memory without end. Here only the most recent
  `ITERATORS_KEPT` are kept; DynamoDB's own expire after 15 minutes.
- A reader learns that a table's stream has new records when moto appends one (`listen`), so it
  reads only then, and only that table, rather than polling every stream: the embedded server
  answers one request at a time, and polling would stand in the API's way.

- moto never trims a shard: every record of every write stayed, and memory grew with each. Here a
  shard keeps its newest `RECORDS_KEPT` records (DynamoDB keeps 24 hours of them) and, beyond
  those, the records a `Follower` (the local server's reader) has not passed yet. A record's
  sequence number stays what it was (the shard's starting sequence number moves up with what is
  dropped); an iterator or sequence number that points before the oldest record kept is refused
  with TrimmedDataAccessException, as DynamoDB refuses one past its retention.

A transaction rolled back by moto itself (not by the journal) restores a copy of the table, shard
included: the reader (local/streams.py) therefore finds its place again by sequence number on each
read, never keeping an iterator. The journal (local/journal.py) drops the stream records of a
transaction it rolls back.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamShard
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

ITERATORS_KEPT = 1000
# Records a shard keeps whatever its followers have read: for readers it does not know of.
RECORDS_KEPT = 1000

_add = StreamShard.add
_get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator
_get_records = DynamoDBStreamsBackend.get_records

# What the patch relies on, with the SHA-256 of its source in the pinned moto (see moto_patch).
PINNED: tuple[tuple[Any, str], ...] = (
    (_add, "357dc6da267e5dd7d46e18ee25d14b232a98679677906a2f02e4d454d1f11e03"),
    (_get_shard_iterator, "a0be676df0bfc9ef0fdb546a45df0f1510de564d215dcafffbd144a8f04219ef"),
    (_get_records, "db8c6cb04430c08f76be9e6b3cc9317387643b4fee26f43071c5ac22e25d2b64"),
    # A shard's records by sequence number, from its starting one; an iterator's place.
    (StreamShard.get, "fa7e9a0d7b438c2fbd4bcc8a04fecc79f70862760d1f176d3bc86775967e2d7e"),
    (ShardIterator.__init__, "5842e50a95242ef84673613918b71c4a2a9c149d4baa10904b0c84034c4c793e"),
)

_listeners: list[Callable[[str], None]] = []
_lock = threading.Lock()


def listen(listener: Callable[[str], None]) -> None:
    """Call `listener` with a table's name whenever a record is appended to its stream. It runs
    inside moto's request: it must only take note."""
    with _lock:
        _listeners.append(listener)


class Follower:
    """A reader of the streams whose unread records are kept: it says how far it has read."""

    def __init__(self) -> None:
        # Per stream ARN, the sequence number of the last record read (-1: none yet).
        self._read: dict[str, int] = {}
        with _lock:
            _followers[:] = [ref for ref in _followers if ref() is not None] + [weakref.ref(self)]

    def passed(self, stream_arn: str, sequence_number: int) -> None:
        """Every record of `stream_arn` up to `sequence_number` is read (-1: keep them all)."""
        with _lock:
            self._read[stream_arn] = sequence_number

    def read(self, stream_arn: str) -> int | None:
        return self._read.get(stream_arn)


# Weak: a reader gone is no longer waited for. A list, read at every record appended (a WeakSet's
# iteration guard cost more than the rest of the trimming).
_followers: list[weakref.ref[Follower]] = []


class TrimmedDataAccess(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            "TrimmedDataAccessException",
            f"The record asked for is no longer in the stream: a shard keeps its newest {RECORDS_KEPT} records",
        )


def install() -> None:
    StreamShard.add = _add_noted  # type: ignore[method-assign,assignment]
    DynamoDBStreamsBackend.get_shard_iterator = _bounded(_refused_if_trimmed(_get_shard_iterator))  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_records = _bounded(_records_untrimmed(_get_records))  # type: ignore[method-assign]


def _add_noted(shard: StreamShard, old: Item | None, new: Item | None) -> None:
    _add(shard, old, new)
    _trim(shard)
    for listener in list(_listeners):
        listener(shard.table.name)


def _trim(shard: StreamShard) -> None:
    """Drop the shard's records older than the newest RECORDS_KEPT that every follower has read."""
    if len(shard.items) <= RECORDS_KEPT:
        return  # nothing older than the newest RECORDS_KEPT
    end = shard.starting_sequence_number + len(shard.items)
    arn = f"{shard.table.table_arn}/stream/{shard.table.latest_stream_label}"
    with _lock:
        positions = [follower.read(arn) for follower in (ref() for ref in _followers) if follower is not None]
    keep_from = min([end - RECORDS_KEPT, *(read + 1 for read in positions if read is not None)])
    dropped = keep_from - shard.starting_sequence_number
    if dropped > 0:
        del shard.items[:dropped]
        shard.starting_sequence_number += dropped


def _trimmed(iterator: ShardIterator) -> bool:
    return bool(iterator.sequence_number < iterator.stream_shard.starting_sequence_number)


def _refused_if_trimmed(original: Callable[..., ShardIterator]) -> Callable[..., ShardIterator]:
    @functools.wraps(original)
    def get_shard_iterator(backend: DynamoDBStreamsBackend, *args: Any, **kwargs: Any) -> ShardIterator:
        iterator = original(backend, *args, **kwargs)
        if _trimmed(iterator):
            del backend.shard_iterators[iterator.arn]
            raise TrimmedDataAccess()
        return iterator

    return get_shard_iterator


def _records_untrimmed(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def get_records(backend: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> dict[str, Any]:
        iterator = backend.shard_iterators.get(iterator_arn)
        if iterator is not None and _trimmed(iterator):
            raise TrimmedDataAccess()
        return original(backend, iterator_arn, limit)

    return get_records


def _bounded(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def call(backend: DynamoDBStreamsBackend, *args: Any, **kwargs: Any) -> Any:
        result = original(backend, *args, **kwargs)
        iterators: dict[str, ShardIterator] = backend.shard_iterators
        while len(iterators) > ITERATORS_KEPT:
            del iterators[next(iter(iterators))]
        return result

    return call
