"""Start-up with the garbage collector paused.

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
