"""Where a stage's bucket keeps what: uploads not yet attached under one prefix, which a lifecycle
rule empties, and attached files under another, kept until their record lets go of them."""

from __future__ import annotations

import re

UPLOADS = "uploads/"
FILES = "files/"
# An upload never attached to a record is deleted this long after it was posted.
ORPHAN_DAYS = 1
# An upload's name, as tokens.py draws it (secrets.token_urlsafe): URL-safe base64.
_NAME = re.compile(r"[A-Za-z0-9_-]+")


# Nothing in the bucket is ever public: every byte goes out through a presigned URL.
PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}


def upload_key(name: str) -> str:
    return UPLOADS + name


def file_key(name: str) -> str:
    return FILES + name


def is_file_key(key: str) -> bool:
    """Whether `key` is one `file_key` makes: an upload's name under `files/`, nothing above it."""
    return key.startswith(FILES) and _NAME.fullmatch(key[len(FILES) :]) is not None


def lifecycle_rules() -> list[dict[str, object]]:
    """The bucket's lifecycle rules, in S3's API shape: orphan uploads expire."""
    return [
        {
            "ID": "orphan-uploads",
            "Status": "Enabled",
            "Filter": {"Prefix": UPLOADS},
            "Expiration": {"Days": ORPHAN_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ORPHAN_DAYS},
        }
    ]
