"""Structured logs and metrics with AWS Lambda Powertools.

One JSON log line per GraphQL request, with the Lambda request id and the operation name, its
status, duration, DynamoDB calls and error codes; and CloudWatch metrics (embedded metric format)
for requests, errors and DynamoDB calls. Nothing a client sent is logged beyond the operation
name: no query text (literals may hold passwords), no variables, no headers, no tokens.
Set POWERTOOLS_METRICS_DISABLED=true to keep metrics off stdout (the local server does).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.store.calls import counting_here

SERVICE = "shoreline"
logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Shoreline", service=SERVICE)


@dataclass
class Observation:
    operation: str
    status: int = 0
    error_codes: list[str] = field(default_factory=list)


@contextmanager
def observe(request_id: str | None, body: Any) -> Iterator[Observation]:
    operation = body.get("operationName") if isinstance(body, dict) else None
    observation = Observation(operation=operation if isinstance(operation, str) else "anonymous")
    started = time.perf_counter()
    with counting_here() as calls:
        yield observation
    elapsed = (time.perf_counter() - started) * 1000
    logger.info(
        "graphql request",
        extra={
            "request_id": request_id,
            "operation": observation.operation[:100],
            "status": observation.status,
            "duration_ms": round(elapsed, 2),
            "dynamodb_calls": dict(calls.counts),
            "error_codes": observation.error_codes,
        },
    )
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=len(observation.error_codes))
    metrics.add_metric(name="DynamoDBCalls", unit=MetricUnit.Count, value=calls.total)
    metrics.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=elapsed)
    metrics.flush_metrics()


def error_codes(result: dict[str, Any]) -> list[str]:
    return [str((e.get("extensions") or {}).get("code")) for e in result.get("errors") or []]
