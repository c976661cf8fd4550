"""DynamoDB's answers faked where botocore's retry loop sees them: `before-send` hooks.

A `before-call` hook or a Stubber answers above the loop, so what it answers is never retried; an
answer given here (an error response, or a timeout raised) is handled as DynamoDB's own would be.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from tests.conftest import Api


class _Body:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self.body


def error_response(code: str, message: str = "declined", **extra: Any) -> AWSResponse:
    """DynamoDB's error answer with `code` (500 for InternalServerError, else 400), and `extra` fields."""
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message, **extra})
    status = 500 if code == "InternalServerError" else 400
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fake"}
    return AWSResponse("http://dynamodb", status, headers, _Body(body.encode()))


def operation_of(event_name: str) -> str:
    """`PutItem` of `before-send.dynamodb.PutItem`."""
    return event_name.rsplit(".", 1)[-1]


@dataclass
class Declining:
    """Answers the first `times` tries of `operations` (all of them when `times` is None) with
    `code`, and counts every try sent of those operations (declined or not), by operation."""

    operations: frozenset[str]
    code: str = "ProvisionedThroughputExceededException"
    times: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    sent: Counter[str] = field(default_factory=Counter)
    bodies: list[bytes] = field(default_factory=list)

    def __call__(self, request: Any, event_name: str, **_kwargs: Any) -> AWSResponse | None:
        operation = operation_of(event_name)
        if operation not in self.operations:
            return None
        self.sent[operation] += 1
        self.bodies.append(request.body)
        if self.times is not None and sum(self.sent.values()) > self.times:
            return None
        return error_response(self.code, **self.fields)


@contextmanager
def answering(api: Api, hook: Callable[..., Any]) -> Iterator[None]:
    """`hook` on the store's one client, for the block, as DynamoDB's answer to what it sends."""
    (client,) = api.service.tables.clients()
    client.meta.events.register("before-send.dynamodb", hook)
    try:
        yield
    finally:
        client.meta.events.unregister("before-send.dynamodb", hook)


def recorded_waits(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The store's retry policy records its waits instead of sleeping them (for the test)."""
    waits: list[float] = []
    monkeypatch.setattr(api.service.store.backoff, "sleep", waits.append)
    return waits


@dataclass
class LosingFirstReply:
    """Sends the first try of `operation` to DynamoDB for real, then loses its reply: the caller
    times out although the write landed, and botocore sends it again."""

    operation: str
    lost: int = 0

    def __call__(self, request: Any, event_name: str, **_kwargs: Any) -> AWSResponse | None:
        if operation_of(event_name) != self.operation or self.lost:
            return None
        self.lost += 1
        delivered = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers), method="POST")
        with urllib.request.urlopen(delivered, timeout=30) as reply:
            reply.read()
        raise ReadTimeoutError(endpoint_url=request.url)
