"""The value a record holds for a file: its object's key, its name, type and size, never its bytes.
A write makes it from an upload it checked (service.py); the command-line import takes it as an
export wrote it (api/raw_records.py checks its shape, the import that its object is there)."""

from __future__ import annotations

from typing import Any

MAX_FILE_NAME = 1024
MEMBERS = ("key", "fileName", "mimeType", "byteSize")


def stored_file(key: str, file_name: str, mime_type: str, byte_size: int) -> dict[str, Any]:
    return dict(zip(MEMBERS, (key, file_name, mime_type, byte_size), strict=True))
