"""The file fields' settings (`FILES_BUCKET`, `AWS_ENDPOINT_URL_S3`, `FILE_MAX_BYTES`,
`FILE_UPLOAD_SECONDS`, `FILE_URL_SECONDS`, `FILE_UPLOAD_LIMIT`, `FILE_UPLOAD_WINDOW_SECONDS`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Bucket names are lower-case letters, digits, dots and hyphens, 3 to 63 of them.
_NOT_IN_BUCKET_NAMES = re.compile(r"[^a-z0-9.-]+")


@dataclass(frozen=True)
class FileSettings:
    """`bucket`: the stage's bucket, None for the name its table prefix gives (`bucket_name`);
    `endpoint_url`: an S3 of one's own (moto's, under `make run` and in the tests)."""

    bucket: str | None = None
    endpoint_url: str | None = None
    # The largest file an upload target takes.
    max_bytes: int = 10 * 1024 * 1024
    # How long an upload target and its token work; how long a download URL does.
    upload_seconds: int = 3600
    url_seconds: int = 900
    # Upload targets one caller (not an API key) may get per window, 0 for no limit: each lets it
    # store up to `max_bytes` for a day, attached or not.
    upload_limit: int = 100
    upload_window_seconds: int = 3600


def bucket_name(table_prefix: str) -> str:
    """The bucket a stage's table prefix names, like its tables: `shoreline-dev-` -> `shoreline-dev-files`."""
    name = _NOT_IN_BUCKET_NAMES.sub("-", f"{table_prefix}files".lower()).strip(".-")
    return name[:63]
