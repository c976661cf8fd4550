"""The bucket work a committed write left (store/object_work.py), done in one place: by the write's
own request right after its commit (`Files.settle`), and by the cleanup job for what that request
did not finish (it died, or S3 failed).

Each action can be done twice: a delete deletes nothing the second time, and a move finds its
target there and its source gone. A move that can never be made (its upload expired, or was
posted again with other bytes, before it was moved) is logged as an error and dropped: the record
then names a file that is not there.
"""

from __future__ import annotations

import logging

from chalicelib.files.objects import FAILURES, Objects
from chalicelib.store.changes import ObjectWork

LOG = logging.getLogger("shoreline.files")


def perform(objects: Objects, work: ObjectWork) -> bool:
    """Do `work`; whether it is over (done, found done, or never to be done), False when S3 failed
    (logged): its pending item stays for the cleanup job."""
    try:
        if work.source is None:
            objects.delete(work.key)
        elif not objects.move(work.source, work.key, _etag(work)):
            LOG.error("%s: the upload is gone or was posted again; the record's file is missing", work)
    except FAILURES:
        LOG.exception("%s failed; the cleanup job will try again", work)
        return False
    return True


def _etag(work: ObjectWork) -> str:
    # A move is recorded with the version of the bytes the write checked (service.py `attach`).
    assert work.etag is not None
    return work.etag
