"""The error formatter: what a client sees of an error, and nothing more; and the error log.

`ApiError`s are shown as raised. Errors in the request itself (syntax, validation, a variable of
the wrong type) have no path and are shown with graphql-core's message. The store giving up on a
DynamoDB that kept declining is `GGT_UNAVAILABLE` (the client may try again later). Anything else
raised while resolving is a bug or an outage. Both are logged (`ERROR_LOG`) with their traceback on
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


class _ErrorLog(logging.LoggerAdapter[logging.Logger]):
    """What Ariadne logs of the errors of a request (`logger.error(error, exc_info=error)`).

    `ApiError`s and bad requests are answers to the client, not incidents: they are not logged.
    An internal error is logged as the path of its field, its exception's type and traceback; never
    as the GraphQLError itself, whose text quotes the query around the field (and with it any
    literal: a password, an email), nor with the variables.
    """

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if not isinstance(msg, GraphQLError):
            super().log(level, msg, *args, **kwargs)
            return
        original = unwrap_graphql_error(msg)
        if not msg.path or isinstance(original, ApiError):
            return
        path = ".".join(map(str, msg.path))
        if original is None or original is msg:
            # graphql-core's own failure (e.g. a null for a non-null field): its message says what.
            super().log(level, "Internal error at %s: %s", path, msg.message)
        else:
            super().log(level, "Internal error at %s: %s", path, type(original).__name__, exc_info=original)


ERROR_LOG = _ErrorLog(logging.getLogger(LOGGER))


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
