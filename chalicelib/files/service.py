"""The file fields' part of a write: a `directUploadToken` checked and turned into the file the
record holds, and, once the write has committed, the objects moved and removed.

Nothing is written to S3 before the commit, so a write that fails leaves nothing behind but its
upload, which the bucket's lifecycle rule expires (layout.py). After the commit, a failed S3 call
is logged (logger `shoreline.files`) and the write stands, as with the `after` steps of hooks: an
upload not moved stays under the upload prefix until the lifecycle rule expires it (the record's
file is then missing), a file not removed stays in the bucket, unreferenced.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.access.context import RequestContext
from chalicelib.api.scalars import format_datetime
from chalicelib.errors import INVALID_INPUT, INVALID_TOKEN, PERMISSION_DENIED, UNAVAILABLE, ApiError
from chalicelib.files.layout import file_key, upload_key
from chalicelib.files.objects import FAILURES, Objects
from chalicelib.files.settings import FileSettings
from chalicelib.files.tokens import Upload, UploadTokens, caller_of
from chalicelib.query.cursors import Cursors
from chalicelib.schema.registry import Field, Model

LOG = logging.getLogger("shoreline.files")
MAX_FILE_NAME = 1024
# What a file's name is when the input names none.
DEFAULT_FILE_NAME = "file"


@dataclass(frozen=True)
class Attached:
    """A file a write attaches: what the record holds, the upload it comes from (whose token the
    write spends) and the version of the bytes that were checked."""

    stored: dict[str, Any]
    upload: Upload
    etag: str

    @property
    def spent(self) -> str:
        """The key the write spends the token under (store/changes.py `spend`)."""
        return f"upload#{self.upload.name}"


class Files:
    def __init__(self, settings: FileSettings, bucket: str, region: str, cursors: Cursors) -> None:
        self.settings = settings
        self.objects = Objects(settings, bucket, region)
        self.tokens = UploadTokens(cursors, settings.upload_seconds)

    def upload_target(self, context: RequestContext, model: Model, field: Field, mime_type: str) -> dict[str, Any]:
        """A presigned POST and its token, for a caller the API has allowed to write `model.field`."""
        caller = caller_of(context)
        if caller is None:
            message = "an upload needs a session (currentSession starts one) or an API key"
            raise ApiError(PERMISSION_DENIED, message)
        token, upload = self.tokens.mint(caller, model, field)
        target = self.objects.upload_target(upload_key(upload.name), mime_type)
        expires = dt.datetime.fromtimestamp(upload.expires, dt.UTC)
        return {**target, "token": token, "expiresAt": format_datetime(expires), "maxBytes": self.settings.max_bytes}

    def attach(self, context: RequestContext, model: Model, field: Field, value: dict[str, Any]) -> Attached:
        """The file `value` (`{directUploadToken, fileName}`) attaches, its token and upload checked."""
        where = f"{model.name}.{field.name}"
        upload = self.tokens.check(value["directUploadToken"], context, model, field)
        name = value.get("fileName") or DEFAULT_FILE_NAME
        if len(name) > MAX_FILE_NAME:
            raise ApiError(INVALID_INPUT, f"{where}: a file name has at most {MAX_FILE_NAME} characters")
        head = self._s3(lambda: self.objects.head(upload_key(upload.name)))
        if head is None:
            message = f"{where}: nothing was uploaded with this token, or it was attached already"
            raise ApiError(INVALID_TOKEN, message)
        if head.size > self.settings.max_bytes:
            message = f"{where}: the upload is {head.size} bytes; a file has at most {self.settings.max_bytes}"
            raise ApiError(INVALID_INPUT, message)
        stored = {"key": file_key(upload.name), "fileName": name, "mimeType": head.mime_type, "byteSize": head.size}
        return Attached(stored, upload, head.etag)

    def settle(self, attached: list[Attached], discarded: list[str]) -> None:
        """After a commit: each attached upload moved to its file's key, each discarded file removed."""
        for item in attached:
            key = item.stored["key"]
            _quietly(f"moving the upload to {key}", self.objects.move, upload_key(item.upload.name), key, item.etag)
        for key in discarded:
            _quietly(f"deleting {key}", self.objects.delete, key)

    def url(self, stored: dict[str, Any]) -> str:
        return self.objects.download_url(stored["key"], stored["mimeType"], stored["fileName"])

    @staticmethod
    def _s3(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except FAILURES:
            LOG.exception("S3 call failed")
            raise ApiError(UNAVAILABLE, "The file store is busy; try again shortly") from None


def _quietly(what: str, call: Callable[..., None], *args: Any) -> None:
    try:
        call(*args)
    except FAILURES:
        # The write has committed: a failure here is an incident to look into, not the client's answer.
        LOG.exception("after a commit, %s failed", what)
