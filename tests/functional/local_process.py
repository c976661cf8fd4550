"""The API as `make run` serves it, started in a child process (tooling/local/process.py) for tests
that talk to it from outside Python: a browser, the graphql-http audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tooling.local import process

KEY = "local-process-key"


@contextmanager
def serving(schema: str = "schema.graphql", **env: str) -> Iterator[str]:
    """The base URL (`http://127.0.0.1:<port>`) of a server on `schema`, stopped after the block."""
    with process.serving({"SCHEMA": schema, "ADMIN_API_KEY": KEY, **env}) as served:
        yield served.url
