"""At most `limit` requests of one kind per name per window, however many instances serve them:
account emails per address (chalicelib/accounts), upload targets per caller (chalicelib/files).

Every request counts, one over the limit too: one UpdateItem of the name's window item in the
throttle table (windows.py, keyed by a hash of the kind and name, removed by DynamoDB's TTL once
the window has passed). Unlike the request rate limit, it is exact: it keeps no count in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.ratelimit.limiter import ADMITTED, Decision, refusal
from chalicelib.ratelimit.windows import WindowCounts


class Quota:
    def __init__(self, counts: WindowCounts, limit: int, kind: str, clock: Callable[[], float] = time.time) -> None:
        self.counts = counts
        self.limit = limit
        self.kind = kind
        self.clock = clock

    def take(self, name: str) -> Decision:
        """Count a request of `name`; admitted while within the limit (0 is no limit: no count)."""
        if self.limit <= 0:
            return ADMITTED
        now = self.clock()
        window = int(now // self.counts.window_seconds)
        if self.counts.add(f"{self.kind}:{name}", window, 1) <= self.limit:
            return ADMITTED
        return refusal(now, window, self.counts.window_seconds)
