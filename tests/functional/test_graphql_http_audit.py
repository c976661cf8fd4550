"""The GraphQL over HTTP audit of the `graphql-http` package (`auditServer`, run by node from
tests/js) against the server as `make run` serves it: every audit passes, MUSTs, SHOULDs and MAYs."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import ROOT
from tests.functional.local_process import serving

JS = ROOT / "tests" / "js"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("node") is None or not (JS / "node_modules" / "graphql-http").exists(),
        reason="needs node and `npm ci` in tests/js (make test runs it)",
    ),
]


def test_the_graphql_http_audit_passes() -> None:
    with serving() as base:
        done = subprocess.run(
            ["node", "audit.mjs", f"{base}/graphql"], cwd=JS, capture_output=True, text=True, timeout=300, check=True
        )
    results = json.loads(done.stdout)
    assert len(results) > 50
    failed = [f"{r['status']} {r['id']} {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert failed == [], "\n".join(failed)
