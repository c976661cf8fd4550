"""What every benchmark needs: an embedded DynamoDB, a service on a schema, call counting, timing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from chalicelib.access.api_keys import ApiKeys
from chalicelib.service import Service
from chalicelib.settings import Settings
from chalicelib.store.calls import CallLog
from chalicelib.store.calls import counting as store_counting
from chalicelib.store.tables import StoreConfig
from tooling.local.dynamodb import LocalDynamoDB

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key"
ADMIN = {"Authorization": f"Bearer {KEY}"}


def service(dynamodb: LocalDynamoDB, schema: str, prefix: str) -> Service:
    settings = Settings(
        schema_path=ROOT / schema,
        stage="bench",
        store=StoreConfig(table_prefix=prefix, region="us-east-1", endpoint_url=dynamodb.url),
        api_keys=ApiKeys.from_plain([KEY]),
    )
    built = Service(settings)
    built.tables.create_all()
    return built


def run(api: Service, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = api.handle({"query": query, "variables": variables}, ADMIN).body
    if "errors" in body:
        raise RuntimeError(f"benchmark query failed: {body['errors']}")
    data: dict[str, Any] = body["data"]
    return data


def counting(api: Service) -> AbstractContextManager[CallLog]:
    return store_counting(api.tables.clients())


def paired_medians(
    a: Callable[[], object], b: Callable[[], object], repeat: int, warmup: int = 20
) -> tuple[float, float]:
    """Median seconds of `a` and of `b`, run alternately so that drift in the machine hits both alike."""
    for _ in range(warmup):
        a()
        b()
    samples = paired(a, b, repeat)
    return statistics.median(samples[0]), statistics.median(samples[1])


def paired(a: Callable[[], object], b: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Seconds of each run of `a` and of `b`, alternately, so that drift in the machine hits both alike."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for action, into in ((a, samples[0]), (b, samples[1])):
            start = time.perf_counter()
            action()
            into.append(time.perf_counter() - start)
    return samples


def calls_text(log: CallLog) -> str:
    return ", ".join(f"{count} {name}" for name, count in sorted(log.counts.items())) or "none"
