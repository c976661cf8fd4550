"""Request logs: one structured line per request, with what operators need and no secrets."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from chalicelib.observability import SERVICE, logger
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
    lines = logs.lines
    assert [line["operation"] for line in lines] == ["Mine", "anonymous"]
    assert lines[0]["status"] == 200
    assert lines[0]["dynamodb_calls"] == {"Scan": 1}
    assert lines[1]["error_codes"] == ["GGT_PERMISSION_DENIED"]
    assert all("duration_ms" in line and "request_id" in line for line in lines)


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
