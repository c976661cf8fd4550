"""WebSockets on the local server's own port: `ws://127.0.0.1:$PORT/graphql` speaks the GraphQL
over WebSocket protocol (subscriptions/protocol.py), framed by wsproto (a development requirement,
as all of tooling/local is). Chalice's local server has no WebSocket; its request handler hands
an upgrade request here, and the connection's thread then reads its messages until it closes.
The stream reader's thread sends the events, each connection's writes held in turn by its lock."""

from __future__ import annotations

import json
import logging
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, Event, Ping, Request, TextMessage

from chalicelib.subscriptions.delivery import Delivery
from chalicelib.subscriptions.protocol import (
    BAD_REQUEST,
    INIT_TIMEOUT,
    SUBPROTOCOL,
    SUBPROTOCOL_NOT_ACCEPTABLE,
    Conversation,
)
from chalicelib.subscriptions.state import SubscriptionState

if TYPE_CHECKING:
    from chalicelib.service import Service

PATH = "/graphql"
# graphql-ws closes a connection not initialised in time (its default is 3 s).
INIT_SECONDS = 10.0
READ_BYTES = 65536
LOG = logging.getLogger("shoreline.websocket")


class Connection:
    def __init__(self, sock: socket.socket, ws: WSConnection) -> None:
        self.id = uuid.uuid4().hex
        self.sock = sock
        self.ws = ws
        self.lock = threading.Lock()

    def send_json(self, message: dict[str, Any]) -> None:
        self._send(TextMessage(data=json.dumps(message)))

    def send(self, message: dict[str, Any]) -> bool:
        """For delivery: False once the connection is gone."""
        try:
            self.send_json(message)
        except (OSError, RuntimeError, ValueError):
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        try:
            self._send(CloseConnection(code=code, reason=reason))
            self.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, RuntimeError, ValueError):
            pass

    def _send(self, event: Event) -> None:
        with self.lock:
            if self.ws.state is not ConnectionState.OPEN:
                raise RuntimeError("the connection is closing")
            self.sock.sendall(self.ws.send(event))

    def take(self, data: bytes | None) -> list[Event]:
        with self.lock:
            self.ws.receive_data(data)
            return list(self.ws.events())


class Hub:
    """The open WebSocket connections of the local server, and the delivery of events to them."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.state = SubscriptionState(service.tables.subscriptions)
        self.delivery = Delivery(service, self.state, self.send)
        self._connections: dict[str, Connection] = {}

    def send(self, connection: str, message: dict[str, Any]) -> bool:
        found = self._connections.get(connection)
        return found is not None and found.send(message)

    @staticmethod
    def wants(handler: BaseHTTPRequestHandler) -> bool:
        """Whether a request asks to upgrade `/graphql` to a WebSocket."""
        upgrade = (handler.headers.get("Upgrade") or "").lower()
        return upgrade == "websocket" and handler.path.split("?", 1)[0] == PATH

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer the upgrade, then hold the conversation until either side closes."""
        ws = WSConnection(ConnectionType.SERVER)
        head = handler.requestline + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in handler.headers.items()) + "\r\n"
        ws.receive_data(head.encode("latin-1"))
        request = next((e for e in ws.events() if isinstance(e, Request)), None)
        if request is None:
            return
        offered = SUBPROTOCOL in request.subprotocols
        sock = handler.connection
        sock.sendall(ws.send(AcceptConnection(subprotocol=SUBPROTOCOL if offered else None)))
        connection = Connection(sock, ws)
        if not offered:
            connection.close(SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        conversation = Conversation(self.service, self.state, connection.id, connection.send_json, connection.close)
        self._connections[connection.id] = connection

        def unless_initialised() -> None:
            if not conversation.initialised:
                connection.close(INIT_TIMEOUT, "Connection initialisation timeout")

        timer = threading.Timer(INIT_SECONDS, unless_initialised)
        timer.daemon = True
        timer.start()
        try:
            self._converse(connection, conversation)
        finally:
            timer.cancel()
            self._connections.pop(connection.id, None)
            try:
                conversation.ended()
            except Exception:
                LOG.exception("forgetting connection %s failed", connection.id)

    def _converse(self, connection: Connection, conversation: Conversation) -> None:
        text: list[str] = []
        while True:
            try:
                data = connection.sock.recv(READ_BYTES)
            except OSError:
                return
            for event in connection.take(data or None):
                if isinstance(event, TextMessage):
                    text.append(event.data)
                    if event.message_finished:
                        conversation.receive("".join(text))
                        text.clear()
                elif isinstance(event, BytesMessage):
                    connection.close(BAD_REQUEST, "Invalid message received")
                elif isinstance(event, Ping):
                    with connection.lock:
                        connection.sock.sendall(connection.ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    with connection.lock:
                        if connection.ws.state is ConnectionState.REMOTE_CLOSING:
                            connection.sock.sendall(connection.ws.send(event.response()))
                    return
            if not data:
                return
