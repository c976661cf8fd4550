"""The API as `make run` serves it (`python -m chalicelib serve`), started in a child process for
tests that talk to it from outside Python: a browser, the graphql-http audit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import ROOT

KEY = "local-process-key"
READY_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(schema: str = "schema.graphql", **env: str) -> Iterator[str]:
    """The base URL (`http://127.0.0.1:<port>`) of a server on `schema`, stopped after the block."""
    port = free_port()
    environment = {**os.environ, "PORT": str(port), "SCHEMA": schema, "ADMIN_API_KEY": KEY, **env}
    environment.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "chalicelib", "serve"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        for line in process.stdout:
            lines.append(line)
            if "ready at" in line:
                break
        else:
            pytest.fail("the server exited before it was ready:\n" + "".join(lines))
        # Its request log goes on: read it, or the server blocks once the pipe is full.
        threading.Thread(target=lines.extend, args=(process.stdout,), daemon=True).start()
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
