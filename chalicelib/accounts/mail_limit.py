"""At most `limit` account emails (reset, verification) to one address per window, however many
callers ask: a request over it is answered as any other, after the same calls, and mails nothing.

Every request counts, for a known address, an unknown one and one already over the limit alike:
one UpdateItem of the address's window item in the throttle table (chalicelib/ratelimit/windows.py,
keyed by a hash of the address, removed by DynamoDB's TTL once the window has passed).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.ratelimit.windows import WindowCounts


class MailLimit:
    def __init__(self, counts: WindowCounts, limit: int, clock: Callable[[], float] = time.time) -> None:
        self.counts = counts
        self.limit = limit
        self.clock = clock

    def allows(self, address: str) -> bool:
        """Count a message asked for `address`; whether it may be sent (0 is no limit: no count)."""
        if self.limit <= 0:
            return True
        window = int(self.clock() // self.counts.window_seconds)
        return self.counts.add("mail:" + address, window, 1) <= self.limit
