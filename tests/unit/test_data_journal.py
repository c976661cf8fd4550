"""The local data's journal (tooling/local/data_journal.py): only committed lines count, a table
made anew starts without the items it had, and a rewrite leaves the same tables and items; one
folder is kept by one server at a time (tooling/local/kept_data.py)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from tooling.local import data_journal
from tooling.local.data_journal import TableData
from tooling.local.kept_data import DataInUse, KeptData

DEFINITION = {
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def _table(created: str) -> str:
    return json.dumps({"table": "T", "definition": DEFINITION, "ttl": None, "created": created})


def _put(key: str, **attributes: Any) -> str:
    return json.dumps({"table": "T", "put": {"id": {"S": key}, **attributes}})


def _journal(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _keys(path: Path) -> list[str]:
    tables = data_journal.replay(path).tables
    return sorted(item["id"]["S"] for table in tables.values() for item in table.items.values())


def test_only_committed_lines_count_and_a_cut_line_ends_the_journal(tmp_path: Path) -> None:
    path = _journal(
        tmp_path / "journal.jsonl",
        _table("1"),
        _put("a"),
        data_journal.COMMITTED,
        _put("b"),
        data_journal.COMMITTED,
        _put("c"),  # a flush that never finished
        '{"table": "T", "pu',
    )
    replayed = data_journal.replay(path)
    assert (_keys(path), replayed.torn) == (["a", "b"], True)


def test_the_last_put_wins_and_a_delete_removes(tmp_path: Path) -> None:
    path = _journal(
        tmp_path / "journal.jsonl",
        _table("1"),
        _put("a", n={"N": "1"}),
        _put("b"),
        _put("a", n={"N": "2"}),
        json.dumps({"table": "T", "delete": {"id": {"S": "b"}}}),
        data_journal.COMMITTED,
    )
    [table] = data_journal.replay(path).tables.values()
    assert list(table.items.values()) == [{"id": {"S": "a"}, "n": {"N": "2"}}]


def test_a_table_made_anew_starts_empty_and_a_changed_one_keeps_its_items(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _journal(path, _table("1"), _put("a"), data_journal.COMMITTED, _table("1"), data_journal.COMMITTED)
    assert _keys(path) == ["a"]
    _journal(path, _table("1"), _put("a"), data_journal.COMMITTED, _table("2"), _put("b"), data_journal.COMMITTED)
    assert _keys(path) == ["b"]
    dropped = json.dumps({"table": "T", "dropped": True})
    _journal(path, _table("1"), _put("a"), data_journal.COMMITTED, dropped, data_journal.COMMITTED)
    assert data_journal.replay(path).tables == {}


def test_a_rewrite_keeps_the_tables_and_items_in_fewer_lines(tmp_path: Path) -> None:
    path = _journal(
        tmp_path / "journal.jsonl",
        _table("1"),
        *(_put("a", n={"N": str(n)}) for n in range(5)),
        data_journal.COMMITTED,
    )
    before = data_journal.replay(path).tables
    assert data_journal.write(path, before) == 3  # the definition, the item, the commit
    after = data_journal.replay(path)
    assert (after.tables, after.lines, after.torn) == (before, 3, False)
    assert after.tables["T"] == TableData(DEFINITION, None, "1", {'[{"S": "a"}]': {"id": {"S": "a"}, "n": {"N": "4"}}})


def test_one_folder_is_kept_by_one_server_at_a_time(tmp_path: Path) -> None:
    first = KeptData(tmp_path, "us-east-1", threading.Lock(), frozenset())
    first.claim()
    second = KeptData(tmp_path, "us-east-1", threading.Lock(), frozenset())
    with pytest.raises(DataInUse, match="another local server keeps its data in"):
        second.claim()
    first.stop()
    second.claim()
    second.stop()
