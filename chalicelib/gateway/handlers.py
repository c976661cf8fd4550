"""The deployed transport's handlers, each one Lambda invocation: API Gateway's `$connect`,
`$default` and `$disconnect` of the WebSocket API, and a batch of a table's stream records.

Each WebSocket message may run in a different container, so nothing of a connection is kept in
memory between messages: the conversation is resumed from the stage's state (who the subscriber
is, what it has open), as the local server's, which lives as long as its socket, never needs to.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.gateway.connections import ConnectionsByEndpoint, endpoint_of
from chalicelib.observability import logger
from chalicelib.subscriptions.delivery import Delivery, Report
from chalicelib.subscriptions.protocol import SUBPROTOCOL, Conversation
from chalicelib.subscriptions.state import SubscriptionState

if TYPE_CHECKING:
    from chalicelib.service import Service

# Where the stream handler reaches the connections (the packaged template sets it).
ENDPOINT_VARIABLE = "WEBSOCKET_ENDPOINT"
SUBPROTOCOL_HEADER = "Sec-WebSocket-Protocol"
LOG = logging.getLogger("shoreline.gateway")


class Gateway:
    def __init__(self, service: Service, connections: ConnectionsByEndpoint) -> None:
        self.service = service
        self.state = SubscriptionState(service.tables.subscriptions)
        self.connections = connections
        self._deliveries: dict[str, Delivery] = {}

    def connect(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """`$connect`: accepted only with the subprotocol, which the answer names (graphql-ws
        drops a connection whose handshake does not). API Gateway can refuse the handshake, but
        cannot close it with the protocol's 4406 as the local server does."""
        if SUBPROTOCOL not in offered_subprotocols(event):
            return {"statusCode": 400, "body": f"Subprotocol not acceptable: offer {SUBPROTOCOL}"}
        return {"statusCode": 200, "headers": {SUBPROTOCOL_HEADER: SUBPROTOCOL}}

    def message(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """`$default`: one protocol message (graphql-transport-ws's carry no `action`, so each
        comes here), answered through the Management API."""
        context = event["requestContext"]
        connection = str(context["connectionId"])
        posted = self.connections.at(endpoint_of(context))
        gone = False

        def send(message: dict[str, Any]) -> None:
            nonlocal gone
            if not gone and not posted.send(connection, message):
                gone = True

        def close(code: int, reason: str) -> None:
            LOG.info("closing connection %s: %s %s", connection, code, reason)
            posted.close(connection)

        conversation = Conversation.resume(self.service, self.state, connection, send, close)
        conversation.receive(str(event.get("body") or ""))
        if gone:
            self.state.disconnect(connection)
        return {"statusCode": 200}

    def disconnect(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """`$disconnect` (API Gateway's best effort: state it misses expires by TTL)."""
        self.state.disconnect(str(event["requestContext"]["connectionId"]))
        return {"statusCode": 200}

    def stream(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A batch of stream records (one shard of one table's stream, as the event source
        mapping hands them), delivered to the matching subscriptions."""
        endpoint = os.environ.get(ENDPOINT_VARIABLE)
        if not endpoint:
            raise RuntimeError(f"{ENDPOINT_VARIABLE} is not set: deploy the stream handler from `make package`")
        delivery = self._delivery(endpoint)
        total = Report()
        for table, records in by_table(event.get("Records") or []).items():
            report = delivery.deliver_batch(table, records)
            for name in ("records", "duplicates", "events", "candidates", "delivered"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            total.gone |= report.gone
        summary = {**asdict(total), "gone": len(total.gone)}
        logger.info("stream batch", extra=summary)
        return summary

    def _delivery(self, endpoint: str) -> Delivery:
        if endpoint not in self._deliveries:
            self._deliveries[endpoint] = Delivery(self.service, self.state, self.connections.at(endpoint).send)
        return self._deliveries[endpoint]


def offered_subprotocols(event: Mapping[str, Any]) -> list[str]:
    """The subprotocols a `$connect` request offers (its header, under any case, comma-separated)."""
    headers: Mapping[str, Any] = event.get("headers") or {}
    offered = next((v for k, v in headers.items() if k.lower() == SUBPROTOCOL_HEADER.lower()), "")
    return [p.strip() for p in str(offered).split(",") if p.strip()]


def by_table(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Stream records grouped by the table whose stream they come from, each in its order.
    `eventSourceARN`: `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        resource = str(record["eventSourceARN"]).split(":", 5)[5]
        grouped.setdefault(resource.split("/")[1], []).append(record)
    return grouped
