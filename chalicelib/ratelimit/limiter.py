"""A fixed-window request limit per caller, counted locally and shared through DynamoDB.

Every instance (Lambda container, `make run` process) keeps, per caller, what it knows of the
caller's shared count (`known`, as DynamoDB last answered) and the requests it admitted since
(`pending`, and `flushing` while they are being added). A request is decided from that, in
memory, under one lock; the shared count is updated only:

- every `sync_every` requests of a caller (the request that fills the batch pays one UpdateItem),
- on every request once the caller is within `sync_every` of its limit,
- one update of a caller's count at a time: a request that must update the count while another
  update is under way waits for it (only where one instance serves requests at once, `make run`;
  a Lambda container serves one), then decides on what it returned.

The request that updates the count is admitted only if the count, it included, is within the
limit. A caller already at its limit is refused from memory, without a round trip. An instance
never has more than `sync_every - 1` admitted requests that the shared count does not hold yet,
and once it learns the caller is over, it refuses; so a caller served by C instances may get at
most C * (sync_every - 1) requests past its limit in a window. By one instance (`make run`),
none: its own count of what it admitted is exact. Windows are fixed (aligned on the epoch, the same for every
instance): a caller may spend one window's limit at its end and the next one's at the start.

If DynamoDB cannot be reached, requests are admitted (a limiter must not take the API down) and
their count is kept to be added with the next update.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.ratelimit.windows import WindowCounts
from chalicelib.store.backoff import GaveUp

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimits:
    """Requests per caller per window; 0 is no limit. API keys (servers, operators) have their own."""

    requests: int = 1200
    api_key_requests: int = 12000
    window_seconds: int = 60
    sync_every: int = 10

    def limit_for(self, caller: str) -> int:
        return self.api_key_requests if caller.startswith("key:") else self.requests


@dataclass(frozen=True)
class Decision:
    admitted: bool
    # Whole seconds until the window ends, when refused (HTTP's Retry-After).
    retry_after: int = 0


ADMITTED = Decision(True)


@dataclass
class _Caller:
    known: int = 0
    pending: int = 0
    flushing: int = 0
    updating: threading.Lock = field(default_factory=threading.Lock)

    @property
    def estimate(self) -> int:
        """At least every request of this caller counted so far, here and (as last known) elsewhere."""
        return self.known + self.pending + self.flushing


class Limiter:
    def __init__(self, limits: RateLimits, counts: WindowCounts, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.counts = counts
        self.clock = clock
        self._lock = threading.Lock()
        self._window = -1
        # Only the current window's callers: memory is bounded by the callers of one window.
        self._callers: dict[str, _Caller] = {}

    def admit(self, caller: str) -> Decision:
        limit = self.limits.limit_for(caller)
        if limit <= 0:
            return ADMITTED
        now = self.clock()
        window = int(now // self.limits.window_seconds)
        with self._lock:
            if window != self._window:
                self._window, self._callers = window, {}
            state = self._callers.setdefault(caller, _Caller())
            if state.estimate >= limit:
                return self._refused(now, window)
            # Admitted from memory only while fewer than `sync_every` requests are unknown elsewhere
            # (pending, or being added).
            near = state.estimate >= limit - self.limits.sync_every
            if not near and state.pending + state.flushing + 1 < self.limits.sync_every:
                state.pending += 1
                return ADMITTED
        # One update of a caller's count at a time: the count an update returns then holds no
        # addition still counted here as under way (counted twice, it refused requests below the
        # limit). A request that must update waits for the one under way, then decides afresh.
        with state.updating:
            with self._lock:
                if state.estimate >= limit:
                    return self._refused(now, window)
                amount, state.pending = state.pending + 1, 0
                state.flushing += amount
            total = self._add(caller, window, amount, state)
        # The request that updates the count is admitted only if the count, it included, is within
        # the limit; the ones it carries were admitted already.
        if total is not None and total > limit:
            return self._refused(now, window)
        return ADMITTED

    def _add(self, caller: str, window: int, amount: int, state: _Caller) -> int | None:
        """Add `amount` to the shared count; the count after, or None when DynamoDB is unreachable."""
        try:
            total = self.counts.add(caller, window, amount)
        except (ClientError, BotoCoreError, GaveUp) as error:
            LOG.warning("rate limit count not updated: %s", type(error).__name__)
            with self._lock:
                state.flushing -= amount
                state.pending += amount
            return None
        with self._lock:
            state.flushing -= amount
            state.known = max(state.known, total)
        return total

    def _refused(self, now: float, window: int) -> Decision:
        return refusal(now, window, self.limits.window_seconds)


def refusal(now: float, window: int, window_seconds: int) -> Decision:
    """A request refused at `now` until `window` (of `window_seconds`) ends."""
    ends = (window + 1) * window_seconds
    return Decision(False, max(1, math.ceil(ends - now)))
