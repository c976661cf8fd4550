"""Cold start: importing `app.py` (schema loaded, API built, clients created) against the floor of
importing its dependencies and creating the one DynamoDB client any such app needs; the peak memory
after import; the deployment package.

Both run in fresh processes, in turns, with bytecode at hand as in the package (`make package`
ships chalicelib's, and the parsed SDL): a first run of each writes them, untimed. The ratio is
the median of the ratios of each pair of runs, so that the machine's drift hits both alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.harness import ROOT

RUNS = 9
TARGET_RATIO = 1.2
LIBRARIES = "import ariadne, graphql, pynamodb, argon2, botocore.session, aws_lambda_powertools, chalice"
CLIENT = "botocore.session.get_session().create_client('dynamodb')"
# The floors: the libraries alone, and with the one DynamoDB client any such app creates.
FLOORS = {
    "its dependencies alone": f"import time; t = time.perf_counter(); {LIBRARIES}; print(time.perf_counter() - t, 0)",
    "its dependencies, one DynamoDB client": (
        f"import time; t = time.perf_counter(); {LIBRARIES}; {CLIENT}; print(time.perf_counter() - t, 0)"
    ),
}
APP = (
    "import resource, time; t = time.perf_counter(); import app; elapsed = time.perf_counter() - t;"
    " print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
)


def _time(code: str, bytecode: str) -> tuple[float, float]:
    """Seconds to run `code`'s timed part in a fresh process, and its peak memory in MB."""
    env = {
        **os.environ,
        "STAGE": "dev",
        # A deployed stage mails through SES, from an address it must name.
        "MAIL_FROM": "bench@example.com",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "none",
        "AWS_SECRET_ACCESS_KEY": "none",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "PYTHONPYCACHEPREFIX": bytecode,
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    seconds, peak = out.stdout.split()
    return float(seconds), float(peak)


def package_size() -> str:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
        chalice = Path(sys.executable).parent / "chalice"
        result = subprocess.run(
            [str(chalice), "package", "--stage", "prod", folder], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            return f"chalice package failed: {result.stderr.strip()[-200:]}"
        archive = Path(folder) / "deployment.zip"
        unzipped = sum(i.file_size for i in zipfile.ZipFile(archive).infolist())
        return (
            f"{archive.stat().st_size / 2**20:.1f} MB zipped, {unzipped / 2**20:.1f} MB unzipped (limits: 50 / 250 MB)"
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as bytecode:
        for code in (APP, *FLOORS.values()):
            _time(code, bytecode)
        runs = [[_time(code, bytecode) for code in (APP, *FLOORS.values())] for _ in range(RUNS)]
    app_ms = statistics.median(run[0][0] for run in runs) * 1000
    print(f"Cold start, medians of {RUNS} fresh processes each, in turns:")
    print(f"  {'import app.py (schema, API, clients)':<46} {app_ms:5.0f} ms")
    for index, name in enumerate(FLOORS, start=1):
        floor_ms = statistics.median(run[index][0] for run in runs) * 1000
        ratio = statistics.median(run[0][0] / run[index][0] for run in runs)
        print(f"  {'import ' + name:<46} {floor_ms:5.0f} ms   app / this: {ratio:.2f}x")
    print(f"  {'(target: app at most ' + str(TARGET_RATIO) + 'x the floor with its client)':<46}")
    print(f"  {'peak memory after import':<46} {statistics.median(run[0][1] for run in runs):5.0f} MB")
    print(f"Deployment package: {package_size()}")
