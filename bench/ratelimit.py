"""What the rate limiter adds to a request: the same requests through a service without limits
and one with them, run alternately in one process on one embedded DynamoDB, side by side; the
limiter's decision alone; and the shared count's updates per 100 requests (one in `sync_every`
requests pays an UpdateItem, the others none).

The median is the request that decides from memory; the mean carries the update every
`sync_every`-th request makes (against the embedded DynamoDB, slower than the service's).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from functools import partial

from bench.harness import ADMIN, counting, paired, run, service
from chalicelib.ratelimit.limiter import Limiter, RateLimits
from chalicelib.service import Service
from tooling.local.dynamodb import LocalDynamoDB

# High enough that no request of the benchmark is refused: what is measured is the admitting path.
LIMITS = RateLimits(requests=10**9, api_key_requests=10**9, window_seconds=3600, sync_every=10)
EMPTY = "{ __typename }"
READ = "query ($id: ID!) { user(id: $id) { email } }"


def decision_micros(limiter: Limiter, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        limiter.admit("session:bench")
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def main(repeat: int) -> None:
    dynamodb = LocalDynamoDB().start()
    try:
        plain = service(dynamodb, "schema.graphql", "bench-ratelimit-")
        guarded = Service(replace(plain.settings, rate_limits=LIMITS))
        created = run(plain, 'mutation { createUser(input: {data: {email: "b@example.com"}}) { data { id } } }')
        user_id = created["createUser"]["data"]["id"]
        print(f"rate limiter (limit far off; the shared count updated every {LIMITS.sync_every} requests)")
        print(f"{'request':<16}{'':<8}{'no limiter':>12}{'limiter':>12}{'added':>12}")
        for label, query, variables in (("{ __typename }", EMPTY, None), ("user(id:)", READ, {"id": user_id})):
            body = {"query": query, "variables": variables}
            for _ in range(20):
                plain.handle(body, ADMIN)
                guarded.handle(body, ADMIN)
            off, on = paired(partial(plain.handle, body, ADMIN), partial(guarded.handle, body, ADMIN), repeat)
            for name, measure in (("median", statistics.median), ("mean", statistics.fmean)):
                a, b = measure(off), measure(on)
                print(f"{label:<16}{name:<8}{a * 1e3:>9.3f} ms{b * 1e3:>9.3f} ms{(b - a) * 1e3:>9.3f} ms")
        assert guarded.limiter is not None
        # Never due for an update: the decision from memory that most requests make.
        never = RateLimits(requests=10**15, api_key_requests=10**15, window_seconds=3600, sync_every=10**9)
        print(
            f"the decision alone, from memory: {decision_micros(Limiter(never, guarded.limiter.counts), repeat):.1f} µs"
        )
        with counting(guarded) as log:
            for _ in range(100):
                guarded.handle({"query": EMPTY}, ADMIN)
        print(f"DynamoDB calls of 100 requests `{EMPTY}`: {dict(log.counts) or 'none'}")
    finally:
        dynamodb.stop()
