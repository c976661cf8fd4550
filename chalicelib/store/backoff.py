"""Retrying what DynamoDB declined for now: capped exponential backoff with full jitter.

Used for throttling errors and the UnprocessedItems / UnprocessedKeys of batch calls. A delay
never runs past the caller's deadline: when the next wait would, the failure is raised.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

THROTTLING = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)


class GaveUp(Exception):
    """DynamoDB kept declining: after `attempts` tries, or as the deadline came."""


@dataclass
class Backoff:
    base_seconds: float = 0.05
    cap_seconds: float = 2.0
    attempts: int = 8
    deadline: float | None = None  # time.monotonic() value
    sleep: Callable[[float], None] = field(default=time.sleep)
    tries: int = 0

    def wait(self, what: str) -> None:
        """Wait before try number `tries + 1`, or give up."""
        self.tries += 1
        if self.tries >= self.attempts:
            raise GaveUp(f"{what}: DynamoDB declined {self.tries} times")
        delay = random.uniform(0, min(self.cap_seconds, self.base_seconds * 2**self.tries))
        if self.deadline is not None and time.monotonic() + delay > self.deadline:
            raise GaveUp(f"{what}: DynamoDB declined and the deadline is near")
        self.sleep(delay)
