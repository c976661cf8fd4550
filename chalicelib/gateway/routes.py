"""The deployed transport's Lambda entry points on the Chalice app: the WebSocket API's three
routes (Chalice makes one function of each: `<app>-<stage>-websocket_connect`, `_message`,
`_disconnect`) and the stream handler (`<app>-<stage>-<STREAM_FUNCTION>`), whose event source
mappings, one per model table, the packaged template adds (tooling/deploy/package.py), as
Chalice's own `on_dynamodb_record` needs a stream ARN fixed before the tables exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Chalice
from chalice.app import WebsocketEvent

from chalicelib.gateway.connections import ConnectionsByEndpoint
from chalicelib.gateway.handlers import Gateway

if TYPE_CHECKING:
    from chalicelib.service import Service

STREAM_FUNCTION = "stream_delivery"
# Chalice's names of the WebSocket API's functions (and of their handlers, which app.py exports).
WEBSOCKET_FUNCTIONS = ["websocket_connect", "websocket_message", "websocket_disconnect"]
FUNCTIONS = [*WEBSOCKET_FUNCTIONS, STREAM_FUNCTION]


def add_routes(app: Chalice, service: Service, connections: ConnectionsByEndpoint | None = None) -> Gateway:
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    gateway = Gateway(service, connections or ConnectionsByEndpoint())

    @app.on_ws_connect()
    def websocket_connect(event: WebsocketEvent) -> dict[str, Any]:
        # A dict is returned to API Gateway as it is: here with the subprotocol's header.
        return gateway.connect(event.to_dict())

    @app.on_ws_message()
    def websocket_message(event: WebsocketEvent) -> dict[str, Any]:
        return gateway.message(event.to_dict())

    @app.on_ws_disconnect()
    def websocket_disconnect(event: WebsocketEvent) -> dict[str, Any]:
        return gateway.disconnect(event.to_dict())

    @app.lambda_function(name=STREAM_FUNCTION)
    def stream_delivery(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001 (Lambda's signature)
        return gateway.stream(event)

    return gateway
