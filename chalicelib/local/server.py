"""The local HTTP server: Chalice's local gateway on a threaded server without Nagle's delay.

Chalice's own handler writes headers and body in separate sends; on a kept-alive connection,
Nagle's algorithm holds the second send until the client's delayed ACK, about 40-50 ms per
request. Setting TCP_NODELAY on each connection removes that stall.
"""

from __future__ import annotations

from chalice import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer


class NoDelayRequestHandler(ChaliceRequestHandler):
    disable_nagle_algorithm = True


def make_server(app: Chalice, host: str, port: int) -> LocalDevServer:
    config = Config.create(chalice_stage="local", app_name=app.app_name, lambda_timeout=29)
    return LocalDevServer(app, config, host, port, handler_cls=NoDelayRequestHandler)
