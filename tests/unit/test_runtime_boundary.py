"""What Chalice ships (app.py and chalicelib/) never reaches for the tooling beside it, which the
Lambda package does not carry: an import of it would fail only once deployed."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_runtime_imports_nothing_from_the_tooling() -> None:
    shipped = [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")]
    # `python -m chalicelib` is the command line's entry from a checkout, never run in Lambda.
    runtime = [p for p in shipped if p != ROOT / "chalicelib" / "__main__.py"]
    assert len(runtime) > 50
    reaching = {
        str(p.relative_to(ROOT)): sorted(n for n in _imported(p) if n.split(".")[0] == "tooling") for p in runtime
    }
    assert {p: names for p, names in reaching.items() if names} == {}


def test_the_command_line_entry_is_only_a_doorway_to_the_tooling() -> None:
    assert _imported(ROOT / "chalicelib" / "__main__.py") == {"sys", "tooling.cli"}
