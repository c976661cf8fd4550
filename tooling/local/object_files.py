"""The files the local server keeps of its bucket's objects: each object's bytes at `objects/<key>`,
and one index, `objects.json`, of what S3 answers about them besides (their headers, as moto
keeps them, and when they were last written), by key.

The index says which objects there are: bytes are written before the index names them and
removed once it no longer does, each file whole or not at all (written aside, then renamed), so a
crash leaves at most a file no index names, never an object without its bytes. The index is
rewritten whole at each change: its size, about 150 bytes an object, bounds what a flush costs
beside the bytes written (local buckets hold what a developer uploads).

A key is a path under `objects/` only if it is a plain relative one (no `..`, `.`, empty parts
or NUL), nor is an index entry that would lead outside the folder restored. The server names its
own keys (`uploads/<token>`, `files/<token>`); one it did not make is kept if it is such a path
and no other key's file or folder holds that name (`a` beside `a/b`), else left out (the server
says so).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INDEX = "objects.json"
OBJECTS = "objects"
# Where each file is written before it is renamed into place: beside the objects, never among them
# (a key may end in any suffix).
ASIDE = "objects.writing"


class UnsafeKey(ValueError):
    """A key that is no plain relative path: its object is not kept."""


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    # The headers moto answers with (its `metadata`: Content-Type and the like).
    metadata: dict[str, str]
    # ISO 8601, as moto's clock gave it (UTC, naive).
    modified: str


class ObjectFiles:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.root = folder / OBJECTS
        self._index: dict[str, dict[str, Any]] | None = None

    def path_of(self, key: str) -> Path:
        """Where the bytes of `key` are kept (UnsafeKey if nowhere)."""
        parts = key.split("/")
        if "\0" in key or any(part in ("", ".", "..") for part in parts):
            raise UnsafeKey(key)
        path = self.root.joinpath(*parts)
        # A link planted among the objects could still lead out.
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise UnsafeKey(key)
        return path

    def read(self) -> Iterator[tuple[str, StoredObject]]:
        """Each object kept, by key; those whose key is unsafe or whose bytes are missing are left out."""
        for key, entry in self._loaded().items():
            try:
                body = self.path_of(key).read_bytes()
            except (UnsafeKey, OSError):
                continue
            yield key, StoredObject(body, entry["metadata"], entry["modified"])

    def write(self, changes: Iterable[tuple[str, StoredObject | None]]) -> list[str]:
        """Keep each object as it now is (None: removed, its file deleted), all synced to disk; the
        keys not kept (UnsafeKey, or their path taken by another key's)."""
        index = self._loaded()
        skipped, removed = [], []
        for key, stored in changes:
            try:
                path = self.path_of(key)
            except UnsafeKey:
                skipped.append(key)
                continue
            if stored is None:
                if index.pop(key, None) is not None:
                    removed.append(path)
                continue
            try:
                self._replace(path, stored.body)
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                # `a` and `a/b` are two objects to S3, one name on disk: the later one is not kept
                # (any other failure, a full disk, stops the keeping: kept_data).
                skipped.append(key)
                continue
            index[key] = {"metadata": stored.metadata, "modified": stored.modified}
        self._replace(self.folder / INDEX, json.dumps(index, sort_keys=True).encode())
        for path in removed:
            path.unlink(missing_ok=True)
            self._prune(path.parent)
        return skipped

    def discard(self) -> None:
        """Forget every object kept."""
        (self.folder / INDEX).unlink(missing_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)
        self._index = None

    def _loaded(self) -> dict[str, dict[str, Any]]:
        if self._index is None:
            try:
                self._index = json.loads((self.folder / INDEX).read_text(encoding="utf-8"))
            except FileNotFoundError:
                self._index = {}
        assert self._index is not None
        return self._index

    def _replace(self, path: Path, content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = self.folder / ASIDE
        with aside.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        aside.replace(path)

    def _prune(self, folder: Path) -> None:
        # Emptied folders go too: a later key may need the name for a file.
        while folder != self.root and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
