"""Per-account limits on failed logins: after `limit` failures in a window, further attempts are
refused (even with the right password) until the window ends. Keyed by the email given, so an
unknown email behaves exactly like a known one."""

from __future__ import annotations

import hashlib
import time

from pynamodb.expressions.operand import Path

from chalicelib.store.tables import ThrottleBase

LIMIT = 5
WINDOW_SECONDS = 15 * 60


class LoginThrottle:
    """Every attempt is counted before the password is checked, atomically, so that concurrent
    attempts cannot all slip under the limit; a successful login clears the count."""

    def __init__(self, table: type[ThrottleBase], limit: int = LIMIT, window: int = WINDOW_SECONDS) -> None:
        self.table = table
        self.limit = limit
        self.window = window

    def attempt(self, email: str) -> bool:
        """Count an attempt for `email`; False when it is over the limit and must be refused."""
        item = self.table(self._key(email))
        expires = (int(time.time()) // self.window + 2) * self.window
        item.update(actions=[Path("failures").add({"N": "1"}), Path("_ttl").set({"N": str(expires)})])
        return int(item.failures or 0) <= self.limit

    def succeeded(self, email: str) -> None:
        self.table(self._key(email)).delete()

    def _key(self, email: str) -> str:
        # The window is part of the key: a new window starts from zero without a reset write.
        window = int(time.time()) // self.window
        account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return f"login#{account}#{window}"
