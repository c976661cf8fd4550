"""Export and import of a whole stage as JSON Lines: one record per line, with its `__typename`,
then one line per edge.

Both stream: export holds one table page at a time, import one batch of 25 lines, so memory
stays flat whatever the size. Export writes every stored field of a record (password hashes
included, so a restored stage keeps its logins) and its to-one relations as ids; a one-to-many
needs nothing more, as the children's ids are its list. Links stored as edges (many-to-many,
one-way and symmetric lists) follow the records, one line each:
`{"__edge": "<edge key>", "source": <id>, "target": <id>}`, the edge key naming the relation as
stored (`<model>.<field>` of the side it is stored from). Import restores records and edges as
they were, ids included, into an empty stage; it records its progress beside the file, so an
interrupted import resumes where it stopped (writing a line twice is harmless: it is the same
record or edge), and writes the counters of every record at its end. A record line may also list
to-many ids (as older exports did): a list stored as edges becomes edges, and a one-to-many list
is left to the children's own lines.

A File value is a record's pointer to an object of the stage's bucket, not the object: import
restores it as it was only where this stage's bucket holds that object, of that size and type (one
HeadObject per file, before its batch is written), so that no record points at nothing, nor calls
an object what it is not.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from chalicelib.api.raw_records import check_values, missing_required
from chalicelib.files.layout import FILES
from chalicelib.files.objects import FAILURES, Objects
from chalicelib.schema.registry import Field, Model, Registry, Storage
from chalicelib.store import counters, edges
from chalicelib.store.records import Record, RecordStore
from chalicelib.store.sizes import ItemTooLarge
from chalicelib.store.tables import EdgeBase

BATCH = 25
PAGE = 1000
TYPENAME = "__typename"
EDGE = "__edge"


class TransferError(Exception):
    pass


def export_lines(registry: Registry, store: RecordStore, types: list[str] | None = None) -> Iterator[str]:
    """The records of `types` (default: every model), then the edges between them."""
    models = _models(registry, types)
    for model in models:
        for page in store.scan_pages(model, None, None, PAGE):
            for record in page.records:
                yield json.dumps(to_line(model, record), sort_keys=True)
    names = {m.name for m in models}
    relations = {k: e for k, e in edges.relations(registry).items() if e.models() <= names}
    tables = store.tables
    for page in tables.edge.scan(page_size=PAGE).page_iter:
        for raw in page.get("Items", ()):
            edge = tables.edge.from_raw_data(raw)
            key = edge.source[: -len(edge.source_id) - 1]
            if key in relations:
                yield json.dumps({EDGE: key, "source": edge.source_id, "target": edge.target_id}, sort_keys=True)


def to_line(model: Model, record: Record) -> dict[str, Any]:
    fields = {f.name: record[f.name] for f in model.fields.values() if record.get(f.name) not in (None, [])}
    return {TYPENAME: model.name, **fields}


def from_line(registry: Registry, line: str, number: int, *, stored_files: bool) -> tuple[Model, Record] | EdgeLine:
    """A record line as (model, record), or an edge line; File values refused without `stored_files`."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested too deep to decode
        raise TransferError(f"line {number}: not JSON") from None
    if isinstance(data, dict) and EDGE in data:
        return _edge_line(registry, data, number)
    if not isinstance(data, dict) or not isinstance(data.get(TYPENAME), str):
        raise TransferError(f"line {number}: a record needs a {TYPENAME}")
    typename = data.pop(TYPENAME)
    model = registry.models.get(typename)
    if model is None:
        raise TransferError(f"line {number}: no model named {typename}")
    unknown = [name for name in data if name not in model.fields]
    if unknown:
        raise TransferError(f"line {number}: {model.name} has no field {unknown[0]}")
    if not isinstance(data.get("id"), str):
        raise TransferError(f"line {number}: a {model.name} without an id")
    try:
        record = check_values(registry, model, data, stored_files=stored_files)
    except ValueError as error:
        raise TransferError(f"line {number}: {error}") from None
    absent = missing_required(model, record, filled_in=False)
    if absent:
        raise TransferError(f"line {number}: {absent}")
    return model, record


@dataclass(frozen=True)
class EdgeLine:
    key: str
    source: str
    target: str


def _edge_line(registry: Registry, data: dict[str, Any], number: int) -> EdgeLine:
    key = data.get(EDGE)
    if sorted(data) != sorted((EDGE, "source", "target")):
        raise TransferError(f"line {number}: an edge has {EDGE}, source and target, and nothing else")
    if not isinstance(key, str) or key not in edges.relations(registry):
        raise TransferError(f"line {number}: no relation stored as edges under {key!r}")
    source, target = data["source"], data["target"]
    if not isinstance(source, str) or not isinstance(target, str) or not source or not target:
        raise TransferError(f"line {number}: an edge's source and target are ids")
    return EdgeLine(key, source, target)


def import_lines(
    registry: Registry,
    store: RecordStore,
    lines: Iterable[str],
    *,
    bucket: Objects | None,
    skip: int = 0,
    done: Callable[[int], None] = lambda _: None,
) -> int:
    """Restore the records of `lines` after the first `skip`; `done(n)` is told each time the first
    n lines are safely written. Returns the number of lines read. File values are restored where
    `bucket` (the stage's) holds their objects, and refused without one.

    The counters (store/counters.py) are written at the end, as the records of every line make
    them (the skipped lines are read for that): a resumed import writes them whole, as one that ran
    without a stop would."""
    batch: list[tuple[Model, Record] | EdgeLine] = []
    counts: Counter[str] = Counter()
    # Each file's key, and the line whose record holds it (the skipped lines' too).
    files: dict[str, int] = {}
    number = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parsed = from_line(registry, line, number, stored_files=bucket is not None)
        if not isinstance(parsed, EdgeLine):
            counts.update(counters.counters_of(*parsed))
            _one_record_a_file(files, *parsed, number)
        if number <= skip:
            continue
        if not isinstance(parsed, EdgeLine):
            try:
                store.check_size(*parsed)
            except ItemTooLarge as error:
                raise TransferError(f"line {number}: {error}") from None
            if bucket is not None:
                _check_objects(bucket, *parsed, number)
        batch.append(parsed)
        if len(batch) == BATCH:
            _restore(store, batch)
            batch = []
            done(number)
    _restore(store, batch)
    counters.write_counts(store.tables, counts)
    done(number)
    return number


def _files_of(model: Model, record: Record) -> Iterator[tuple[Field, dict[str, Any]]]:
    """The record's files: each File field it sets, with the stored value."""
    for field in model.file_fields():
        stored = record.get(field.name)
        if stored is not None:
            yield field, stored


def _one_record_a_file(files: dict[str, int], model: Model, record: Record, number: int) -> None:
    """A file belongs to one record: deleting or replacing it deletes the object, which a second
    record naming it would still point at (and its owner could read another's file)."""
    for field, stored in _files_of(model, record):
        first = files.setdefault(stored["key"], number)
        if first != number:
            message = f"line {number}: {model.name}.{field.name}: {stored['key']} is the file of line {first} already"
            raise TransferError(f"{message}; a file belongs to one record")


def _check_objects(bucket: Objects, model: Model, record: Record, number: int) -> None:
    """Each file of the record is in the bucket, of the size and type the line says."""
    for field, stored in _files_of(model, record):
        where = f"line {number}: {model.name}.{field.name}: {stored['key']}"
        try:
            head = bucket.head(stored["key"])
        except FAILURES as error:
            raise TransferError(f"{where}: the bucket {bucket.bucket} could not be read ({error})") from None
        if head is None:
            found = f"is not in the bucket {bucket.bucket}"
        elif head.size != stored["byteSize"]:
            found = f"is {head.size} bytes in the bucket {bucket.bucket}, not {stored['byteSize']}"
        elif head.mime_type != stored["mimeType"]:
            # The URL serves inline what the record calls an image, with the object's own type: a
            # line calling an HTML object image/png would have it run as a page of the bucket.
            found = f"is of type {head.mime_type} in the bucket {bucket.bucket}, not {stored['mimeType']}"
        else:
            continue
        raise TransferError(
            f"{where} {found}: copy the exported stage's {FILES} into this stage's bucket first "
            f"(`aws s3 sync s3://<its bucket>/{FILES} s3://{bucket.bucket}/{FILES}`), then import with --resume"
        )


def _restore(store: RecordStore, batch: list[tuple[Model, Record] | EdgeLine]) -> None:
    by_model: dict[str, tuple[Model, list[Record]]] = {}
    links: list[EdgeBase] = []
    for line in batch:
        if isinstance(line, EdgeLine):
            links.append(edges.stored(store.tables, line.key, line.source, line.target))
        else:
            model, record = line
            by_model.setdefault(model.name, (model, []))[1].append(record)
            links += _listed_edges(store, model, record)
    for model, records in by_model.values():
        store.restore(model, records)
    edges.write(store.tables, links, linked=True)


def _listed_edges(store: RecordStore, model: Model, record: Record) -> list[EdgeBase]:
    """The edges of the to-many ids a record line lists (as older exports did), which its item does
    not hold."""
    return [
        edges.item(store.tables, field, record["id"], other_id)
        for field in model.relations()
        if field.storage is Storage.EDGES
        for other_id in record.get(field.name) or ()
    ]


def check_empty(registry: Registry, store: RecordStore) -> None:
    for model in registry:
        for page in store.scan_pages(model, None, None, 1):
            if page.records:
                raise TransferError(f"the {model.name} table is not empty: import restores into an empty stage")
            break
    for raw in store.tables.edge.scan(limit=1).page_iter:
        if raw.get("Items"):
            raise TransferError("the edge table is not empty: import restores into an empty stage")
        break


def _models(registry: Registry, types: list[str] | None) -> list[Model]:
    if not types:
        return list(registry)
    unknown = [t for t in types if t not in registry.models]
    if unknown:
        raise TransferError(f"no model named {unknown[0]}")
    return [registry.model(t) for t in types]


class Progress:
    """The number of lines of an import already written, kept in `<file>.progress`."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".progress")

    def read(self) -> int:
        try:
            return int(self.path.read_text().strip() or 0)
        except FileNotFoundError:
            return 0

    def write(self, lines: int) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(str(lines))
        temporary.replace(self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def count_lines(handle: TextIO) -> int:
    total = sum(1 for _ in handle)
    handle.seek(0)
    return total
