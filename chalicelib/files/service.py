"""The file fields' part of a write: a `directUploadToken` checked and turned into the file the
record holds, and, once the write has committed, the objects moved and removed.

Nothing is written to S3 before the commit, so a write that fails leaves nothing behind but its
upload, which the bucket's lifecycle rule expires (layout.py). The bucket work a write leaves is
recorded in its own transaction (store/object_work.py); right after the commit its request does
it (settling.py) and removes the records of what it did. What it did not do, because the request
died first or an S3 call failed (logged, logger `shoreline.files`; the write stands), the cleanup
job does on its next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.access.context import RequestContext
from chalicelib.access.roles import SYSTEM_ADMIN
from chalicelib.api.scalars import format_datetime
from chalicelib.errors import INVALID_INPUT, INVALID_TOKEN, PERMISSION_DENIED, UNAVAILABLE, ApiError
from chalicelib.files.layout import file_key, upload_key
from chalicelib.files.objects import FAILURES, Objects
from chalicelib.files.settings import FileSettings
from chalicelib.files.settling import perform
from chalicelib.files.stored import MAX_FILE_NAME, stored_file
from chalicelib.files.tokens import Upload, UploadTokens, caller_of
from chalicelib.query.cursors import Cursors
from chalicelib.ratelimit.answer import TOO_MANY_REQUESTS
from chalicelib.ratelimit.quota import Quota
from chalicelib.ratelimit.windows import WindowCounts
from chalicelib.schema.registry import Field, Model
from chalicelib.store import object_work
from chalicelib.store.changes import ObjectWork
from chalicelib.store.tables import Tables

LOG = logging.getLogger("shoreline.files")
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

    @property
    def work(self) -> ObjectWork:
        """The move the write leaves to do once committed: the upload, as checked, to the file's key."""
        return ObjectWork(self.stored["key"], upload_key(self.upload.name), self.etag)


class Files:
    def __init__(self, settings: FileSettings, bucket: str, region: str, cursors: Cursors, tables: Tables) -> None:
        self.settings = settings
        self.tables = tables
        self.objects = Objects(settings, bucket, region)
        self.tokens = UploadTokens(cursors, settings.upload_seconds)
        counts = WindowCounts(tables.connection.client, tables.throttle.Meta.table_name, settings.upload_window_seconds)
        self.uploads = Quota(counts, settings.upload_limit, "upload")

    def upload_target(self, context: RequestContext, model: Model, field: Field, mime_type: str) -> dict[str, Any]:
        """A presigned POST and its token, for a caller the API has allowed to write `model.field`,
        within its upload limit (API keys have none)."""
        caller = caller_of(context)
        if caller is None:
            message = "an upload needs a session (currentSession starts one) or an API key"
            raise ApiError(PERMISSION_DENIED, message)
        if caller != SYSTEM_ADMIN:
            decision = self.uploads.take(caller)
            if not decision.admitted:
                limit, window = self.settings.upload_limit, self.settings.upload_window_seconds
                message = f"at most {limit} upload targets per {window} s; try again in {decision.retry_after} s"
                raise ApiError(TOO_MANY_REQUESTS, message, retryAfter=decision.retry_after)
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
        stored = stored_file(file_key(upload.name), name, head.mime_type, head.size)
        return Attached(stored, upload, head.etag)

    def settle(self, works: Iterable[ObjectWork]) -> None:
        """After a commit: the write's bucket work done, and the records of what was done removed
        (one BatchWriteItem); what failed stays recorded for the cleanup job."""
        done = [work for work in works if perform(self.objects, work)]
        try:
            object_work.forget(self.tables, done)
        except FAILURES:
            # Done twice is harmless: the cleanup job finds it done.
            LOG.exception("after a commit, the bucket work done was not marked done")

    def url(self, stored: dict[str, Any]) -> str:
        """Signed for the file's key, without asking S3 whether the file is there yet: between a
        write's commit and its move (moments, or until the cleanup job's next run after a request
        that died) it answers 404, and works once the file is moved, while the URL lasts."""
        return self.objects.download_url(stored["key"], stored["mimeType"], stored["fileName"])

    @staticmethod
    def _s3(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except FAILURES:
            LOG.exception("S3 call failed")
            raise ApiError(UNAVAILABLE, "The file store is busy; try again shortly") from None
