"""Transport-free execution: a decoded request body in, a status and a JSON-ready result out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ariadne import graphql_sync
from graphql import GraphQLError, GraphQLSchema, OperationType
from graphql.validation import ValidationRule

from chalicelib.access.context import RequestContext
from chalicelib.api.errors import LOGGER, format_error
from chalicelib.errors import BAD_REQUEST


@dataclass(frozen=True)
class GraphQLResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def bad_request(message: str, code: str = BAD_REQUEST, status: int = 400) -> GraphQLResponse:
    return GraphQLResponse(status, {"errors": [{"message": message, "extensions": {"code": code}}]})


def execute(
    schema: GraphQLSchema, data: Any, context: RequestContext, *, queries_only: bool = False
) -> GraphQLResponse:
    problem = _check_request(data)
    if problem:
        return bad_request(problem)
    rules: list[type[ValidationRule]] = [QueriesOnly] if queries_only else []
    _, result = graphql_sync(
        schema,
        data,
        context_value=context,
        error_formatter=format_error,
        logger=LOGGER,
        validation_rules=rules,
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
