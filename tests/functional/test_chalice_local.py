"""`chalice local` is refused in one line that points to `make run`, with or without Chalice's
autoreload (which imports the app in a worker process's thread), and serves nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.startup import CHALICE_LOCAL_REFUSED
from tests.conftest import ROOT
from tooling.local.process import free_port

CHALICE = Path(sys.executable).parent / "chalice"


@pytest.mark.slow
@pytest.mark.parametrize("reload", ["--autoreload", "--no-autoreload"])
def test_chalice_local_says_to_use_make_run(reload: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    port = free_port()
    done = subprocess.run(
        [str(CHALICE), "local", "--port", str(port), reload],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr == CHALICE_LOCAL_REFUSED + "\n"
    assert "make run" in done.stderr
    assert "Serving on" not in done.stdout
    if reload == "--no-autoreload":
        assert done.returncode == 1
