"""Request logs: one structured line per request, with what operators need and no secrets."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator

import pytest

from chalicelib.api.errors import LOGGER
from chalicelib.errors import INTERNAL_ERROR
from chalicelib.observability import SERVICE, logger
from chalicelib.routes import create_app
from chalicelib.store.records import RecordStore
from tests.conftest import Api

SECRET_PASSWORD = "correct horse battery staple"


class _Lines(logging.Handler):
    """The request log lines, as Powertools formats them (JSON)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, object]] = []
        self.text = ""

    def emit(self, record: logging.LogRecord) -> None:
        formatted = logger.registered_formatter.format(record)
        self.text += formatted + "\n"
        line = json.loads(formatted)
        if line.get("message") == "graphql request":
            self.lines.append(line)


@pytest.fixture
def logs() -> Iterator[_Lines]:
    handler = _Lines()
    underlying = logging.getLogger(SERVICE)
    underlying.addHandler(handler)
    yield handler
    underlying.removeHandler(handler)


def test_each_request_logs_its_operation_status_calls_and_errors(api: Api, logs: _Lines) -> None:
    api.post({"query": "query Mine { users { id } }", "operationName": "Mine"})
    api.post({"query": "{ users { id } }"}, headers={})
    api.post({"query": 'mutation { signUp(email: "a@example.com", password: "long enough") { success } }'}, headers={})
    lines = logs.lines
    assert [line["operation"] for line in lines] == ["Mine", "query users", "mutation signUp"]
    assert [line["operation_type"] for line in lines] == ["query", "query", "mutation"]
    assert [line["root_fields"] for line in lines] == [["users"], ["users"], ["signUp"]]
    assert [line["roles"] for line in lines] == [["system-admin"], ["unauthenticated"], ["unauthenticated"]]
    assert lines[0]["status"] == 200
    assert lines[0]["dynamodb_calls"] == {"Scan": 1}
    assert lines[1]["error_codes"] == ["GGT_PERMISSION_DENIED"]
    assert all("duration_ms" in line and "request_id" in line and "trace_id" in line for line in lines)


def test_another_app_made_while_stdout_is_captured_leaves_the_request_log_as_it_was(api: Api, logs: _Lines) -> None:
    """Chalice does not configure its app logger, which is the request log's: making an app (the
    cleanup function's, another test's) neither silences the request log nor adds a handler."""
    underlying = logging.getLogger(SERVICE)
    before = (underlying.level, list(underlying.handlers), underlying.propagate)
    with contextlib.redirect_stdout(io.StringIO()):
        create_app(api.service)
    assert (underlying.level, list(underlying.handlers), underlying.propagate) == before
    api.post({"query": "query Mine { users { id } }", "operationName": "Mine"})
    assert [line["operation"] for line in logs.lines] == ["Mine"]


def test_the_log_line_carries_the_request_id_and_the_callers_trace(api: Api, logs: _Lines) -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    response = api.post({"query": "{ users { id } }"}, headers={**api.headers, "traceparent": parent})
    [line] = logs.lines
    assert response.headers["x-request-id"] == line["request_id"]
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["parent_span_id"] == "b7ad6b7169203331"
    assert response.headers["traceresponse"] == f"00-0af7651916cd43dd8448eb211c80319c-{line['span_id']}-01"
    # Without one (or with an invalid one, ignored as the spec says), a trace starts here.
    for header in [{}, {"traceparent": "00-00000000000000000000000000000000-b7ad6b7169203331-01"}]:
        response = api.post({"query": "{ users { id } }"}, headers={**api.headers, **header})
        line = logs.lines[-1]
        assert "parent_span_id" not in line
        assert line["trace_id"] != "0" * 32
        assert response.headers["traceresponse"] == f"00-{line['trace_id']}-{line['span_id']}-00"


def test_no_secret_reaches_the_logs(api: Api, logs: _Lines, capsys: pytest.CaptureFixture[str]) -> None:
    signed = api.post(
        {"query": f'mutation {{ signUp(email: "a@example.com", password: "{SECRET_PASSWORD}") {{ success }} }}'},
        headers={},
    )
    token = signed.headers["x-set-authorization"]
    api.post(
        {
            "query": "mutation ($e: LogInViaEmailEmailInput, $p: String)"
            " { logInViaEmail(email: $e, password: $p) { success } }",
            "variables": {"e": "a@example.com", "p": SECRET_PASSWORD},
        },
        headers={"Authorization": token},
    )
    output = capsys.readouterr()
    text = output.out + output.err + logs.text
    assert len(logs.lines) == 2
    for secret in [SECRET_PASSWORD, token.split(" ", 1)[1], "test-admin-key"]:
        assert secret not in text


def test_an_internal_error_is_logged_without_the_query_or_its_variables(
    api: Api, logs: _Lines, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: object, **__: object) -> None:
        raise RuntimeError("the store is down")

    monkeypatch.setattr(RecordStore, "write", down)
    monkeypatch.setattr(RecordStore, "scan_pages", down)
    literal, variable = "literal-token-4b1d", "variable-name-9c2e"
    requests = [
        (
            "mutation ($n: String) { createShopifyShop(input: {data:"
            f' {{name: $n, accessToken: "{literal}"}}}}) {{ data {{ id }} }} }}',
            ["createShopifyShop"],
        ),
        (
            "query ($n: [String!]) { shopifyShops(name: $n,"
            f' where: {{match: {{accessToken: ["{literal}"]}}}}) {{ id }} }}',
            ["shopifyShops"],
        ),
    ]
    with caplog.at_level(logging.DEBUG):
        for query, path in requests:
            result = api.query(query, {"n": variable if "mutation" in query else [variable]})
            assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [(path, INTERNAL_ERROR)]
    failures = [r for r in caplog.records if r.name == LOGGER]
    assert [r.getMessage() for r in failures] == [
        "Internal error at createShopifyShop: RuntimeError",
        "Internal error at shopifyShops: RuntimeError",
    ]
    assert all(r.exc_info and "the store is down" in logging.Formatter().formatException(r.exc_info) for r in failures)
    formatter = logging.Formatter()
    everything = logs.text + "".join(
        formatter.format(r) + (formatter.formatException(r.exc_info) if r.exc_info else "") for r in caplog.records
    )
    for sent in [literal, variable, "createShopifyShop(input", "accessToken"]:
        assert sent not in everything, sent
