"""Media types of GraphQL over HTTP: what a request may carry, and what its answer is sent as.

The answer's type comes from `Accept`. Under `application/graphql-response+json` the status says
whether the request ran: a document that does not parse or validate, or variables that do not
coerce, is a 400 without `data`. Under `application/json` (the legacy type, and the one for a
client that names neither, or no `Accept` at all) such an answer is a 200, as the GraphQL over
HTTP spec asks, since older clients treat any 4xx as a network failure and drop the errors.
Either way a request that is not a well-formed GraphQL request (not JSON, too large, no `query`,
an unsupported body type) is a 4xx.
"""

from __future__ import annotations

from chalicelib.api.execution import GraphQLResponse

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# The request bodies a POST may have. `application/graphql` (a bare document) and
# `multipart/form-data` (file uploads) are refused: neither is in the spec, and both bypass the
# JSON checks (`chalicelib.api.decoding`) every request goes through.
REQUEST_TYPES = (JSON,)


def response_type(accept: str | None) -> str:
    """The media type to answer in: the one of ours `accept` ranks highest (its q-values, then
    `application/graphql-response+json` on a tie), else `application/json`."""
    best: tuple[float, int, str] | None = None
    for part in (accept or "").split(","):
        media, params = _media_type(part)
        quality = _quality(params)
        for preference, ours in enumerate((JSON, GRAPHQL_RESPONSE)):
            # `*/*` and `application/*` take the legacy type: clients that name no type are legacy ones.
            if media == ours or (ours == JSON and media in ("*/*", "application/*")):
                candidate = (quality, preference if media == ours else -1, ours)
                if quality > 0 and (best is None or candidate > best):
                    best = candidate
    return best[2] if best else JSON


def unsupported_body(content_type: str | None) -> str | None:
    """Why a POST body of `content_type` is refused (a 415), or None when it is one we read."""
    if not content_type or not content_type.strip():
        return "The request has no Content-Type; send `Content-Type: application/json`"
    media, params = _media_type(content_type)
    if media not in REQUEST_TYPES:
        return f"Unsupported Content-Type `{media}`; send the request as `application/json`"
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return f"Unsupported charset `{charset}`; send the request in UTF-8"
    return None


def status(response: GraphQLResponse, media: str) -> int:
    """The status of `response` sent as `media`: GraphQL's own answers are 200s under `application/json`."""
    if media == JSON and response.graphql:
        return 200
    return response.status


def _media_type(value: str) -> tuple[str, dict[str, str]]:
    media, *rest = value.split(";")
    params: dict[str, str] = {}
    for param in rest:
        name, _, raw = param.partition("=")
        params[name.strip().lower()] = raw.strip().strip('"')
    return media.strip().lower(), params


def _quality(params: dict[str, str]) -> float:
    try:
        return max(0.0, min(1.0, float(params.get("q", "1"))))
    except ValueError:
        return 1.0
