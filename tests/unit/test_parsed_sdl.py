"""The generated SDL's document, kept in a file by hash: the same document as parsing gives, never a
stale one, and the same executable schema as Ariadne builds from the text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ariadne import make_executable_schema
from graphql import parse, print_ast, print_schema

from chalicelib.accounts.sdl import ACCOUNT_SDL
from chalicelib.api import parsed_sdl as module
from chalicelib.api.descriptions import describe
from chalicelib.api.parsed_sdl import parsed_sdl
from chalicelib.api.sdl import generate_sdl
from chalicelib.schema import load_schema_file
from chalicelib.service import Service
from chalicelib.sessions.sdl import SESSION_SDL
from tests.conftest import CITIES_SCHEMA, DEFAULT_SCHEMA

SDL = generate_sdl(load_schema_file(CITIES_SCHEMA))


def kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pickle"))


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(module, "parse", fail)


def test_the_kept_document_is_the_parsed_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = parsed_sdl(SDL, tmp_path)
    assert len(kept(tmp_path)) == 1
    no_parsing(monkeypatch)
    again = parsed_sdl(SDL, tmp_path)
    assert print_ast(again) == print_ast(first) == print_ast(parse(SDL))


def test_another_sdl_never_reads_the_file_of_the_first(tmp_path: Path) -> None:
    parsed_sdl(SDL, tmp_path)
    other = SDL + "\ntype Extra {\n  id: ID!\n}\n"
    assert "Extra" in print_ast(parsed_sdl(other, tmp_path))
    assert len(kept(tmp_path)) == 2


def test_the_key_covers_graphql_cores_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed_sdl(SDL, tmp_path)
    monkeypatch.setattr(module, "version", "0.0.0")
    parsed_sdl(SDL, tmp_path)
    assert len(kept(tmp_path)) == 2


def test_a_damaged_file_is_parsed_again_and_replaced(tmp_path: Path) -> None:
    parsed_sdl(SDL, tmp_path)
    (path,) = kept(tmp_path)
    path.write_bytes(b"not a pickle")
    assert print_ast(parsed_sdl(SDL, tmp_path)) == print_ast(parse(SDL))
    assert path.read_bytes() != b"not a pickle"


def test_a_folder_that_cannot_be_written_parses_at_every_start(tmp_path: Path) -> None:
    """As in a deployed Lambda's read-only package (here: the folder's place is taken by a file)."""
    taken = tmp_path / "taken"
    taken.write_text("")
    assert print_ast(parsed_sdl(SDL, taken)) == print_ast(parse(SDL))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_an_invalid_sdl_is_refused_and_not_kept(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="only one type named 'City'"):
        parsed_sdl(SDL + "\ntype City {\n  id: ID!\n}\n", tmp_path)
    assert kept(tmp_path) == []


@pytest.mark.parametrize("schema", [CITIES_SCHEMA, DEFAULT_SCHEMA], ids=["cities", "default"])
def test_the_executable_schema_is_the_one_ariadne_builds_from_the_text(
    services: Callable[..., Service], schema: Path
) -> None:
    first, again = services(schema), services(schema)
    sdl = generate_sdl(first.registry) + (SESSION_SDL + ACCOUNT_SDL if first.sessions is not None else "")
    from_text = make_executable_schema(sdl)
    describe(from_text, first.registry)  # as the service does: descriptions for what has none
    assert print_schema(first.schema) == print_schema(again.schema) == print_schema(from_text)
    assert first.schema.query_type is not None
    assert first.schema.query_type.fields["node"].resolve is not None
