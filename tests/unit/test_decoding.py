"""Request JSON: nesting measured without recursion, deep or non-JSON text refused as BadJson."""

from __future__ import annotations

import time

import pytest

from chalicelib.api.decoding import MAX_JSON_DEPTH, BadJson, loads, nesting


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "}}}"]', 1),
        (r'["\"[[[", "\\"]', 1),
        ('{"a": "x\\u005b"}', 1),
    ],
)
def test_nesting_counts_brackets_outside_strings(text: str, depth: int) -> None:
    assert nesting(text) == depth


def test_json_up_to_the_limit_decodes() -> None:
    text = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert loads(text.encode()) == loads(text)
    assert nesting(text) == MAX_JSON_DEPTH


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "[" * 5000,
        '{"a":' * 5000 + "1" + "}" * 5000,
        '{"query": "{__typename}", "variables": {"a": ' + "[" * 100_000 + "}}",
    ],
)
def test_json_past_the_limit_is_refused_with_its_depth(text: str) -> None:
    with pytest.raises(BadJson, match=f"levels deep; the limit is {MAX_JSON_DEPTH}"):
        loads(text)


@pytest.mark.parametrize(
    "data", [b"{not json", b"\xff\xfe\xfa", "[NaN]", '{"a": Infinity}', "[-Infinity]", "[1e400]", '"\\ud800', ""]
)
def test_what_is_not_json_is_refused(data: str | bytes) -> None:
    with pytest.raises(BadJson, match="is not valid JSON"):
        loads(data)


def test_bodies_in_the_other_encodings_json_allows_decode() -> None:
    assert loads('{"a": "é"}'.encode("utf-16")) == {"a": "é"}


@pytest.mark.parametrize("text", ['"' + '\\"' * 50_000, '"\\' * 50_000, '"' * 100_000, "[" + '"\\",' * 30_000])
def test_measuring_is_linear_even_in_unterminated_strings(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(BadJson):
        loads(text)
    assert time.perf_counter() - started < 0.5


def test_a_lone_surrogate_is_no_text() -> None:
    with pytest.raises(BadJson, match="surrogate"):
        loads(b'{"query": "{ a }", "variables": {"n": "\\ud800"}}')
    assert loads(b'{"n": "\\ud83d\\ude00"}') == {"n": "\U0001f600"}
