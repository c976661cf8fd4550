"""Signed cursors (query/cursors.py) and where a stage's secret comes from (settings.py)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from chalicelib import settings as settings_module
from chalicelib.errors import INVALID_INPUT, ApiError
from chalicelib.query.cursors import TAG_BYTES, Cursors, list_scope
from chalicelib.schema import load_schema_file
from chalicelib.settings import DEVELOPMENT_CURSOR_SECRET, Settings, StartupError, stage_cursors
from tests.conftest import CITIES_SCHEMA

SECRET = b"a secret of thirty-two bytes...."
CURSORS = Cursors(SECRET)
CITY = load_schema_file(CITIES_SCHEMA).model("City")
BY_NAME = list_scope("City", [(CITY.fields["name"], False)])
POSITION = ["NY", "c1"]


def refused(cursor: str, scope: str = BY_NAME, length: int = 2, cursors: Cursors = CURSORS) -> bool:
    """Whether `cursors` refuse `cursor` as a client error (any other outcome fails)."""
    with pytest.raises(ApiError, match="is not a cursor of this list") as raised:
        cursors.decode(scope, cursor, length)
    return raised.value.code == INVALID_INPUT


@pytest.mark.parametrize(
    "position",
    [["NY", "c1"], [None, "c1"], [5, "c1"], [2.5, "c1"], ["Zürich 🏙", "c1"], [True, "c1"]],
)
def test_a_cursor_round_trips(position: list[Any]) -> None:
    cursor = CURSORS.encode(BY_NAME, position)
    assert CURSORS.decode(BY_NAME, cursor, 2) == position
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_every_changed_character_is_refused() -> None:
    cursor = CURSORS.encode(BY_NAME, POSITION)
    for index, char in enumerate(cursor):
        for other in "AQgw-_09z":
            if other != char:
                assert refused(cursor[:index] + other + cursor[index + 1 :]), (index, other)


def test_a_cut_or_extended_cursor_is_refused() -> None:
    cursor = CURSORS.encode(BY_NAME, POSITION)
    for end in range(len(cursor)):
        assert refused(cursor[:end])
    for extra in ("A", "AA", "=", "==", " ", "\n", ".", "+", "/"):
        assert refused(cursor + extra)


def test_another_spelling_of_the_same_bytes_is_refused() -> None:
    """Python's base64 decoder passes over stray characters and reads `+` as `-`; a cursor is
    accepted only as `encode` wrote it."""
    cursor = CURSORS.encode(BY_NAME, POSITION)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for spelling in (
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        cursor[:4] + "\n" + cursor[4:],
    ):
        if spelling != cursor:
            assert refused(spelling)


def test_a_cursor_of_another_list_or_order_is_refused() -> None:
    cursor = CURSORS.encode(BY_NAME, POSITION)
    name, population = CITY.fields["name"], CITY.fields["population"]
    for scope in (
        list_scope("City", [(name, True)]),
        list_scope("City", [(population, False)]),
        list_scope("User", [(name, False)]),
        list_scope("relation cities to City", [(name, False)]),
        list_scope("City", [(name, False), (population, False)]),
        "updateMany/deleteMany",
    ):
        assert scope != BY_NAME
        assert refused(cursor, scope)
    assert CURSORS.decode(BY_NAME, cursor, 2) == POSITION


def test_a_cursor_of_another_secret_is_refused() -> None:
    other = Cursors(b"another secret, of the same size")
    assert refused(other.encode(BY_NAME, POSITION))
    assert refused(CURSORS.encode(BY_NAME, POSITION), cursors=other)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "nope",
        "!!!",
        base64.urlsafe_b64encode(json.dumps(POSITION).encode()).decode().rstrip("="),
        base64.urlsafe_b64encode(b"\0" * TAG_BYTES + json.dumps(POSITION).encode()).decode().rstrip("="),
        base64.urlsafe_b64encode(b"\0" * TAG_BYTES).decode().rstrip("="),
    ],
    ids=["empty", "word", "not-base64", "unsigned-json", "zero-tag", "tag-only"],
)
def test_a_made_up_cursor_is_refused(cursor: str) -> None:
    assert refused(cursor)


def test_a_signed_cursor_of_the_wrong_shape_is_refused() -> None:
    for position in (["c1"], ["NY", "c1", "x"], ["NY", 5], {"a": "c1"}):
        assert refused(CURSORS.encode(BY_NAME, position))  # type: ignore[arg-type]


def test_a_long_cursor_is_shown_cut_short() -> None:
    with pytest.raises(ApiError) as raised:
        CURSORS.decode(BY_NAME, "A" * 1000, 2)
    assert len(raised.value.message) < 100


def test_a_secret_read_later_is_read_once_at_the_first_cursor() -> None:
    reads: list[int] = []

    def load() -> bytes:
        reads.append(1)
        return SECRET

    lazy = Cursors(load)
    assert reads == []
    cursor = lazy.encode(BY_NAME, POSITION)
    assert lazy.decode(BY_NAME, cursor, 2) == POSITION
    assert CURSORS.decode(BY_NAME, cursor, 2) == POSITION
    assert reads == [1]


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Cursors(b"short")


def settings(**env: str) -> Settings:
    return Settings.from_environ({"SCHEMA": str(CITIES_SCHEMA), **env})


def test_a_stage_signs_with_its_configured_secret() -> None:
    secret = "the stage's own secret, 32 bytes"
    cursor = stage_cursors(settings(STAGE="prod", CURSOR_SECRET=secret)).encode(BY_NAME, POSITION)
    assert Cursors(secret.encode()).decode(BY_NAME, cursor, 2) == POSITION
    assert refused(cursor, cursors=Cursors(DEVELOPMENT_CURSOR_SECRET))
    assert secret not in repr(settings(CURSOR_SECRET=secret))


def test_a_stage_reads_its_secret_parameter_at_the_first_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[tuple[str, str]] = []

    def read_parameter(name: str, region: str) -> str:
        read.append((name, region))
        return "the parameter's secret, 32 bytes\n"

    monkeypatch.setattr(settings_module, "read_parameter", read_parameter)
    cursors = stage_cursors(settings(STAGE="prod", CURSOR_SECRET_PARAMETER="/s/prod/c", AWS_REGION="eu-west-1"))
    assert read == []
    cursor = cursors.encode(BY_NAME, POSITION)
    assert read == [("/s/prod/c", "eu-west-1")]
    assert Cursors(b"the parameter's secret, 32 bytes").decode(BY_NAME, cursor, 2) == POSITION


def test_only_a_stage_other_than_prod_signs_with_the_development_secret() -> None:
    cursor = stage_cursors(settings(STAGE="dev")).encode(BY_NAME, POSITION)
    assert Cursors(DEVELOPMENT_CURSOR_SECRET).decode(BY_NAME, cursor, 2) == POSITION
    with pytest.raises(StartupError, match=r"^stage prod has no cursor secret: set CURSOR_SECRET_PARAMETER"):
        stage_cursors(settings(STAGE="prod"))
    with pytest.raises(StartupError, match=r"^CURSOR_SECRET: a cursor secret needs at least 16 bytes$"):
        stage_cursors(settings(STAGE="dev", CURSOR_SECRET="short"))
