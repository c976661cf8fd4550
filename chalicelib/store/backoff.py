"""The one retry policy of the store: capped exponential backoff with full jitter, bounded by a
number of tries and by the deadline of the request running here.

Every retry goes through it: single DynamoDB calls (botocore's own retries are off, see
`retries`), the UnprocessedItems / UnprocessedKeys of batch calls, and the mutation layer's
re-planning after a transaction conflict or a version race.

After `tries` failed tries, the next waits uniform(0, min(cap, base * 2**tries)) seconds, unless
it is not to be made: `GaveUp` is raised when `attempts` tries have been made, or when now, plus
the wait, plus one try at its slowest (`call_seconds`: the connect timeout plus the read timeout)
would pass the deadline. So every retry ends, whatever DynamoDB does, by the deadline. A first try
is always made: a request near its deadline still gets its answer, usually milliseconds away.

The arithmetic with the defaults (`StoreConfig`: 1 s to connect and 3 s to read, so 4 s for a try
at its slowest; 8 tries; waits of at most 0.1, 0.2, 0.4, 0.8, 1.6, 2 and 2 s, 7.1 s in all), for
one call in a request with the default 25 s deadline:
- refused at once (throttling): 8 tries, and at most 7.1 s of waiting;
- timing out every time: try k ends by 4k s plus the waits before it, so by 4, 8.1, 12.3, 16.7
  and 21.5 s; a 6th would end by 21.5 + 1.6 + 4 = 27.1 s, past 25 s, so the call gives up at
  21.5 s at the latest: 5 tries, inside the deadline and API Gateway's 29 s.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

_deadline: ContextVar[float | None] = ContextVar("dynamodb_deadline", default=None)


@contextmanager
def deadline(at: float | None) -> Iterator[None]:
    """Retries made in this block (this request) end by `at`, a time.monotonic() value; None: no limit."""
    token = _deadline.set(at)
    try:
        yield
    finally:
        _deadline.reset(token)


class GaveUp(Exception):
    """DynamoDB kept declining: after `attempts` tries, or as the deadline came."""


@dataclass
class Backoff:
    base_seconds: float = 0.05
    cap_seconds: float = 2.0
    attempts: int = 8
    # One try at its slowest: a retry is made only if it would end by the deadline.
    call_seconds: float = 0.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    clock: Callable[[], float] = field(default=time.monotonic)

    def wait(self, tries: int, what: str) -> None:
        """Wait before try number `tries + 1` of `what`, `tries` having failed, or give up."""
        if tries >= self.attempts:
            raise GaveUp(f"{what}: declined {tries} times")
        delay = random.uniform(0, min(self.cap_seconds, self.base_seconds * 2**tries))
        at = _deadline.get()
        if at is not None and self.clock() + delay + self.call_seconds > at:
            raise GaveUp(f"{what}: declined {tries} times and the deadline is near")
        self.sleep(delay)
