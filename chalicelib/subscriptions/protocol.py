"""The GraphQL over WebSocket protocol (`graphql-transport-ws`, the graphql-ws library's), for one
connection, transport-free: text messages in; messages and a close out, through the callbacks.

`connection_init` carries `Authorization` in its payload as the HTTP header would; `subscribe`
opens a subscription (a query or mutation runs once: `next`, then `complete`); `complete` ends
one. Protocol errors close the connection with the library's codes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from graphql import OperationType

from chalicelib.access.context import RequestContext
from chalicelib.errors import ApiError
from chalicelib.subscriptions.identity import ANONYMOUS, Identity, context_of, identify
from chalicelib.subscriptions.registration import operation, register
from chalicelib.subscriptions.state import SubscriptionState

if TYPE_CHECKING:
    from chalicelib.service import Service

SUBPROTOCOL = "graphql-transport-ws"
# Close codes of graphql-transport-ws.
BAD_REQUEST = 4400
UNAUTHORIZED = 4401
FORBIDDEN = 4403
SUBPROTOCOL_NOT_ACCEPTABLE = 4406
INIT_TIMEOUT = 4408
SUBSCRIBER_EXISTS = 4409
TOO_MANY_INITS = 4429

Send = Callable[[dict[str, Any]], None]
Close = Callable[[int, str], None]


class Conversation:
    def __init__(self, service: Service, state: SubscriptionState, connection: str, send: Send, close: Close) -> None:
        self.service = service
        self.state = state
        self.connection = connection
        self._send = send
        self._close = close
        self.identity: Identity | None = None
        # Kept in memory for queries and mutations over the socket; never stored.
        self._authorization: str | None = None
        # The open subscriptions: each id, with its model.
        self.active: dict[str, str] = {}

    @classmethod
    def resume(
        cls, service: Service, state: SubscriptionState, connection: str, send: Send, close: Close
    ) -> Conversation:
        """The conversation of a connection whose messages each run in a fresh process (API
        Gateway's, one Lambda invocation per message): who the subscriber is and what it has
        open, from the stage's state."""
        conversation = cls(service, state, connection, send, close)
        conversation.identity = state.identity(connection)
        if conversation.identity is not None:
            conversation.active = state.subscriptions_of(connection)
        return conversation

    @property
    def initialised(self) -> bool:
        return self.identity is not None

    def receive(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            self._close(BAD_REQUEST, "Invalid message received")
            return
        kind = message["type"]
        if kind == "connection_init":
            self._init(message.get("payload"))
        elif kind == "ping":
            self._send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            self._subscribe(message)
        elif kind == "complete":
            self._complete(message.get("id"))
        else:
            self._close(BAD_REQUEST, f"Unexpected message of type {kind}")

    def ended(self) -> None:
        """The connection closed: forget it and its subscriptions."""
        if self.initialised:
            self.state.disconnect(self.connection)
        self.active.clear()

    def _init(self, payload: Any) -> None:
        if self.initialised:
            self._close(TOO_MANY_INITS, "Too many initialisation requests")
            return
        if payload is not None and not isinstance(payload, dict):
            self._close(BAD_REQUEST, "Invalid message received")
            return
        credential = authorization(payload or {})
        try:
            _, identity = identify(self.service, credential)
        except ApiError:
            self._close(FORBIDDEN, "Forbidden")
            return
        self.state.connect(self.connection, identity)
        self.identity = identity
        self._authorization = credential
        self._send({"type": "connection_ack"})

    def _subscribe(self, message: dict[str, Any]) -> None:
        if self.identity is None:
            self._close(UNAUTHORIZED, "Unauthorized")
            return
        subscription_id, request = message.get("id"), message.get("payload")
        if not isinstance(subscription_id, str) or not subscription_id or not isinstance(request, dict):
            self._close(BAD_REQUEST, "Invalid message received")
            return
        if subscription_id in self.active:
            self._close(SUBSCRIBER_EXISTS, f"Subscriber for {subscription_id} already exists")
            return
        found = operation(self.service, request)
        if isinstance(found, list):
            self._send({"id": subscription_id, "type": "error", "payload": found})
            return
        context = context_of(self.service, self.identity)
        if context is None:
            self._close(FORBIDDEN, "Forbidden")
            return
        if found.kind is not OperationType.SUBSCRIPTION:
            self._once(subscription_id, request, context)
            return
        opened = register(self.service, self.state, self.connection, subscription_id, context, request, found.document)
        if isinstance(opened, list):
            self._send({"id": subscription_id, "type": "error", "payload": opened})
            return
        self.active[subscription_id] = opened.model

    def _once(self, subscription_id: str, request: dict[str, Any], context: RequestContext) -> None:
        """A query or mutation over the socket: executed as over HTTP, with the connection's
        credential; where it is not at hand (a resumed conversation: it is never stored), as the
        subscriber it proved to be."""
        if self._authorization is not None or self.identity == ANONYMOUS:
            headers = {"Authorization": self._authorization} if self._authorization else {}
            response = self.service.handle(request, headers)
        else:
            response = self.service.handle_as(request, context)
        self._send({"id": subscription_id, "type": "next", "payload": response.body})
        self._send({"id": subscription_id, "type": "complete"})

    def _complete(self, subscription_id: Any) -> None:
        model = self.active.pop(subscription_id, None) if isinstance(subscription_id, str) else None
        if model is not None:
            self.state.unsubscribe(self.connection, subscription_id)


def authorization(payload: Mapping[str, Any]) -> str | None:
    """`Authorization` from a `connection_init` payload, under any case, or in its `headers`."""
    headers = payload.get("headers")
    sources: list[Mapping[str, Any]] = [payload, headers if isinstance(headers, dict) else {}]
    for source in sources:
        for key, value in source.items():
            if key.lower() == "authorization" and isinstance(value, str):
                return value
    return None
