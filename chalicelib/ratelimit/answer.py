"""The answer to a request over its caller's limit: HTTP 429 with `Retry-After`, in GraphQL's
error format, with Gadget's code."""

from __future__ import annotations

from chalicelib.api.execution import GraphQLResponse, bad_request

TOO_MANY_REQUESTS = "GGT_TOO_MANY_REQUESTS"
STATUS = 429
RETRY_AFTER = "Retry-After"


def too_many_requests(retry_after: int) -> GraphQLResponse:
    refused = bad_request(f"Too many requests; try again in {retry_after} s", TOO_MANY_REQUESTS, status=STATUS)
    refused.body["errors"][0]["extensions"]["retryAfter"] = retry_after
    return GraphQLResponse(refused.status, refused.body, {RETRY_AFTER: str(retry_after)})
