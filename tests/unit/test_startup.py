"""Start-up with the garbage collector paused: it runs again afterwards, whatever happened; and
which of Chalice's commands is `chalice local`."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from chalicelib.startup import collector_paused, under_chalice_local


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


@pytest.mark.parametrize(
    ("argv", "local"),
    [
        (["chalice", "local"], True),
        (["chalice", "--debug", "local", "--port", "8001"], True),
        (["chalice", "--project-dir", "local", "package", "out"], False),
        (["chalice", "--project-dir=.", "local", "--no-autoreload"], True),
        (["chalice", "package", "--stage", "local", "out"], False),
        (["chalice", "deploy"], False),
        (["chalice"], False),
    ],
)
def test_chalice_local_is_told_from_chalices_other_commands(argv: list[str], local: bool) -> None:
    assert under_chalice_local({"AWS_CHALICE_CLI_MODE": "true"}, argv) is local


def test_outside_chalices_command_line_nothing_is_chalice_local() -> None:
    assert not under_chalice_local({}, ["chalice", "local"])
