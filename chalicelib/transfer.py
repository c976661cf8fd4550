"""Export and import of a whole stage as JSON Lines: one record per line, with its `__typename`.

Both stream: export holds one table page at a time, import one batch of 25 records, so memory
stays flat whatever the size. Export writes every stored field (password hashes included, so a
restored stage keeps its logins) and relations as ids. Import restores records as they were,
ids included, into an empty stage; it records its progress beside the file, so an interrupted
import resumes where it stopped (writing a record twice is harmless: it is the same record).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from chalicelib.api.raw_records import check_values, missing_required
from chalicelib.schema.registry import Model, Registry
from chalicelib.store.records import Record, RecordStore
from chalicelib.store.sizes import ItemTooLarge

BATCH = 25
PAGE = 1000
TYPENAME = "__typename"


class TransferError(Exception):
    pass


def export_lines(registry: Registry, store: RecordStore, types: list[str] | None = None) -> Iterator[str]:
    for model in _models(registry, types):
        for page in store.scan_pages(model, None, None, PAGE):
            for record in page.records:
                yield json.dumps(to_line(model, record), sort_keys=True)


def to_line(model: Model, record: Record) -> dict[str, Any]:
    fields = {f.name: record[f.name] for f in model.fields.values() if record.get(f.name) not in (None, [])}
    return {TYPENAME: model.name, **fields}


def from_line(registry: Registry, line: str, number: int) -> tuple[Model, Record]:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested too deep to decode
        raise TransferError(f"line {number}: not JSON") from None
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
        record = check_values(registry, model, data)
    except ValueError as error:
        raise TransferError(f"line {number}: {error}") from None
    absent = missing_required(model, record, filled_in=False)
    if absent:
        raise TransferError(f"line {number}: {absent}")
    return model, record


def import_lines(
    registry: Registry,
    store: RecordStore,
    lines: Iterable[str],
    *,
    skip: int = 0,
    done: Callable[[int], None] = lambda _: None,
) -> int:
    """Restore the records of `lines` after the first `skip`; `done(n)` is told each time the first
    n lines are safely written. Returns the number of lines read."""
    batch: list[tuple[Model, Record]] = []
    number = 0
    for number, line in enumerate(lines, start=1):
        if number <= skip or not line.strip():
            continue
        model, record = from_line(registry, line, number)
        try:
            store.check_size(model, record)
        except ItemTooLarge as error:
            raise TransferError(f"line {number}: {error}") from None
        batch.append((model, record))
        if len(batch) == BATCH:
            _restore(store, batch)
            batch = []
            done(number)
    _restore(store, batch)
    done(number)
    return number


def _restore(store: RecordStore, batch: list[tuple[Model, Record]]) -> None:
    by_model: dict[str, tuple[Model, list[Record]]] = {}
    for model, record in batch:
        by_model.setdefault(model.name, (model, []))[1].append(record)
    for model, records in by_model.values():
        store.restore(model, records)


def check_empty(registry: Registry, store: RecordStore) -> None:
    for model in registry:
        for page in store.scan_pages(model, None, None, 1):
            if page.records:
                raise TransferError(f"the {model.name} table is not empty: import restores into an empty stage")
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
