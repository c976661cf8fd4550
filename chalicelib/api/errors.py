"""The error formatter: what a client sees of an error, and nothing more.

`ApiError`s are shown as raised. Errors in the request itself (syntax, validation, a variable of
the wrong type) have no path and are shown with graphql-core's message. The store giving up on a
DynamoDB that kept declining is `GGT_UNAVAILABLE` (the client may try again later). Anything else
raised while resolving is a bug or an outage. Both are logged by Ariadne with their traceback on
the `LOGGER` logger, and no stack trace, botocore message or ARN reaches the client.
"""

from __future__ import annotations

import logging
from typing import Any

from ariadne import unwrap_graphql_error
from graphql import GraphQLError, GraphQLSyntaxError

from chalicelib import errors
from chalicelib.errors import ApiError, unavailable
from chalicelib.store.backoff import GaveUp

LOGGER = "shoreline.graphql"


class _ExpectedErrors(logging.Filter):
    """`ApiError`s and bad requests are answers to the client, not incidents: keep them out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.msg
        if not isinstance(error, GraphQLError):
            return True
        return bool(error.path) and not isinstance(unwrap_graphql_error(error), ApiError)


logging.getLogger(LOGGER).addFilter(_ExpectedErrors())


def format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:  # noqa: ARG001 (Ariadne's signature)
    original = unwrap_graphql_error(error)
    if isinstance(original, GaveUp):
        original = unavailable()
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        formatted["path"] = error.path
    if isinstance(original, ApiError):
        formatted["message"] = original.message
        formatted["extensions"] = {"code": original.code, **original.extensions}
    elif isinstance(error, GraphQLSyntaxError) or isinstance(original, GraphQLSyntaxError):
        formatted["extensions"] = {"code": errors.PARSE_FAILED}
    elif not error.path:
        formatted["extensions"] = {"code": errors.VALIDATION_FAILED}
    else:
        formatted["message"] = "Internal server error"
        formatted["extensions"] = {"code": errors.INTERNAL_ERROR}
    return formatted
