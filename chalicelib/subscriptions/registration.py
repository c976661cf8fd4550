"""Opening a subscription: the operation parsed, validated and checked as subscribing (source.py),
then kept in the stage's state under its model (state.py)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    Executor,
    GraphQLError,
    GraphQLSyntaxError,
    OperationType,
    create_source_event_stream,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)

from chalicelib.access.context import RequestContext
from chalicelib.api.errors import format_error
from chalicelib.subscriptions.filters import record_ids
from chalicelib.subscriptions.identity import with_loader
from chalicelib.subscriptions.source import Subscribed
from chalicelib.subscriptions.state import Subscription, SubscriptionState

if TYPE_CHECKING:
    from chalicelib.service import Service

Errors = list[dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    document: DocumentNode
    kind: OperationType


def operation(service: Service, request: dict[str, Any]) -> Operation | Errors:
    """The operation of a `subscribe` message's payload, parsed and validated, or its errors."""
    query = request.get("query")
    if not isinstance(query, str) or not query.strip():
        return [{"message": "The request needs a `query` string"}]
    try:
        document = parse(query)
    except GraphQLSyntaxError as error:
        return [format_error(error)]
    found = validate(service.schema, document, [*specified_rules, *service.rules])
    if found:
        return [format_error(error) for error in found]
    definition = get_operation_ast(document, request.get("operationName"))
    if definition is None:
        return [format_error(GraphQLError("Unknown operation, or several and no operationName"))]
    return Operation(document, definition.operation)


def register(
    service: Service,
    state: SubscriptionState,
    connection: str,
    subscription_id: str,
    context: RequestContext,
    request: dict[str, Any],
    document: DocumentNode,
) -> Subscription | Errors:
    """Check the subscription as its subscriber (arguments, permission) and keep it."""
    variables = request.get("variables") or None
    executor = Executor.build(
        service.schema,
        document,
        context_value=with_loader(service, context),
        raw_variable_values=variables,
        operation_name=request.get("operationName"),
    )
    if isinstance(executor, list):
        return [format_error(error) for error in executor]
    source = create_source_event_stream(executor)
    if isinstance(source, ExecutionResult):
        return [format_error(error) for error in source.errors or []]
    if not isinstance(source, Subscribed):
        return [{"message": "A subscription takes one field"}]
    # Kept as JSON: what the where-clause evaluator reads, as the coerced arguments give it.
    where = None if source.where is None else json.loads(json.dumps(source.where, default=str))
    subscription = Subscription(
        connection,
        subscription_id,
        source.model.name,
        request["query"],
        variables,
        request.get("operationName"),
        where,
        record_ids(where),
        time.time(),
    )
    state.subscribe(subscription)
    return subscription
