"""Observing DynamoDB round trips, the cost model of every operation."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


class CallLog:
    """A botocore `before-call` hook that counts DynamoDB operations by name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def __call__(self, model: Any, **_kwargs: Any) -> None:
        with self._lock:
            self.counts[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()


def watch(client: Any, hook: Any) -> None:
    client.meta.events.register("before-call.dynamodb", hook)


def unwatch(client: Any, hook: Any) -> None:
    client.meta.events.unregister("before-call.dynamodb", hook)


@contextmanager
def counting(clients: Iterable[Any]) -> Iterator[CallLog]:
    """Count the DynamoDB calls made through `clients` inside the block."""
    log = CallLog()
    clients = list(clients)
    for client in clients:
        watch(client, log)
    try:
        yield log
    finally:
        for client in clients:
            unwatch(client, log)


_current: ContextVar[CallLog | None] = ContextVar("dynamodb_calls", default=None)


def current_hook(model: Any, **_kwargs: Any) -> None:
    """Registered once on the store's client: counts into the log of the request running here."""
    log = _current.get()
    if log is not None:
        log(model)


@contextmanager
def counting_here() -> Iterator[CallLog]:
    """Count the calls this thread (this request) makes inside the block, whatever others do."""
    log = CallLog()
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)
