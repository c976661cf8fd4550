"""Start-up with the garbage collector paused: it runs again afterwards, whatever happened."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from chalicelib.startup import collector_paused


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_the_collector_is_paused_inside_and_runs_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
        built = [object() for _ in range(10)]
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    assert built


def test_a_failed_start_leaves_the_collector_running_and_nothing_frozen() -> None:
    frozen = gc.get_freeze_count()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the schema does not load")
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
