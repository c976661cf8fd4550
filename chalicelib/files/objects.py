"""The stage's bucket through botocore: presigned targets and URLs, and the few calls the write path
makes (HeadObject before a write, CopyObject and DeleteObject after it).

Presigned URLs are signed with the function's own credentials, so they can do only what its role
may (s3:PutObject, s3:GetObject, s3:DeleteObject on the bucket's objects: tooling/deploy/policy.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.files.settings import FileSettings
from chalicelib.store.backoff import Backoff, GaveUp
from chalicelib.store.retries import NO_RETRIES, retry_by

CONNECT_SECONDS, READ_SECONDS = 1.0, 5.0
# Served inline: images a browser only draws. Any other type (HTML, SVG, ...) would run as a page
# of the bucket's origin if opened, so its URL downloads it instead.
# S3's codes for an object that is not there, and for one whose bytes are not those expected.
MISSING = ("404", "NoSuchKey", "NotFound")
CHANGED = ("412", "PreconditionFailed")
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"})


@dataclass(frozen=True)
class Head:
    """What HeadObject says of an object: its size, its type, and its version of the bytes."""

    size: int
    mime_type: str
    etag: str


class Objects:
    def __init__(self, settings: FileSettings, bucket: str, region: str) -> None:
        self.settings = settings
        self.bucket = bucket
        # An S3 of one's own (moto) answers on one host: its buckets are paths.
        addressing = "path" if settings.endpoint_url else "virtual"
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing},
            connect_timeout=CONNECT_SECONDS,
            read_timeout=READ_SECONDS,
            retries=NO_RETRIES,
        )
        self.client: Any = botocore.session.get_session().create_client(
            "s3", region_name=region, endpoint_url=settings.endpoint_url, config=config
        )
        # The store's retry policy, bounded by the request's deadline like every other call.
        retry_by(self.client, Backoff(call_seconds=CONNECT_SECONDS + READ_SECONDS))

    def upload_target(self, key: str, mime_type: str) -> dict[str, Any]:
        """A presigned POST of one object at `key`: of type `mime_type`, 1 byte to `max_bytes`."""
        target: dict[str, Any] = self.client.generate_presigned_post(
            self.bucket,
            key,
            Fields={"Content-Type": mime_type},
            Conditions=[{"Content-Type": mime_type}, ["content-length-range", 1, self.settings.max_bytes]],
            ExpiresIn=self.settings.upload_seconds,
        )
        return target

    def download_url(self, key: str, mime_type: str, file_name: str) -> str:
        disposition = "inline" if mime_type in INLINE_TYPES else f"attachment; filename*=UTF-8''{quote(file_name)}"
        params = {"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": disposition}
        url: str = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.settings.url_seconds)
        return url

    def head(self, key: str) -> Head | None:
        """The object at `key`, or None if there is none."""
        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in MISSING:
                return None
            raise
        return Head(int(answer["ContentLength"]), str(answer.get("ContentType") or ""), str(answer["ETag"]))

    def move(self, source: str, target: str, etag: str) -> bool:
        """Copy `source` to `target` if its bytes are still those of `etag`, then delete `source`.
        Done again, it finds what it did: a source gone (or changed) beside a target that is there
        was moved already. False when the move can never be made: the source is gone or changed,
        and the target was never written."""
        try:
            copied = {"Bucket": self.bucket, "Key": source}
            self.client.copy_object(Bucket=self.bucket, Key=target, CopySource=copied, CopySourceIfMatch=etag)
        except ClientError as error:
            if _code(error) not in MISSING + CHANGED:
                raise
            # The one HeadObject, only when the copy found no source to copy.
            if self.head(target) is None:
                return False
        self.delete(source)
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code"))


# What a failed S3 call raises: the write path logs these after a commit.
FAILURES = (BotoCoreError, ClientError, GaveUp)
