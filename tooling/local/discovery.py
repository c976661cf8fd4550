"""Where a running local server (`make run`) keeps its embedded DynamoDB, so that the command line
finds it without being told: `serve` writes its endpoint, table prefix and bucket to
`.local/server.json` (in the project, ignored by git) and removes it when it stops; a command
given no stage and no `AWS_ENDPOINT_URL_DYNAMODB` reads it (or `--local` insists on it), and
takes moto's fake credentials, which a developer's machine may not otherwise have."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from chalicelib.settings import PROJECT_ROOT


def _file() -> Path:
    """`.local/server.json`, or `LOCAL_SERVER_FILE` (servers of several checkouts, or of tests, apart)."""
    return Path(os.environ.get("LOCAL_SERVER_FILE") or PROJECT_ROOT / ".local" / "server.json")


# moto takes any credentials; botocore refuses to sign without some.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class NoLocalServer(Exception):
    pass


def announce(endpoint: str, table_prefix: str, s3_endpoint: str | None, bucket: str) -> None:
    """`s3_endpoint` and `bucket`: where the server keeps its file fields' objects, which an import
    checks (tooling/transfer.py) and `cleanup` moves."""
    path = _file()
    path.parent.mkdir(exist_ok=True)
    found = {"endpoint": endpoint, "table_prefix": table_prefix, "s3_endpoint": s3_endpoint, "bucket": bucket}
    path.write_text(json.dumps({**found, "pid": os.getpid()}))


def withdraw() -> None:
    """Remove the announcement, if it is this process's (another server may have taken over)."""
    path = _file()
    found = _read(path)
    if found is not None and found.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def running() -> dict[str, Any] | None:
    """The announcement of a local server that is still running, else None."""
    found = _read(_file())
    if found is None or not isinstance(found.get("pid"), int):
        return None
    try:
        os.kill(found["pid"], 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # running, as another user
    return found


def use(found: dict[str, Any]) -> None:
    """Point this process's commands at the local server's DynamoDB and tables, and its bucket."""
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = found["endpoint"]
    os.environ.setdefault("TABLE_PREFIX", found["table_prefix"])
    # Not AWS's S3: a bucket named from the local prefix there is nobody's, or a stranger's.
    if found.get("s3_endpoint"):
        os.environ.setdefault("AWS_ENDPOINT_URL_S3", found["s3_endpoint"])
    if found.get("bucket"):
        os.environ.setdefault("FILES_BUCKET", found["bucket"])
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        os.environ.update(FAKE_CREDENTIALS)


def find(insist: bool) -> None:
    """Use the local server when asked (`insist`: NoLocalServer if none runs), or when nothing
    else names a DynamoDB and one runs."""
    if not insist and os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        return
    found = running()
    if found is not None:
        print(f"(the local server's DynamoDB at {found['endpoint']})", file=sys.stderr)
        use(found)
    elif insist:
        raise NoLocalServer("no local server is running: start it with `make run`")


def _read(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None
