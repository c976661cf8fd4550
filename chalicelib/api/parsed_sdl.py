"""The generated SDL, parsed and validated once rather than at every cold start.

Parsing and validating the generated SDL (some 90 types) is a fifth of a cold start. Its document
is kept in a file named by a hash of the SDL itself and of graphql-core's version, so a file can
only ever be the document of exactly this SDL: a changed schema or generator, or another
graphql-core, names another file, and a stale one is never read. The document is kept without
source locations (nothing reports positions in the generated SDL), which makes it small and quick
to load.

The first start with a new SDL parses it and writes the file; where the folder is read-only (a
deployed Lambda), nothing is written and every start parses, unless the package was built with
the file in it (`make package` does so).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from graphql import DocumentNode, parse, version
from graphql.validation.validate import assert_valid_sdl

FOLDER = Path(__file__).resolve().parent.parent / ".sdl-cache"


def parsed_sdl(sdl: str, folder: Path = FOLDER) -> DocumentNode:
    """The document of `sdl`, validated: from its file when there is one, else parsed (and kept)."""
    path = folder / f"{_key(sdl)}.pickle"
    try:
        document = pickle.loads(path.read_bytes())
    except Exception:  # a missing or unreadable file is as good as none: parse the SDL
        document = None
    if isinstance(document, DocumentNode):
        return document
    document = parse(sdl, no_location=True)
    assert_valid_sdl(document)
    _keep(path, pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL))
    return document


def _key(sdl: str) -> str:
    return hashlib.sha256(f"{version}\n{sdl}".encode()).hexdigest()[:32]


def _keep(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all (processes starting together may write it at once)."""
    try:
        path.parent.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return  # a read-only package: parse at every start, as without the file
    try:
        # Readable by all, as the rest of the package: Lambda runs the code as another user.
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
