"""`python -m chalicelib sdl`: the schema clients see, for code generators."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema

from tests.conftest import CITIES_SCHEMA
from tooling.cli import main


def test_sdl_prints_the_generated_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMA", str(CITIES_SCHEMA))
    out = tmp_path / "schema.graphql"
    assert main(["sdl", "--out", str(out)]) == 0
    schema = build_schema(out.read_text())
    query, mutation = schema.query_type, schema.mutation_type
    assert query is not None
    assert mutation is not None
    assert {"city", "cities", "citiesConnection"} <= set(query.fields)
    assert {"createCity", "updateManyCities", "importData"} <= set(mutation.fields)
