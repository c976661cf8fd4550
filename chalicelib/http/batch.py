"""Batches: a JSON array of GraphQL requests in one POST (Apollo's BatchHttpLink), answered by an
array of results in the same order.

A batch is the requests it holds, run one after another as if sent alone, with what makes it one
request for the Lambda:

- at most `Settings.max_batch_size` entries (Apollo's `batchMax` defaults to 10), and one body
  within `Settings.max_body_bytes`;
- each entry held to every limit of a single request (depth, cost, page cap), and the entries
  together to the cost limit: a batch of ten queries each just under it would do ten times the
  work the limit allows, so when their sum exceeds it no entry runs;
- one deadline for the whole batch (`Settings.deadline_seconds`): an entry that would start after
  it does not run, and says so;
- Lambda's 6 MB response limit: results that would take the answer past it are left out, each
  replaced by an error saying it ran (a mutation's writes are committed) but did not fit;
- sessions: an entry runs with the credential the previous one left. When an entry rotates the
  session token (`x-set-authorization`: login, logout, signUp, a first `currentSession`), the
  entries after it run under the new token, as a client following the header between separate
  requests would, and the answer's `x-set-authorization` is the last token set.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from time import monotonic
from typing import Any

from chalicelib.api.execution import GraphQLResponse, bad_request
from chalicelib.errors import RESPONSE_TOO_LARGE, UNAVAILABLE, VALIDATION_FAILED
from chalicelib.http.negotiation import status

SET_AUTHORIZATION = "x-set-authorization"
# A synchronous Lambda's response is at most 6 MB: the JSON envelope API Gateway reads, in which
# the body is a string (its quotes escaped). Headers and the envelope itself get the rest.
LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024
ENVELOPE_BYTES = 64 * 1024

# Runs entry number `index` with these headers and this deadline.
RunOne = Callable[[int, Any, Mapping[str, str], float], GraphQLResponse]


def refused(entries: list[Any], max_size: int) -> GraphQLResponse | None:
    """A 400 for a batch that cannot run at all, or None."""
    if not entries:
        return bad_request("The batch is empty; send at least one request")
    if len(entries) > max_size:
        return bad_request(f"The batch has {len(entries)} requests; the limit is {max_size}")
    return None


def run(
    entries: list[Any],
    headers: Mapping[str, str],
    run_one: RunOne,
    cost: Callable[[Any], int],
    max_cost: int,
    deadline_seconds: float,
) -> list[GraphQLResponse]:
    """Runs the entries in order under one deadline; `cost` estimates one entry's cost."""
    total = sum(cost(entry) for entry in entries)
    if total > max_cost:
        message = f"The batch has an estimated cost of {total}; the limit is {max_cost}"
        over = bad_request(message, VALIDATION_FAILED)
        # A validation failure of each entry: nothing ran, as when one request is too costly.
        return [GraphQLResponse(over.status, over.body, graphql=True) for _ in entries]
    at = monotonic() + deadline_seconds
    current = dict(headers)
    responses: list[GraphQLResponse] = []
    for index, entry in enumerate(entries):
        if monotonic() >= at:
            late = bad_request("The batch ran out of time before this request started; send it again", UNAVAILABLE)
            responses.append(GraphQLResponse(503, late.body))
            continue
        response = run_one(index, entry, current, at)
        responses.append(response)
        token = response.headers.get(SET_AUTHORIZATION)
        if token is not None:
            current = {k: v for k, v in current.items() if k.lower() != "authorization"}
            current["authorization"] = token
    return responses


def answer(responses: list[GraphQLResponse], media: str) -> tuple[int, list[dict[str, Any]], dict[str, str]]:
    """The status, body and headers of a batch's answer sent as `media`: 200 when any entry would
    have had a 200 alone, else the first entry's status (every entry failed alike, e.g. a 401)."""
    statuses = [status(response, media) for response in responses]
    headers: dict[str, str] = {}
    for response in responses:
        headers.update(response.headers)
    return (200 if 200 in statuses else statuses[0]), _fit([r.body for r in responses]), headers


def _fit(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`results`, those that would take the answer past Lambda's limit replaced by an error."""
    budget = LAMBDA_RESPONSE_BYTES - ENVELOPE_BYTES
    fitted: list[dict[str, Any]] = []
    for result in results:
        # As it will be sent: in the array (a comma), escaped inside the envelope's body string.
        size = len(json.dumps(json.dumps(result))) - 2 + 1
        if size > budget:
            message = (
                "This request ran, but its result did not fit in the batch's answer (Lambda's 6 MB limit); "
                "send it alone, or ask for less"
            )
            result = bad_request(message, RESPONSE_TOO_LARGE).body
            size = len(json.dumps(json.dumps(result)))
        budget -= size
        fitted.append(result)
    return fitted
