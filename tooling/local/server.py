"""The local HTTP server: Chalice's local gateway on a threaded server without Nagle's delay.

Chalice's own handler writes headers and body in separate sends; on a kept-alive connection,
Nagle's algorithm holds the second send until the client's delayed ACK, about 40-50 ms per
request. Setting TCP_NODELAY on each connection removes that stall.

It also serves GraphiQL's libraries, which the Lambda package leaves out (chalicelib/explorer), so
the explorer works offline.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from chalice import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice, LocalDevServer, ThreadedHTTPServer

from chalicelib.explorer import LIBRARIES
from tooling.local.websocket import Hub

GRAPHIQL = Path(__file__).resolve().parent / "graphiql"
CONTENT_TYPES = {".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@cache
def _library(name: str) -> bytes:
    return (GRAPHIQL / name).read_bytes()


class NoDelayRequestHandler(ChaliceRequestHandler):
    disable_nagle_algorithm = True
    # The WebSocket connections of the same port (`make run`), when served.
    websockets: Hub | None = None

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.websockets is not None and self.websockets.wants(self):
            self.close_connection = True
            self.websockets.serve(self)
            return
        path = urlsplit(self.path).path
        for library in LIBRARIES:
            if path == f"/graphql/assets/{library.name}":
                self._send_library(library.name)
                return
        self._generic_handle()

    def _send_library(self, name: str) -> None:
        body = _library(name)
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES[Path(name).suffix])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=86400")
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadedHTTPServer):
    # socketserver's default backlog of 5 resets connections when a burst of clients connects at once.
    request_queue_size = 128


class ThreadLocalChalice(LocalChalice):
    """`current_request` per thread: Lambda runs one request per process, this server many at once."""


def make_server(app: Chalice, host: str, port: int, websockets: Hub | None = None) -> LocalDevServer:
    """A server for `app` on `host:port` (port 0 picks a free one: see `server_port`), and for
    `websockets` on the same port when given."""
    app.__class__ = ThreadLocalChalice
    config = Config.create(chalice_stage="local", app_name=app.app_name, lambda_timeout=29)
    handler = NoDelayRequestHandler
    if websockets is not None:

        class WebSocketRequestHandler(NoDelayRequestHandler):
            pass

        WebSocketRequestHandler.websockets = websockets
        handler = WebSocketRequestHandler
    return LocalDevServer(app, config, host, port, handler_cls=handler, server_cls=Server)


def server_port(server: LocalDevServer) -> int:
    return int(server.server.server_address[1])
