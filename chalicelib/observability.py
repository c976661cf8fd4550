"""Structured logs and metrics with AWS Lambda Powertools.

One JSON log line per GraphQL request (per entry of a batch), with the request id and trace id,
what was asked (the operation's name, type and root fields) and by whom (the caller's roles), its
status, duration, DynamoDB calls and error codes; and CloudWatch metrics (embedded metric format)
for requests, errors and DynamoDB calls. Nothing a client sent is logged beyond those names: no
query text or arguments (literals may hold passwords), no variables, no headers, no tokens.
Set POWERTOOLS_METRICS_DISABLED=true to keep metrics off stdout (the local server does).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.api.execution import GraphQLResponse
from chalicelib.http.tracing import Trace
from chalicelib.store.calls import counting_here

SERVICE = "shoreline"
logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Shoreline", service=SERVICE)
# Client-chosen names are cut to this length in the log.
MAX_NAME = 100


@dataclass
class Observation:
    """What the log line says about one request, filled in as it runs."""

    response: GraphQLResponse | None = None
    status: int = 0
    # For an entry of a batch: its position, and the batch's size.
    batch: tuple[int, int] | None = None


@contextmanager
def observe(request_id: str, trace: Trace, body: Any) -> Iterator[Observation]:
    name = body.get("operationName") if isinstance(body, dict) else None
    observation = Observation()
    started = time.perf_counter()
    with counting_here() as calls:
        yield observation
    elapsed = (time.perf_counter() - started) * 1000
    response = observation.response
    operation = response.operation if response else None
    codes = error_codes(response.body) if response else []
    root_fields = [f[:MAX_NAME] for f in operation.root_fields] if operation else []
    summary = f"{operation.type} {','.join(root_fields)}" if operation else None
    line: dict[str, Any] = {
        "request_id": request_id,
        "trace_id": trace.trace_id,
        "parent_span_id": trace.parent_id,
        "span_id": trace.span_id,
        # The client's name for the operation, else what it does: "mutation signUp".
        "operation": (name[:MAX_NAME] if isinstance(name, str) and name else summary) or "unknown",
        "operation_type": operation.type if operation else None,
        "root_fields": root_fields,
        "roles": list(response.roles) if response else [],
        "status": observation.status,
        "duration_ms": round(elapsed, 2),
        "dynamodb_calls": dict(calls.counts),
        "error_codes": codes,
    }
    if observation.batch is not None:
        line["batch_index"], line["batch_size"] = observation.batch
    logger.info("graphql request", extra=line)
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=len(codes))
    metrics.add_metric(name="DynamoDBCalls", unit=MetricUnit.Count, value=calls.total)
    metrics.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=elapsed)
    metrics.flush_metrics()


def error_codes(result: dict[str, Any]) -> list[str]:
    return [str((e.get("extensions") or {}).get("code")) for e in result.get("errors") or []]
