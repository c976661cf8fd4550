"""Which objects of moto's S3 change, as the files kept on disk (kept_files) need to know.

Every object written goes through S3Backend.put_object: PutObject, a presigned POST, CopyObject
(which puts the copy) and a completed multipart upload alike; every object removed goes through
S3Backend.delete_object, each key of a DeleteObjects too. Each is wrapped to tell the listeners
the bucket and key once it has run, whether it succeeded or not: a presigned POST sets the
object's type only after put_object returns, so a listener is told where to look, not what is
there, and reads the object itself later (between two requests).

The patch relies on moto's code as it is in the pinned version: `PINNED` names what moto_patch
checks before applying it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.s3.models import S3Backend

# (backend, bucket name, key).
Listener = Callable[[S3Backend, str, str], None]

_WRITES = ("put_object", "delete_object")
_originals = {name: getattr(S3Backend, name) for name in _WRITES}

PINNED: tuple[tuple[Any, str], ...] = (
    (_originals["put_object"], "db803f2da9d786ad050987d2b5def89cfa38c1bd0281f70ce6c76b4abc31566a"),
    (_originals["delete_object"], "5c1677b529710591fc384f54adabcbad41169a8f059db76e129f2adea3d5e31f"),
)

_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Tell `listener` of every object written or removed from now on. It runs inside moto's
    request: it must only take note."""
    _listeners.append(listener)


def unlisten(listener: Listener) -> None:
    _listeners.remove(listener)


def install() -> None:
    for name in _WRITES:
        setattr(S3Backend, name, _write(getattr(S3Backend, name)))


def _write(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def write(backend: S3Backend, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(backend, bucket_name, key_name, *args, **kwargs)
        finally:
            for listener in list(_listeners):
                listener(backend, bucket_name, key_name)

    return write
