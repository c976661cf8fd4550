"""An embedded DynamoDB: moto's server on a loopback port, in a thread of this process.

It serves one request at a time. moto applies a request in several steps without a lock, so
concurrent requests could interleave inside a transaction; one at a time gives each request the
atomicity DynamoDB itself guarantees, which the uniqueness and condition logic relies on.

moto itself is patched first (see moto_patch): transactions cost what they touch, memory holds
the data stored, and a resent transaction is applied once.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from moto.backends import get_backend
from werkzeug.serving import BaseWSGIServer, make_server

from tooling.local import moto_patch
from tooling.local.moto_dispatch import Dispatcher

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# moto accepts any credentials; botocore only needs some to sign requests.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
# The collector's thresholds (new objects before a young collection; young, then middle collections
# before an older one) in a process serving the embedded DynamoDB. It holds every item as Python
# objects, and at CPython's defaults (700, 10, 10) a full collection, which traverses all of them,
# came about every 5,000 records written (170 ms each at 20,000 items): with the young
# collections, a fifth of the server's CPU in an updateMany.
COLLECTOR_THRESHOLDS = (50_000, 20, 10)


def collect_less() -> None:
    """Set this process's collector to COLLECTOR_THRESHOLDS: for a process that serves the embedded DynamoDB."""
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


class LocalDynamoDB:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_patch.apply()
        # Held while a request is answered: what reads moto's data from another thread (kept_data)
        # takes it, to read between two requests.
        self.lock = threading.Lock()
        self._server: BaseWSGIServer = make_server(host, port, self._locked(Dispatcher()), threaded=False)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-dynamodb", daemon=True)

    def _locked(self, app: WSGIApplication) -> WSGIApplication:
        def locked(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            with self.lock:
                return app(environ, start_response)

        return locked

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> LocalDynamoDB:
        for name, value in LOCAL_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        self._thread.start()
        return self

    def reset(self) -> None:
        """Drop every table: a clean DynamoDB, without restarting the server."""
        get_backend("dynamodb").reset()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_forever(port: int) -> None:
    """Run the embedded DynamoDB alone, as its own process (benchmarks measure the API apart from it)."""
    collect_less()
    server = LocalDynamoDB(port=port).start()
    print(server.url, flush=True)
    threading.Event().wait()
