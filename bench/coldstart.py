"""Cold start: importing `app.py` (schema loaded, API built, clients created) against the floor of
importing its dependencies alone; the peak memory after a first request; the deployment package."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.harness import ROOT

RUNS = 7
FLOOR = "import ariadne, graphql, pynamodb, argon2, botocore.session, aws_lambda_powertools, chalice"
APP = (
    "import resource, time; t = time.perf_counter(); import app; elapsed = time.perf_counter() - t;"
    " print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
)


def _time(code: str) -> tuple[float, float]:
    env = {
        **os.environ,
        "STAGE": "dev",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "none",
        "AWS_SECRET_ACCESS_KEY": "none",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    timed = (
        f"import time; t0 = time.perf_counter(); {code}; print(time.perf_counter() - t0)"
        if "elapsed" not in code
        else code
    )
    out = subprocess.run([sys.executable, "-c", timed], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    values = out.stdout.split()
    return float(values[0]), float(values[1]) if len(values) > 1 else 0.0


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
    floor = [_time(FLOOR)[0] for _ in range(RUNS)]
    runs = [_time(APP) for _ in range(RUNS)]
    app_times = [r[0] for r in runs]
    print(f"Cold start, median of {RUNS} fresh processes:")
    print(f"  import app.py (schema, API, clients)  {statistics.median(app_times) * 1000:7.0f} ms")
    print(f"  import its dependencies alone          {statistics.median(floor) * 1000:7.0f} ms")
    print(f"  peak memory after import               {statistics.median(r[1] for r in runs):7.0f} MB")
    print(f"Deployment package: {package_size()}")
