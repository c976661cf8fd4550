"""Start-up: with the garbage collector paused, and refusing in one line what cannot start.

Building the service makes a few hundred thousand objects (modules, the registry, the schema, its
resolvers) that live as long as the process. While they are being made, the collector would walk
them again and again (about a sixth of a cold start); afterwards, at every full collection. So it
pauses while they are made, and they are then moved out of its reach for good (`gc.freeze`): the
cycles made during start-up, few and small, are never reclaimed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        gc.enable()


@contextmanager
def refusing() -> Iterator[None]:
    """A stage that cannot start (a StartupError: a secret missing, tables not at the schema) or a
    bad schema stops the process with its one-line message, and no traceback: the message says
    what to do, a traceback would only bury it."""
    from chalicelib.schema import SchemaError
    from chalicelib.settings import StartupError

    try:
        yield
    except (StartupError, SchemaError) as error:
        raise SystemExit(f"shoreline: {error}") from None
