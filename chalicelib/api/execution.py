"""Transport-free execution: a decoded request body in, a status and a JSON-ready result out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ariadne import graphql_sync
from graphql import GraphQLError, GraphQLSchema, OperationType
from graphql.validation import ValidationRule

from chalicelib.access.context import RequestContext
from chalicelib.api.documents import Documents
from chalicelib.api.errors import ERROR_LOG, format_error
from chalicelib.errors import BAD_REQUEST


@dataclass(frozen=True)
class GraphQLResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


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
    # A request that could not run at all (syntax, validation) is a 400; anything that ran is a 200.
    return GraphQLResponse(200 if "data" in result else 400, result, dict(context.response_headers))


def _check_request(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "The request body must be a JSON object with a `query` string"
    if not isinstance(data.get("query"), str) or not data["query"].strip():
        return "The request needs a `query` string"
    if data.get("variables") is not None and not isinstance(data["variables"], dict):
        return "`variables` must be a JSON object"
    if data.get("operationName") is not None and not isinstance(data["operationName"], str):
        return "`operationName` must be a string"
    return None


class QueriesOnly(ValidationRule):
    """GET requests may read, never write: browsers and caches replay them freely."""

    def enter_operation_definition(self, node: Any, *_args: Any) -> None:
        if node.operation is not OperationType.QUERY:
            message = f"GET requests run queries only; send {node.operation.value}s with POST"
            self.report_error(GraphQLError(message, node))
