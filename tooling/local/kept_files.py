"""The file fields' bucket of the embedded S3, kept on disk across restarts of the local server
beside its DynamoDB data (kept_data runs it: same folder, same flushes, same stop).

At start the objects kept (object_files) are put back into moto's bucket, before the server
serves. While it runs, moto tells which keys each request wrote or removed (moto_objects), which
costs the request a set insertion; each flush reads those objects as they now are, between two
requests, and writes them to disk after, outside the lock. ETags are moto's own (an MD5 of the
bytes), so an object restored has the one it had; ACLs and tags are not kept (the API uses none).
"""

from __future__ import annotations

import datetime
import sys
import threading
from pathlib import Path

from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import FakeKey, S3Backend

from tooling.local import moto_objects
from tooling.local.object_files import ObjectFiles, StoredObject

# moto's S3 is one backend per partition; the local server's region is in the first.
PARTITION = "aws"

Changes = list[tuple[str, StoredObject | None]]
NOT_KEPT = "its key is no plain relative path, or another key's file or folder has that name"


class KeptFiles:
    def __init__(self, folder: Path, bucket: str) -> None:
        """`bucket`: the one whose objects are kept (the file fields'), which must exist at `restore`."""
        self.files = ObjectFiles(folder)
        self.bucket = bucket
        self._backend: S3Backend = get_backend("s3")[DEFAULT_ACCOUNT_ID][PARTITION]
        # The keys written or removed since the last flush (noted while moto holds the lock).
        self._changed: set[str] = set()

    def restore(self, lock: threading.Lock) -> int:
        """Put the objects kept back into the bucket; how many."""
        count = 0
        with lock:
            for key, stored in self.files.read():
                restored = self._backend.put_object(self.bucket, key, stored.body, disable_notification=True)
                restored.set_metadata(dict(stored.metadata))
                restored.last_modified = datetime.datetime.fromisoformat(stored.modified)
                count += 1
        return count

    def listen(self) -> None:
        moto_objects.listen(self._note)

    def unlisten(self) -> None:
        moto_objects.unlisten(self._note)

    @property
    def changed(self) -> bool:
        return bool(self._changed)

    def _note(self, backend: S3Backend, bucket: str, key: str) -> None:
        if backend is self._backend and bucket == self.bucket:
            self._changed.add(key)

    def collect(self) -> Changes:
        """The objects changed since the last call, as they now are (None: gone); under the lock
        the embedded server holds while it answers, so that no request is halfway."""
        bucket = self._backend.buckets.get(self.bucket)
        changes: Changes = []
        for key in sorted(self._changed):
            found = None if bucket is None else bucket.keys.get(key)
            if isinstance(found, FakeKey):
                changes.append((key, StoredObject(found.value, dict(found.metadata), found.last_modified.isoformat())))
            else:
                changes.append((key, None))
        self._changed.clear()
        return changes

    def write(self, changes: Changes) -> None:
        for key in self.files.write(changes):
            print(f"Local data: the object {key!r} is not kept ({NOT_KEPT})", file=sys.stderr)
