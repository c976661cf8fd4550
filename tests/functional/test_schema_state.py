"""The API serves only a stage whose tables match its schema: it checks the fingerprint the stage
records (one GetItem) when it starts, and refuses in one line naming `migrate` otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from chalicelib import schema_state as state
from chalicelib.schema import load_schema, load_schema_file
from chalicelib.schema.layout import layout, schema_fingerprint
from chalicelib.store.tables import StoreConfig, Tables
from tests.conftest import CITIES_SCHEMA, DEFAULT_SCHEMA, ROOT, Api, make_settings
from tooling.local.dynamodb import LocalDynamoDB

STARTED = "started"


def _start_app(dynamodb: LocalDynamoDB, prefix: str, schema: Path) -> subprocess.CompletedProcess[str]:
    """Import app.py in a fresh process, as Lambda does at a cold start."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb.url,
        "TABLE_PREFIX": prefix,
        "SCHEMA": str(schema),
        "POWERTOOLS_METRICS_DISABLED": "true",
        # As Lambda runs it: Chalice's own commands import app.py too, and do not check.
        "AWS_LAMBDA_FUNCTION_NAME": "shoreline-local",
    }
    env.pop("STAGE", None)
    code = f"import app; print({STARTED!r})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _tables(dynamodb: LocalDynamoDB, prefix: str, schema: Path = CITIES_SCHEMA) -> Tables:
    return Tables(load_schema_file(schema), StoreConfig.at_endpoint(prefix, "us-east-1", dynamodb.url))


def _refused(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert STARTED not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, no traceback
    return lines[0]


def test_the_layout_ignores_what_nothing_stored_depends_on() -> None:
    base = "type City { id: ID! name: String @unique population: Int }"
    described = (
        '"A city." type City @access(read: ["signed-in"]) '
        "{ id: ID! name: String @unique population: Int @default(value: 1) }"
    )
    renamed = 'type City { id: ID! title: String @unique @storeName(value: "name") population: Int }'
    assert schema_fingerprint(load_schema(described)) == schema_fingerprint(load_schema(base))
    assert schema_fingerprint(load_schema(renamed)) == schema_fingerprint(load_schema(base))
    for changed in (
        "type City { id: ID! name: String population: Int }",  # @unique dropped
        "type City { id: ID! name: String @unique population: Int @index }",
        "type City { id: ID! name: String @unique population: Float }",
        "type City { id: ID! name: String! @unique population: Int }",
        'type City @index(sortBy: "population") { id: ID! name: String @unique population: Int }',
        'type City @storeName(value: "Town") { id: ID! name: String @unique population: Int }',
    ):
        assert schema_fingerprint(load_schema(changed)) != schema_fingerprint(load_schema(base)), changed


def test_the_api_refuses_a_stage_that_records_no_schema_then_starts_once_recorded(dynamodb: LocalDynamoDB) -> None:
    prefix = f"state{uuid.uuid4().hex[:8]}-"
    tables = _tables(dynamodb, prefix)
    tables.create_all()
    line = _refused(_start_app(dynamodb, prefix, CITIES_SCHEMA))
    assert line.startswith("shoreline: stage local (tables " + prefix)
    assert "records no schema" in line
    assert "run `python -m chalicelib migrate --apply` first" in line
    state.record(tables, tables.registry)
    started = _start_app(dynamodb, prefix, CITIES_SCHEMA)
    assert started.returncode == 0, started.stderr
    assert STARTED in started.stdout


def _stage_behind(dynamodb: LocalDynamoDB, tmp_path: Path) -> tuple[str, Tables, Path]:
    """A stage recorded at the cities schema, and a changed schema (a new index) it is not at."""
    prefix = f"state{uuid.uuid4().hex[:8]}-"
    tables = _tables(dynamodb, prefix)
    tables.create_all()
    state.record(tables, tables.registry)
    changed = tmp_path / "changed.graphql"
    changed.write_text(CITIES_SCHEMA.read_text().replace("population: Int", "population: Int @index"))
    return prefix, tables, changed


def test_the_api_refuses_a_stage_at_another_schema(dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    prefix, tables, changed = _stage_behind(dynamodb, tmp_path)
    line = _refused(_start_app(dynamodb, prefix, changed))
    old, new = schema_fingerprint(tables.registry), schema_fingerprint(load_schema_file(changed))
    assert f"is at schema {old[:12]}, not at changed.graphql ({new[:12]})" in line
    assert "python -m chalicelib migrate --apply" in line


def test_chalice_commands_import_the_app_without_reaching_the_stage(dynamodb: LocalDynamoDB) -> None:
    """`chalice package` imports app.py with the stage's settings, on a machine that may not reach
    its DynamoDB: only a function instance checks the stage."""
    prefix = f"state{uuid.uuid4().hex[:8]}-"
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb.url,
        "TABLE_PREFIX": prefix,
        "SCHEMA": str(CITIES_SCHEMA),
    }
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    code = f"import app; print({STARTED!r})"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert STARTED in result.stdout


def test_a_bad_schema_is_one_line(dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    bad = tmp_path / "bad.graphql"
    bad.write_text("type City { id: ID! tags: [String] @unique }")
    line = _refused(_start_app(dynamodb, "bad-", bad))
    assert line == f"shoreline: {bad}: City.tags: @unique applies to single scalar fields, not to lists or relations"
    env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": dynamodb.url, "SCHEMA": str(bad)}
    checked = subprocess.run(
        [sys.executable, "-m", "chalicelib", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert _refused(checked).startswith(f"python -m chalicelib check: {bad}: City.tags: @unique")


def test_the_start_check_is_one_get_item(make_api: Callable[..., Api]) -> None:
    api = make_api(DEFAULT_SCHEMA)
    state.record(api.service.tables, api.service.registry)
    with api.calls() as log:
        state.require_current(api.service.tables, api.service.settings)
    assert dict(log.counts) == {"GetItem": 1}
    stored = state.read(api.service.tables)
    assert stored is not None
    assert stored.layout == layout(api.service.registry)
    assert stored.progress is None


def test_the_refusal_names_the_stage_of_chalice_config(dynamodb: LocalDynamoDB) -> None:
    settings = make_settings(dynamodb, CITIES_SCHEMA, stage="dev")
    assert state.migrate_command(settings.stage) == "python -m chalicelib migrate --stage dev --apply"
    assert state.migrate_command("local") == "python -m chalicelib migrate --apply"


@pytest.mark.slow
def test_the_local_server_refuses_a_stage_at_another_schema(dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    """`serve` against a DynamoDB of one's own: a stage with tables is served only at its schema (the
    embedded DynamoDB, and a stage with no tables yet, get their tables at start)."""
    prefix, _, changed = _stage_behind(dynamodb, tmp_path)
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb.url,
        "TABLE_PREFIX": prefix,
        "SCHEMA": str(changed),
        "PORT": "0",
        "ADMIN_API_KEY": "key",
    }
    result = subprocess.run(
        [sys.executable, "-m", "chalicelib", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    line = _refused(result)
    assert line.startswith("python -m chalicelib serve: stage local")
    assert "run `python -m chalicelib migrate --apply` first" in line
