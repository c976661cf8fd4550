"""Start-up: with the garbage collector paused, and refusing in one line what cannot start,
`chalice local` included.

Building the service makes a few hundred thousand objects (modules, the registry, the schema, its
resolvers) that live as long as the process. While they are being made, the collector would walk
them again and again (about a sixth of a cold start); afterwards, at every full collection. So it
pauses while they are made, and they are then moved out of its reach for good (`gc.freeze`): the
cycles made during start-up, few and small, are never reclaimed.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

CHALICE_LOCAL_REFUSED = (
    "shoreline: `chalice local` cannot serve this API (it has no DynamoDB of its own and no WebSockets, "
    "and a stage's settings name its real tables): run `make run`, which serves the same app"
)


@contextmanager
def collector_paused() -> Iterator[None]:
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        gc.enable()


@contextmanager
def refusing() -> Iterator[None]:
    """A stage that cannot start (a StartupError: a secret missing, tables not at the schema) or a
    bad schema stops the process with its one-line message, and no traceback: the message says
    what to do, a traceback would only bury it."""
    from chalicelib.schema import SchemaError
    from chalicelib.settings import StartupError

    try:
        yield
    except (StartupError, SchemaError) as error:
        raise SystemExit(f"shoreline: {error}") from None


def under_chalice_local(env: Mapping[str, str], argv: Sequence[str]) -> bool:
    """Whether this process is `chalice local`. Chalice's command line marks every one of its
    commands (`package` and `deploy` import the app too) with AWS_CHALICE_CLI_MODE; which command
    it is, only its arguments say: the first word that is no option of Chalice's own."""
    if env.get("AWS_CHALICE_CLI_MODE") != "true":
        return False
    words = iter(argv[1:])
    for word in words:
        if word == "--project-dir":
            next(words, None)
        elif not word.startswith("-"):
            return word == "local"
    return False


def refuse_chalice_local() -> None:
    """Stop `chalice local` in one line. Chalice's default (autoreload) imports the app in a thread
    of its worker process, where SystemExit would end only that thread and leave a server that
    answers nothing: there the process itself exits."""
    if not under_chalice_local(os.environ, sys.argv):
        return
    if threading.current_thread() is threading.main_thread():
        raise SystemExit(CHALICE_LOCAL_REFUSED)
    print(CHALICE_LOCAL_REFUSED, file=sys.stderr, flush=True)
    os._exit(1)
