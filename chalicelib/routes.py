"""HTTP routes: GraphQL over HTTP on `/graphql` (chalicelib/http/ has its rules), the GraphiQL
explorer for browsers, a health check; the scheduled cleanup of the links deleted records
leave and of file fields' unfinished bucket work (chalicelib/store/cleanup.py); and the
subscriptions' WebSocket API and stream handler (chalicelib/gateway/)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from chalice import Chalice, Rate, Response
from chalice.app import CloudWatchEvent, Request
from graphql import GraphQLError

from chalicelib import explorer
from chalicelib.api.decoding import BadJson, loads
from chalicelib.api.execution import GraphQLResponse, bad_request, too_large
from chalicelib.api.limits import request_cost
from chalicelib.files.settling import perform
from chalicelib.gateway import routes as gateway
from chalicelib.gateway.connections import ConnectionsByEndpoint
from chalicelib.http import batch
from chalicelib.http.cors import Cors
from chalicelib.http.negotiation import response_type, status, unsupported_body
from chalicelib.http.tracing import REQUEST_ID, TRACERESPONSE, Trace, request_id, trace
from chalicelib.observability import logger, observe
from chalicelib.service import Service
from chalicelib.store import cleanup as cleanup_job
from chalicelib.store.backoff import deadline

APP_NAME = "shoreline"
# The scheduled function's name: its Lambda is `<app>-<stage>-<name>`, with a log group of its own,
# and its handler `app.<name>`, which app.py exports.
CLEANUP_FUNCTION = "cleanup"
CLEANUP_EVERY_MINUTES = 5
# Every function beyond the API handler, as Chalice names them (the policy grants their log groups).
FUNCTIONS = [CLEANUP_FUNCTION, *gateway.FUNCTIONS]
SET_AUTHORIZATION = batch.SET_AUTHORIZATION
# Every body type reaches the view, so that an unsupported one is refused in GraphQL's error
# format (`chalicelib.http.negotiation`) rather than in Chalice's own.
ANY_BODY = ["*/*"]
UNSUPPORTED_MEDIA_TYPE = 415
ROOT_TEXT = "Shoreline GraphQL API: POST /graphql (GET /graphql opens the explorer where it is on); GET /health\n"


@dataclass(frozen=True)
class Exchange:
    """One HTTP request to `/graphql`: who asked, how the answer is sent, how it is traced."""

    request: Request
    media: str
    request_id: str
    trace: Trace
    cors: Cors

    @classmethod
    def of(cls, request: Request, cors: Cors) -> Exchange:
        lambda_id = getattr(request.lambda_context, "aws_request_id", None)
        media = response_type(request.headers.get("accept"))
        return cls(request, media, request_id(lambda_id), trace(request.headers), cors)

    @property
    def address(self) -> str | None:
        """The client's address as API Gateway saw it (what an anonymous caller's rate limit counts by)."""
        identity = (self.request.context or {}).get("identity") or {}
        address = identity.get("sourceIp")
        return address if isinstance(address, str) and address else None

    def send(self, code: int, body: Any, headers: Mapping[str, str]) -> Response:
        sent: dict[str, str | list[str]] = {
            **self.cors.headers(self.request.headers.get("origin")),
            **headers,
            "Content-Type": self.media,
            REQUEST_ID: self.request_id,
            TRACERESPONSE: self.trace.response_header(),
        }
        return Response(json.dumps(body), status_code=code, headers=sent)

    def reply(self, response: GraphQLResponse) -> Response:
        return self.send(status(response, self.media), response.body, response.headers)


def create_app(service: Service, connections: ConnectionsByEndpoint | None = None) -> Chalice:
    """`connections`: how the subscriptions reach WebSocket connections (by default API Gateway's
    Management API)."""
    # Chalice's app logger is the request log's (observability.py: Powertools names its logger by the
    # service, which is the app's name): Chalice is not to configure it, or it would reset its level
    # to ERROR whenever an app is made (a second handler to stdout, too).
    app = Chalice(app_name=APP_NAME, configure_logs=False)
    settings = service.settings
    max_bytes = settings.max_body_bytes

    def exchange() -> Exchange:
        request = app.current_request
        assert request is not None
        return Exchange.of(request, settings.cors)

    def run(call: Exchange, data: Any, *, queries_only: bool = False) -> Response:
        if isinstance(data, list) and not queries_only:
            return run_batch(call, data)
        with observe(call.request_id, call.trace, data) as seen:
            response = service.handle(data, call.request.headers, queries_only=queries_only, address=call.address)
            seen.response, seen.status = response, status(response, call.media)
        return call.reply(response)

    def run_batch(call: Exchange, entries: list[Any]) -> Response:
        refused = batch.refused(entries, settings.max_batch_size)
        if refused is not None:
            return call.reply(refused)

        def run_one(index: int, entry: Any, headers: Mapping[str, str], at: float) -> GraphQLResponse:
            with observe(call.request_id, call.trace, entry) as seen:
                seen.batch = (index, len(entries))
                response = service.handle(entry, headers, at=at, address=call.address)
                seen.response, seen.status = response, status(response, call.media)
            return response

        responses = batch.run(
            entries, call.request.headers, run_one, cost, settings.max_query_cost, settings.deadline_seconds
        )
        return call.send(*batch.answer(responses, call.media))

    def cost(entry: Any) -> int:
        """An entry's estimated cost; 0 for one that runs into an error of its own when it runs."""
        if not isinstance(entry, dict) or not isinstance(entry.get("query"), str):
            return 0
        name = entry.get("operationName")
        try:
            document = service.documents.parse(None, entry)
        except GraphQLError:
            return 0
        return request_cost(service.schema, document, name if isinstance(name, str) else None)

    @app.route("/graphql", methods=["POST"], content_types=ANY_BODY)
    def graphql_post() -> Response:
        call = exchange()
        problem = unsupported_body(call.request.headers.get("content-type"))
        if problem is not None:
            return call.reply(bad_request(problem, status=UNSUPPORTED_MEDIA_TYPE))
        body = call.request.raw_body or b""
        if len(body) > max_bytes:
            return call.reply(too_large(max_bytes))
        if not body.strip():
            return call.reply(bad_request("The request has no body; send a JSON object with a `query` string"))
        try:
            data = loads(body)
        except BadJson as error:
            return call.reply(bad_request(f"The request body {error.reason}"))
        return run(call, data)

    @app.route("/graphql", methods=["GET"])
    def graphql_get() -> Response:
        call = exchange()
        params: Mapping[str, str] = call.request.query_params or {}
        if "query" not in params:
            if not settings.graphiql:
                return _not_found()
            return Response(
                explorer.page(service.schema, settings.graphiql_subscriptions_url, settings.graphiql_libraries_url),
                status_code=200,
                headers={"Content-Type": "text/html; charset=utf-8"},
            )
        # The same limit as a POST body: GET carries the operation in its (here decoded) query string.
        if sum(len(k.encode()) + len(v.encode()) for k, v in params.items()) > max_bytes:
            return call.reply(too_large(max_bytes))
        data: dict[str, Any] = {"query": params["query"], "operationName": params.get("operationName")}
        for name in ("variables", "extensions"):
            if params.get(name):
                try:
                    data[name] = loads(params[name])
                except BadJson as error:
                    return call.reply(bad_request(f"`{name}` {error.reason}"))
        return run(call, data, queries_only=True)

    @app.route("/graphql", methods=["OPTIONS"])
    def graphql_preflight() -> Response:
        headers = exchange().request.headers
        allowed: dict[str, str | list[str]] = {
            **settings.cors.preflight(headers.get("origin"), headers.get("access-control-request-headers"))
        }
        return Response("", status_code=204, headers=allowed)

    @app.route("/graphql/assets/{name}", methods=["GET"])
    def graphql_asset(name: str) -> Response:
        if name != explorer.SCRIPT or not settings.graphiql:
            return _not_found()
        headers: dict[str, str | list[str]] = {
            "Content-Type": "application/javascript; charset=utf-8",
            "Cache-Control": "max-age=86400",
        }
        return Response(explorer.script(), status_code=200, headers=headers)

    @app.route("/health", methods=["GET"])
    def health() -> Response:
        # For load balancers and monitors, polled often: the process is up and its service built
        # (a stage that cannot start never gets here). It reads no table, so it costs nothing and
        # says nothing of DynamoDB, whose own health AWS reports.
        body = {"status": "ok", "stage": settings.stage}
        return Response(json.dumps(body), status_code=200, headers={"Content-Type": "application/json"})

    @app.route("/", methods=["GET"])
    def root() -> Response:
        return Response(ROOT_TEXT, status_code=200, headers={"Content-Type": "text/plain; charset=utf-8"})

    @app.route("/favicon.ico", methods=["GET"])
    def favicon() -> Response:
        # No icon: browsers ask for one on every page, and a 404 would fill their consoles.
        return Response("", status_code=204, headers={"Cache-Control": "max-age=86400"})

    @app.schedule(Rate(CLEANUP_EVERY_MINUTES, unit=Rate.MINUTES), name=CLEANUP_FUNCTION)
    def cleanup(event: CloudWatchEvent) -> dict[str, Any]:  # noqa: ARG001 (Chalice passes the event)
        return run_cleanup(service)

    gateway.add_routes(app, service, connections)
    return app


def run_cleanup(service: Service) -> dict[str, Any]:
    """One bounded pass of the cleanup job, logged. New steps stop at half the deadline, so that the
    last one, its retries bounded by the deadline, ends inside the Lambda's timeout; the next run
    goes on."""
    limit = service.settings.deadline_seconds
    with deadline(time.monotonic() + limit):
        settle = partial(perform, service.files.objects) if service.files is not None else None
        report = cleanup_job.run(service.tables, cleanup_job.Budget(seconds=limit / 2), settle=settle)
    logger.info("cleanup", extra=asdict(report))
    return asdict(report)


def _not_found() -> Response:
    return Response("Not found", status_code=404, headers={"Content-Type": "text/plain"})
