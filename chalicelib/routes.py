"""HTTP routes: GraphQL over HTTP on `/graphql`, and the GraphiQL explorer for browsers; and the
scheduled cleanup of the links deleted records leave (chalicelib/store/cleanup.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from chalice import Chalice, CORSConfig, Rate, Response
from chalice.app import CloudWatchEvent

from chalicelib import explorer
from chalicelib.api.decoding import BadJson, loads
from chalicelib.api.execution import GraphQLResponse, bad_request, too_large
from chalicelib.observability import error_codes, logger, observe
from chalicelib.service import Service
from chalicelib.store import cleanup as cleanup_job
from chalicelib.store.backoff import deadline

APP_NAME = "shoreline"
# The scheduled function's name: its Lambda is `<app>-<stage>-<name>`, with a log group of its own,
# and its handler `app.<name>`, which app.py exports.
CLEANUP_FUNCTION = "cleanup"
CLEANUP_EVERY_MINUTES = 5
SET_AUTHORIZATION = "x-set-authorization"
CORS = CORSConfig(
    allow_origin="*",
    allow_headers=["Authorization", "Content-Type"],
    expose_headers=[SET_AUTHORIZATION],
    max_age=600,
)


def create_app(service: Service) -> Chalice:
    app = Chalice(app_name=APP_NAME)
    max_bytes = service.settings.max_body_bytes

    @app.route("/graphql", methods=["POST"], cors=CORS, content_types=["application/json"])
    def graphql_post() -> Response:
        request = app.current_request
        assert request is not None
        body = request.raw_body or b""
        if len(body) > max_bytes:
            return _respond(too_large(max_bytes))
        try:
            data = loads(body)
        except BadJson as error:
            return _respond(bad_request(f"The request body {error.reason}"))
        return _handle(app, service, data, request.headers)

    @app.route("/graphql", methods=["GET"], cors=CORS)
    def graphql_get() -> Response:
        request = app.current_request
        assert request is not None
        params: Mapping[str, str] = request.query_params or {}
        if "query" not in params:
            if not service.settings.graphiql:
                return _not_found()
            return Response(explorer.page(), status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
        # The same limit as a POST body: GET carries the operation in its (here decoded) query string.
        if sum(len(k.encode()) + len(v.encode()) for k, v in params.items()) > max_bytes:
            return _respond(too_large(max_bytes))
        data: dict[str, Any] = {"query": params["query"], "operationName": params.get("operationName")}
        if params.get("variables"):
            try:
                data["variables"] = loads(params["variables"])
            except BadJson as error:
                return _respond(bad_request(f"`variables` {error.reason}"))
        return _handle(app, service, data, request.headers, queries_only=True)

    @app.route("/graphql/assets/{name}", methods=["GET"])
    def graphql_asset(name: str) -> Response:
        found = explorer.asset(name) if service.settings.graphiql else None
        if found is None:
            return _not_found()
        text, content_type = found
        return Response(text, status_code=200, headers={"Content-Type": content_type, "Cache-Control": "max-age=86400"})

    @app.schedule(Rate(CLEANUP_EVERY_MINUTES, unit=Rate.MINUTES), name=CLEANUP_FUNCTION)
    def cleanup(event: CloudWatchEvent) -> dict[str, Any]:  # noqa: ARG001 (Chalice passes the event)
        return run_cleanup(service)

    return app


def run_cleanup(service: Service) -> dict[str, Any]:
    """One bounded pass of the cleanup job, logged. New steps stop at half the deadline, so that the
    last one, its retries bounded by the deadline, ends inside the Lambda's timeout; the next run
    goes on."""
    limit = service.settings.deadline_seconds
    with deadline(time.monotonic() + limit):
        report = cleanup_job.run(service.tables, cleanup_job.Budget(seconds=limit / 2))
    logger.info("cleanup", extra=asdict(report))
    return asdict(report)


def _handle(
    app: Chalice, service: Service, data: Any, headers: Mapping[str, str], *, queries_only: bool = False
) -> Response:
    context = getattr(app, "lambda_context", None)
    with observe(getattr(context, "aws_request_id", None), data) as seen:
        response = service.handle(data, headers, queries_only=queries_only)
        seen.status = response.status
        seen.error_codes = error_codes(response.body)
    return _respond(response)


def _not_found() -> Response:
    return Response("Not found", status_code=404, headers={"Content-Type": "text/plain"})


def _respond(response: GraphQLResponse) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json", **response.headers}
    return Response(json.dumps(response.body), status_code=response.status, headers=headers)
