"""HTTP routes: GraphQL over HTTP on `/graphql`, and the GraphiQL explorer for browsers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalice import Chalice, CORSConfig, Response

from chalicelib import explorer
from chalicelib.api.execution import GraphQLResponse, bad_request
from chalicelib.service import Service

APP_NAME = "shoreline"
SET_AUTHORIZATION = "x-set-authorization"
CORS = CORSConfig(
    allow_origin="*",
    allow_headers=["Authorization", "Content-Type"],
    expose_headers=[SET_AUTHORIZATION],
    max_age=600,
)


def create_app(service: Service) -> Chalice:
    app = Chalice(app_name=APP_NAME)

    @app.route("/graphql", methods=["POST"], cors=CORS, content_types=["application/json"])
    def graphql_post() -> Response:
        request = app.current_request
        assert request is not None
        try:
            data = json.loads(request.raw_body or b"")
        except (ValueError, UnicodeDecodeError):
            return _respond(bad_request("The request body is not valid JSON"))
        return _respond(service.handle(data, request.headers))

    @app.route("/graphql", methods=["GET"], cors=CORS)
    def graphql_get() -> Response:
        request = app.current_request
        assert request is not None
        params: Mapping[str, str] = request.query_params or {}
        if "query" not in params:
            return Response(explorer.page(), status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
        data: dict[str, Any] = {"query": params["query"], "operationName": params.get("operationName")}
        if params.get("variables"):
            try:
                data["variables"] = json.loads(params["variables"])
            except ValueError:
                return _respond(bad_request("`variables` is not valid JSON"))
        return _respond(service.handle(data, request.headers, queries_only=True))

    @app.route("/graphql/assets/{name}", methods=["GET"])
    def graphql_asset(name: str) -> Response:
        found = explorer.asset(name)
        if found is None:
            return Response("Not found", status_code=404, headers={"Content-Type": "text/plain"})
        text, content_type = found
        return Response(text, status_code=200, headers={"Content-Type": content_type, "Cache-Control": "max-age=86400"})

    return app


def _respond(response: GraphQLResponse) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json", **response.headers}
    return Response(json.dumps(response.body), status_code=response.status, headers=headers)
