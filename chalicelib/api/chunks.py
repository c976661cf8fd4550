"""Bulk writes in chunks: consecutive records of a page, written together.

A chunk's plain records (deleted blind, see `bulk`) go by BatchWriteItem; each other record's write
is planned as a transaction of its own, and the plans of consecutive records are sent as one
TransactWriteItems while they fit: at most 100 items and 4 MB of items, none written twice. Plans
that share no item land together exactly as each would alone, each holding only under its own
conditions; when one of them fails, DynamoDB cancels them all and the chunk is written one record
at a time instead.

Chunks follow the page's order, so that once a chunk is written, every record before it is too:
the cursor can resume after its last record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from chalicelib.store.records import Record
from chalicelib.store.transaction import Transaction


@dataclass
class Chunk:
    records: list[Record] = field(default_factory=list)  # in page order
    plain: list[Record] = field(default_factory=list)  # deleted by BatchWriteItem
    planned: list[Record] = field(default_factory=list)  # written by `transaction`
    # None with a planned record: that record's changes cannot be one transaction, it goes alone.
    transaction: Transaction | None = None

    def take(self, record: Record, transaction: Transaction | None, stored: int) -> bool:
        """Add a record written by `transaction`, unless the chunk's transaction cannot hold it too.
        `stored` is the record's size as read: with what the write carries, a bound on what it
        adds to the transaction's 4 MB (an update's item counts whole)."""
        if self.planned:
            if self.transaction is None or transaction is None or not self.transaction.absorb(transaction, stored):
                return False
        else:
            self.transaction = transaction
            if transaction is not None:
                transaction.bytes += stored
        self.planned.append(record)
        self.records.append(record)
        return True


def chunks(
    records: Iterable[Record],
    plan: Callable[[Record], Transaction | None],
    plain: Callable[[Record], bool],
    stored: Callable[[Record], int],
    size: int,
) -> Iterator[Chunk]:
    """`records` in consecutive chunks of at most `size` records; `stored` is a record's size as read."""
    chunk = Chunk()
    for record in records:
        if plain(record):
            chunk.plain.append(record)
            chunk.records.append(record)
        else:
            transaction, weight = plan(record), stored(record)
            if not chunk.take(record, transaction, weight):
                yield chunk
                chunk = Chunk()
                chunk.take(record, transaction, weight)
        if len(chunk.records) >= size:
            yield chunk
            chunk = Chunk()
    if chunk.records:
        yield chunk
