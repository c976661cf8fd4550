"""The file the local server keeps its data in: a journal of JSON lines, in DynamoDB's own terms.

Each line names a table and says one thing of it:

- `{"table": t, "definition": {...}, "ttl": {...}, "created": c}`: the table as CreateTable
  makes it (key schema, attributes, indexes, stream, billing) and its time to live. A `created`
  other than the one before means the table was made anew, without the items it had.
- `{"table": t, "dropped": true}`: the table is gone, with its items.
- `{"table": t, "put": item}`: an item as it now is, in DynamoDB JSON.
- `{"table": t, "delete": key}`: the item of that key is gone.

The lines of one flush are followed by `{"committed": true}`: only committed lines count, so a
crash in the middle of a flush loses that flush, never half of a transaction. Appending costs what
changed; the file is rewritten whole (`write`) only at start and when it holds far more lines than
the items they leave.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

COMMITTED = json.dumps({"committed": True})


@dataclass
class TableData:
    definition: dict[str, Any]
    ttl: dict[str, Any] | None
    created: str
    # Each item, by its key (as `key_of` writes it).
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    def key_of(self, item: dict[str, Any]) -> str:
        names = [part["AttributeName"] for part in self.definition["KeySchema"]]
        return json.dumps([item.get(name) for name in names], sort_keys=True)


@dataclass
class Replayed:
    tables: dict[str, TableData]
    # Lines read, and whether lines after the last commit were left out (a crash mid-flush).
    lines: int
    torn: bool

    @property
    def items(self) -> int:
        return sum(len(table.items) for table in self.tables.values())


def replay(path: Path) -> Replayed:
    """The tables and items the committed lines of `path` leave (none if there is no such file)."""
    tables: dict[str, TableData] = {}
    pending: list[dict[str, Any]] = []
    lines = 0
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        return Replayed(tables, 0, False)
    with handle:
        for lines, text in enumerate(handle, start=1):  # noqa: B007 (the count is kept)
            try:
                line = json.loads(text)
            except ValueError:
                break  # a line cut short by a crash: it and anything after it were never committed
            if line.get("committed"):
                for entry in pending:
                    _apply(tables, entry)
                pending = []
            else:
                pending.append(line)
    return Replayed(tables, lines, bool(pending))


def _apply(tables: dict[str, TableData], line: dict[str, Any]) -> None:
    name = line["table"]
    if "definition" in line:
        before = tables.get(name)
        items = before.items if before is not None and before.created == line["created"] else {}
        tables[name] = TableData(line["definition"], line.get("ttl"), line["created"], items)
    elif "dropped" in line:
        tables.pop(name, None)
    elif name in tables:
        table = tables[name]
        if "put" in line:
            table.items[table.key_of(line["put"])] = line["put"]
        else:
            table.items.pop(table.key_of(line["delete"]), None)


def table_lines(name: str, table: TableData) -> Iterator[str]:
    yield json.dumps({"table": name, "definition": table.definition, "ttl": table.ttl, "created": table.created})
    for item in table.items.values():
        yield json.dumps({"table": name, "put": item})


def write(path: Path, tables: dict[str, TableData]) -> int:
    """Rewrite `path` as the definitions and items of `tables`, all at once (a crash leaves the old
    file); the number of lines written."""
    temporary = path.with_name(path.name + ".tmp")
    count = 0
    with temporary.open("w", encoding="utf-8") as handle:
        for name, table in tables.items():
            count += append(handle, table_lines(name, table), commit=False)
        handle.write(COMMITTED + "\n")
        _sync(handle)
    temporary.replace(path)
    return count + 1


def append(handle: IO[str], lines: Iterable[str], *, commit: bool = True) -> int:
    """Append `lines` (and, with `commit`, the line that makes them count, then sync to disk)."""
    count = 0
    for line in lines:
        handle.write(line + "\n")
        count += 1
    if commit:
        handle.write(COMMITTED + "\n")
        _sync(handle)
        count += 1
    return count


def _sync(handle: IO[str]) -> None:
    handle.flush()
    os.fsync(handle.fileno())
