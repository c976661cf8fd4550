"""The attributes of moto a patch module replaces: put in place, or moto's own for a while (what
the tests compare the patched moto with)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Where (owner, attribute name), and what is there in the patch and in moto.
Places = tuple[tuple[Any, str, Any, Any], ...]


class Replaced:
    def __init__(self, places: Callable[[], Places]) -> None:
        self._places = places

    def install(self) -> None:
        self._set(patched=True)

    @contextmanager
    def moto_s_own(self) -> Iterator[None]:
        """moto as it is, for the span of the block."""
        self._set(patched=False)
        try:
            yield
        finally:
            self._set(patched=True)

    def _set(self, patched: bool) -> None:
        for owner, name, ours, moto_s in self._places():
            setattr(owner, name, ours if patched else moto_s)
