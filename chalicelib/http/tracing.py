"""Request ids and W3C Trace Context, so that one request can be followed across logs.

Every answer carries `x-request-id`: the Lambda request id, which the request's log line also
carries (and CloudWatch's own `START` / `END` lines). A request with a valid `traceparent` joins the
caller's trace: its log line names the trace id and the caller's span, and the answer's
`traceresponse` (Trace Context Level 2) names the span this request is, so a client can link what
it saw to the server's log. A request without one (or with an invalid one, which the spec says to
ignore) starts a trace of its own. The API calls nothing that takes a `traceparent` (DynamoDB does
not), so the trace goes no further than the log.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

REQUEST_ID = "x-request-id"
TRACEPARENT = "traceparent"
TRACERESPONSE = "traceresponse"
# version-traceid-parentid-flags; a later version may append fields after a dash.
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
_INVALID_VERSION = "ff"


@dataclass(frozen=True)
class Trace:
    trace_id: str
    # The caller's span; None when the trace starts here.
    parent_id: str | None
    span_id: str
    flags: str

    def response_header(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


def trace(headers: Mapping[str, str]) -> Trace:
    """The request's place in its caller's trace (from `traceparent`), or a new trace."""
    found = _TRACEPARENT.match(_header(headers, TRACEPARENT).strip().lower())
    span = secrets.token_hex(8)
    if found is not None:
        version, trace_id, parent_id, flags, rest = found.groups()
        valid = (
            version != _INVALID_VERSION
            and (version != "00" or rest is None)
            and trace_id != "0" * 32
            and parent_id != "0" * 16
        )
        if valid:
            return Trace(trace_id, parent_id, span, flags)
    return Trace(secrets.token_hex(16), None, span, "00")


def request_id(lambda_request_id: str | None) -> str:
    """The id of this request: Lambda's, which its logs carry; a new one outside Lambda."""
    return lambda_request_id or str(uuid.uuid4())


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""
