"""A floor under an answer's time, so that how long it takes says nothing of what it found.

The actions that take an email (sendResetPassword, sendVerifyEmail) do the same reads and writes
for an unknown address as for a known one, but only a known one sends mail; sending (SES: a call
to another service) is what would tell them apart. Each answer takes at least the floor.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def at_least(seconds: float) -> Iterator[None]:
    started = time.monotonic()
    yield
    remaining = seconds - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
