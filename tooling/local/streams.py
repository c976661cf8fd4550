"""The local server's reader of DynamoDB Streams: the models' tables' streams on the embedded (or
another) DynamoDB, read through the Streams API and handed to the subscriptions' delivery, the
code the deployed stream handler runs.

On the embedded DynamoDB a table is read when moto appends to its stream (moto_streams.listen);
on another endpoint every stream is polled. Each read finds its place by sequence number (a new
iterator after the last record delivered), so a shard whose table object moto replaced is still
read where it should be; a shard is read from its last delivered record (its checkpoint), else
from its start: what happened before a subscription began is not delivered to it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import boto3

from chalicelib.subscriptions.delivery import Delivery

POLL_SECONDS = 0.5
# Records one GetRecords returns at most (DynamoDB's limit).
RECORDS_PER_READ = 1000
LOG = logging.getLogger("shoreline.streams")


class StreamReader:
    def __init__(
        self,
        delivery: Delivery,
        endpoint_url: str,
        region: str,
        notified: bool,
        passed: Callable[[str, int], None] | None = None,
    ) -> None:
        """`notified`: the DynamoDB is the embedded one, which says when a stream has new records;
        `passed(stream ARN, sequence number)`: told the last record delivered (-1 before any)."""
        self.delivery = delivery
        self.passed = passed
        self.client = boto3.client("dynamodbstreams", endpoint_url=endpoint_url, region_name=region)
        self.dynamodb = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
        self.notified = notified
        self._changed: set[str] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        # Per table: its stream's ARN, the shard, and the last sequence number read.
        self._positions: dict[str, tuple[str, str, int | None]] = {}
        self._thread = threading.Thread(target=self._run, name="stream-reader", daemon=True)

    def note(self, table_name: str) -> None:
        """A record was appended to `table_name`'s stream (called inside moto: only takes note)."""
        if table_name in self.delivery.models:
            with self._lock:
                self._changed.add(table_name)
            self._wake.set()

    def start(self) -> StreamReader:
        for table in self.delivery.models:
            self._position(table)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(None if self.notified else POLL_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                return
            self.read_changed()

    def read_changed(self) -> int:
        """Read and deliver what the changed streams (every stream, when not notified) hold."""
        with self._lock:
            tables = sorted(self._changed) if self.notified else sorted(self.delivery.models)
            self._changed.clear()
        delivered = 0
        for table in tables:
            try:
                delivered += self._read(table)
            except Exception:
                # One table's failure must not stop the others, nor the reader.
                LOG.exception("reading the stream of %s failed", table)
                self._positions.pop(table, None)
        return delivered

    def _position(self, table: str) -> tuple[str, str, int | None] | None:
        if table not in self._positions:
            description = self.dynamodb.describe_table(TableName=table)["Table"]
            arn = description.get("LatestStreamArn")
            if arn is None:
                return None
            shards = self.client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            shard = shards[-1]["ShardId"]
            # From the last record delivered, else from the shard's start: a change before a
            # subscription began is not delivered to it (delivery.py), so old records cost a
            # read, nothing more.
            done = self.delivery.state.checkpoint(f"{table}/{shard}")
            self._positions[table] = (arn, shard, done or None)
            self._passed(arn, done or -1)
        return self._positions[table]

    def _passed(self, arn: str, sequence_number: int) -> None:
        if self.passed is not None:
            self.passed(arn, sequence_number)

    def _read(self, table: str) -> int:
        position = self._position(table)
        if position is None:
            return 0
        arn, shard, last = position
        delivered = 0
        while True:
            if last is None:
                kind: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
            else:
                kind = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": str(last)}
            iterator = self.client.get_shard_iterator(StreamArn=arn, ShardId=shard, **kind)["ShardIterator"]
            records = self.client.get_records(ShardIterator=iterator, Limit=RECORDS_PER_READ)["Records"]
            if not records:
                return delivered
            delivered += self.delivery.deliver(table, shard, records).delivered
            last = int(records[-1]["dynamodb"]["SequenceNumber"])
            self._positions[table] = (arn, shard, last)
            self._passed(arn, last)
