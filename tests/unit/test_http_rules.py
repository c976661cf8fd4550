"""The HTTP rules alone: which media type an `Accept` gets, which bodies are read, `traceparent`."""

from __future__ import annotations

import pytest

from chalicelib.http.negotiation import GRAPHQL_RESPONSE, JSON, response_type, unsupported_body
from chalicelib.http.tracing import trace


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("text/html", JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),  # Apollo Client
        (f"{GRAPHQL_RESPONSE}, application/graphql+json, application/json, text/event-stream", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),  # a tie goes to the spec's type
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", JSON),
        (f"{GRAPHQL_RESPONSE};q=0, */*", JSON),
        (f"*/*, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON; charset=utf-8; q=bad", GRAPHQL_RESPONSE),
    ],
)
def test_the_answers_media_type_follows_accept(accept: str | None, expected: str) -> None:
    assert response_type(accept) == expected


def test_only_utf8_json_bodies_are_read() -> None:
    for readable in ["application/json", "application/json; charset=utf-8", 'Application/JSON; charset="UTF-8"']:
        assert unsupported_body(readable) is None
    for refused in [
        None,
        "",
        "application/graphql",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
    ]:
        assert unsupported_body(refused) is not None


def test_a_valid_traceparent_is_joined_and_an_invalid_one_ignored() -> None:
    joined = trace({"TraceParent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    assert (joined.trace_id, joined.parent_id, joined.flags) == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
        "01",
    )
    assert joined.span_id != joined.parent_id
    future = trace({"traceparent": "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later"})
    assert future.parent_id == "00f067aa0ba902b7"
    for invalid in [
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff is forbidden
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  # version 00 has 4 fields
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "garbage",
    ]:
        started = trace({"traceparent": invalid})
        assert started.parent_id is None, invalid
        assert len(started.trace_id) == 32
