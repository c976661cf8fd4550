"""Delivery: stream records of a model's table in, one `next` message per subscription that may
see the change and whose filter holds, out through the transport's `send`.

The same code runs on the deployed stream handler and on the local server's reader of the
embedded DynamoDB's streams. Streams deliver at least once, so records seen already are dropped
and a client sees each change once: the local reader knows its shard, whose checkpoint (the last
sequence number delivered) says which; a Lambda's batch comes from one shard but does not say
which, and shards of one stream run side by side, so there each record delivered is noted by its
event id (`deliver_batch`), a read and a write per batch.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, execute_sync, parse

from chalicelib.access.context import RequestContext
from chalicelib.access.permissions import readable
from chalicelib.api.errors import format_error
from chalicelib.query.where import matches
from chalicelib.schema.registry import Model
from chalicelib.store.backoff import deadline
from chalicelib.subscriptions.events import Event, Mutation, event_of
from chalicelib.subscriptions.filters import holds
from chalicelib.subscriptions.identity import Identity, context_of, with_loader
from chalicelib.subscriptions.index import SubscriptionIndex
from chalicelib.subscriptions.payload import payload
from chalicelib.subscriptions.state import Subscription, SubscriptionState

if TYPE_CHECKING:
    from chalicelib.service import Service

# A message to one connection; False when the connection is gone (its state is then removed).
Send = Callable[[str, dict[str, Any]], bool]
DOCUMENTS_CACHED = 256


@dataclass
class Report:
    records: int = 0
    duplicates: int = 0
    events: int = 0
    candidates: int = 0
    delivered: int = 0
    gone: set[str] = field(default_factory=set)


class Delivery:
    def __init__(self, service: Service, state: SubscriptionState, send: Send) -> None:
        self.service = service
        self.state = state
        self.send = send
        tables = service.tables
        self.models: dict[str, Model] = {
            tables.model_class(m.name).Meta.table_name: m for m in service.registry.crud_models()
        }
        self._parse = lru_cache(maxsize=DOCUMENTS_CACHED)(parse)

    def deliver(self, table_name: str, shard: str, records: list[dict[str, Any]]) -> Report:
        """Deliver one batch of a shard's records, in order (the shard's checkpoint drops those
        delivered before)."""
        report = Report(records=len(records))
        if table_name not in self.models or not records:
            return report
        with deadline(time.monotonic() + self.service.settings.deadline_seconds):
            checkpoint = f"{table_name}/{shard}"
            done = self.state.checkpoint(checkpoint)
            fresh = [r for r in records if _sequence(r) > done]
            self._deliver(table_name, fresh, report)
            if fresh:
                self.state.advance(checkpoint, done, max(map(_sequence, fresh)))
        return report

    def deliver_batch(self, table_name: str, records: list[dict[str, Any]]) -> Report:
        """Deliver a batch of stream records as Lambda hands them (from one shard, which it does
        not name), in order; a record delivered before, by its event id, is dropped."""
        report = Report(records=len(records))
        if table_name not in self.models or not records:
            return report
        with deadline(time.monotonic() + self.service.settings.deadline_seconds):
            keys = {f"{table_name}#{r['eventID']}": r for r in records}
            seen = self.state.delivered(list(keys))
            fresh = [r for key, r in keys.items() if key not in seen]
            self._deliver(table_name, fresh, report)
            if fresh:
                self.state.mark_delivered({key: _sequence(r) for key, r in keys.items() if key not in seen})
        return report

    def _deliver(self, table_name: str, fresh: list[dict[str, Any]], report: Report) -> None:
        model = self.models[table_name]
        report.duplicates = report.records - len(fresh)
        cls = self.service.tables.model_class(model.name)
        events = [(e, r) for r in fresh if (e := event_of(model, cls, r)) is not None]
        report.events = len(events)
        if events:
            index = SubscriptionIndex(self.state.candidates(model.name, [event.record_id for event, _ in events]))
            # Who the candidates' subscribers are, read together for the batch (not one by one).
            wanted = {s.connection for event, _ in events for s in index.candidates(model.name, event.record_id)}
            identities = self.state.identities(sorted(wanted))
            contexts: dict[str, RequestContext | None] = {}
            for event, record in events:
                self.fan_out(event, _approximate_time(record), index, identities, contexts, report)
        for connection in report.gone:
            self.state.disconnect(connection)

    def fan_out(
        self,
        event: Event,
        at: float | None,
        index: SubscriptionIndex,
        identities: dict[str, Identity],
        contexts: dict[str, RequestContext | None],
        report: Report,
    ) -> None:
        for subscription in index.candidates(event.model.name, event.record_id):
            report.candidates += 1
            if subscription.connection in report.gone:
                continue
            # A change committed before the subscription began is not its to see.
            if at is not None and at < int(subscription.created):
                continue
            if subscription.connection not in contexts:
                identity = identities.get(subscription.connection)
                contexts[subscription.connection] = None if identity is None else context_of(self.service, identity)
            context = contexts[subscription.connection]
            if context is None:
                continue
            message = self.message(subscription, event, context)
            if message is None:
                continue
            if self.send(subscription.connection, message):
                report.delivered += 1
            else:
                report.gone.add(subscription.connection)

    def message(self, subscription: Subscription, event: Event, subscriber: RequestContext) -> dict[str, Any] | None:
        """The `next` message of `event` for `subscription`, or None when it is not the subscriber's
        to see or its filter does not hold."""
        model = event.model
        context = with_loader(self.service, dataclasses.replace(subscriber))
        saw_before = event.old is not None and readable(context, model, event.old)
        if event.mutation is Mutation.DELETED:
            if not saw_before:
                return None
        elif event.new is None or not readable(context, model, event.new):
            return None
        registry = self.service.registry

        def node_matches(node: dict[str, Any]) -> bool:
            return matches(model, node, event.current, registry, context.loader.related)

        if not holds(subscription.where, event, node_matches):
            return None
        result = execute_sync(
            self.service.schema,
            self._document(subscription.query),
            root_value=payload(event, saw_before),
            context_value=context,
            variable_values=subscription.variables,
            operation_name=subscription.operation_name,
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(error) for error in result.errors]
        return {"id": subscription.id, "type": "next", "payload": body}

    def _document(self, query: str) -> DocumentNode:
        document: DocumentNode = self._parse(query)
        return document


def _sequence(record: dict[str, Any]) -> int:
    return int(record["dynamodb"]["SequenceNumber"])


def _approximate_time(record: dict[str, Any]) -> float | None:
    """When the change was committed, to the second, as the stream record says."""
    value = record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(json.loads(json.dumps(value, default=lambda v: v.timestamp())))
    except (TypeError, ValueError, AttributeError):
        return None
