"""The local server as `make run` starts it (`python -m chalicelib serve`), in a child process, for
what talks to it from outside Python's reach: tests over real HTTP, a browser, the graphql-http
audit, the benchmarks.

Each server gets a free port, and its own folder for the data it keeps (kept_data), removed when
it stops, unless `LOCAL_DATA_DIR` is given: servers side by side, or the project's own
`.local/data`, are never shared by accident.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from chalicelib.settings import PROJECT_ROOT

STOP_SECONDS = 30


class NotReady(Exception):
    """The server exited before it said it was ready; the message is what it printed."""


@dataclass(frozen=True)
class Served:
    process: subprocess.Popen[str]
    port: int
    # What it has printed so far (read on, in the background, for as long as it runs).
    output: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(env: Mapping[str, str], args: Sequence[str] = ()) -> Iterator[Served]:
    """A server with `env` added to this process's environment (the embedded DynamoDB, unless `env`
    names another), given `args`; stopped after the block as Ctrl-C would stop it."""
    with tempfile.TemporaryDirectory(prefix="shoreline-data-") as data:
        inherited = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL_DYNAMODB"}
        port = free_port()
        environment = {**inherited, "LOCAL_DATA_DIR": data, "PORT": str(port), **env}
        process = subprocess.Popen(
            [sys.executable, "-m", "chalicelib", "serve", *args],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield Served(process, port, _ready(process))
        finally:
            stop(process)


def _ready(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    output: list[str] = []
    for line in process.stdout:
        output.append(line)
        if "ready at" in line:
            # It logs a line per request: read on, or it blocks once the pipe is full.
            threading.Thread(target=output.extend, args=(process.stdout,), daemon=True).start()
            return output
    process.wait()
    raise NotReady("the server exited before it was ready:\n" + "".join(output))


def stop(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> int:
    """Stop it (if it still runs) with `signum`, killed if it outstays STOP_SECONDS; its exit status."""
    if process.poll() is None:
        process.send_signal(signum)
        try:
            return process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()
