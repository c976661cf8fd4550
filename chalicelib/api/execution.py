"""Transport-free execution: a decoded request body in, a status and a JSON-ready result out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ariadne import graphql_sync
from graphql import GraphQLError, GraphQLSchema, OperationType, parse
from graphql.validation import ValidationRule

from chalicelib.access.context import RequestContext
from chalicelib.api.documents import Documents
from chalicelib.api.errors import ERROR_LOG, format_error
from chalicelib.api.operations import Operation, describe, selected
from chalicelib.errors import BAD_REQUEST

METHOD_NOT_ALLOWED = 405


@dataclass(frozen=True)
class GraphQLResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # True when the body is GraphQL's own answer: the operation ran, or its document did not parse
    # or validate, or its variables did not coerce. False when the HTTP request itself was refused
    # (malformed, unauthenticated, too large). The transport picks the status from this
    # (`chalicelib.http.negotiation`).
    graphql: bool = False
    # For the request log: the operation run, and the caller's roles.
    operation: Operation | None = None
    roles: tuple[str, ...] = ()


def bad_request(message: str, code: str = BAD_REQUEST, status: int = 400) -> GraphQLResponse:
    return GraphQLResponse(status, {"errors": [{"message": message, "extensions": {"code": code}}]})


def too_large(limit: int) -> GraphQLResponse:
    """413 for a request over `Settings.max_body_bytes`, refused before it is decoded or parsed."""
    return bad_request(f"The request is larger than the limit of {limit} bytes", status=413)


def execute(
    schema: GraphQLSchema,
    data: Any,
    context: RequestContext,
    *,
    queries_only: bool = False,
    introspection: bool = True,
    rules: Sequence[type[ValidationRule]] = (),
    documents: Documents | None = None,
) -> GraphQLResponse:
    """Runs one request. `rules` are validation rules beyond the spec's (the depth and cost limits);
    `documents` caches parsing and validation (without it, every request parses and validates)."""
    problem = _check_request(data)
    if problem:
        return bad_request(problem)
    operation = _operation(data, documents)
    if queries_only and operation is not None and operation.type != OperationType.QUERY.value:
        # GraphQL over HTTP: 405, so that a client knows to send it again as a POST.
        refused = bad_request(
            f"GET requests run queries only; send {operation.type}s with POST", status=METHOD_NOT_ALLOWED
        )
        return GraphQLResponse(refused.status, refused.body, {"Allow": "POST"}, operation=operation)
    in_force = [*rules, QueriesOnly] if queries_only else list(rules)
    _, result = graphql_sync(
        schema,
        data,
        context_value=context,
        error_formatter=format_error,
        logger=ERROR_LOG,
        validation_rules=in_force,
        introspection=introspection,
        query_parser=documents.parse if documents else None,
        query_validator=documents.validate if documents else None,
    )
    # A request that could not run at all (syntax, validation, variables) is a 400; anything that ran
    # is a 200. Under `application/json` both are sent as 200s (`chalicelib.http.negotiation`).
    if result.get("data") is None and not any(error.get("path") for error in result.get("errors") or ()):
        # Variables that do not coerce come back from Ariadne with `data: null`; like a document
        # that does not validate, nothing ran, and GraphQL over HTTP answers without `data`.
        result.pop("data", None)
    status = 200 if "data" in result else 400
    return GraphQLResponse(status, result, dict(context.response_headers), graphql=True, operation=operation)


def _operation(data: dict[str, Any], documents: Documents | None) -> Operation | None:
    """The operation the request selects, or None when its document does not parse (graphql_sync
    reports that) or names no single operation (validation does)."""
    try:
        document = documents.parse(None, data) if documents else parse(data["query"])
    except GraphQLError:
        return None
    found = selected(document, data.get("operationName"))
    return describe(found) if found is not None else None


def _check_request(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "The request body must be a JSON object with a `query` string"
    if not isinstance(data.get("query"), str) or not data["query"].strip():
        return "The request needs a `query` string"
    if data.get("variables") is not None and not isinstance(data["variables"], dict):
        return "`variables` must be a JSON object"
    if data.get("operationName") is not None and not isinstance(data["operationName"], str):
        return "`operationName` must be a string"
    if data.get("extensions") is not None and not isinstance(data["extensions"], dict):
        return "`extensions` must be a JSON object"
    return None


class QueriesOnly(ValidationRule):
    """GET requests may read, never write: browsers and caches replay them freely."""

    def enter_operation_definition(self, node: Any, *_args: Any) -> None:
        if node.operation is not OperationType.QUERY:
            message = f"GET requests run queries only; send {node.operation.value}s with POST"
            self.report_error(GraphQLError(message, node))
