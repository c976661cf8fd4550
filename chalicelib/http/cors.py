"""CORS: which web pages on other origins may call the API, and with which headers.

Answered by the app itself (an OPTIONS route), not by API Gateway's mock integration: that one
is fixed when the API is deployed and allows one origin, while a stage lists several (its
`CORS_ALLOW_ORIGINS`), echoing back the one a request comes from. Credentials travel in the
`Authorization` header, never in cookies, so no response allows credentials, and `*` exposes no
session to another page.
"""

from __future__ import annotations

from dataclasses import dataclass

ANY = "*"
# What the common GraphQL clients send from a browser: Gadget's (`@gadgetinc/api-client-core`
# sends its environment on every request, and a Shopify shop id when it has one), Apollo's
# (client awareness, its CSRF-prevention header), and W3C trace context.
DEFAULT_ALLOW_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "x-gadget-environment",
    "x-gadget-for-shop-id",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "traceparent",
    "tracestate",
)
ALLOW_METHODS = ("GET", "POST", "OPTIONS")
# Browsers show scripts only these response headers beyond the simple ones.
EXPOSE_HEADERS = ("x-set-authorization", "x-request-id", "traceresponse")
# How long a browser may reuse a preflight's answer (Chromium caps it at 2 hours).
MAX_AGE_SECONDS = 7200


@dataclass(frozen=True)
class Cors:
    # Origins as browsers send them (`https://app.example.com`), or `*` for any.
    allow_origins: tuple[str, ...] = (ANY,)
    # Request headers a page may send; `*` allows whatever a preflight asks for.
    allow_headers: tuple[str, ...] = DEFAULT_ALLOW_HEADERS

    @classmethod
    def from_lists(cls, origins: str | None, headers: str | None) -> Cors:
        """From the comma-separated `CORS_ALLOW_ORIGINS` and `CORS_ALLOW_HEADERS` (None or empty:
        the defaults)."""
        found_origins = _items(origins, lower=False)
        found_headers = _items(headers, lower=True)
        return cls(
            tuple(o.rstrip("/") for o in found_origins) if found_origins else (ANY,),
            tuple(found_headers) or DEFAULT_ALLOW_HEADERS,
        )

    def headers(self, origin: str | None) -> dict[str, str]:
        """The CORS headers of any answer to a request from `origin` (its `Origin` header)."""
        if ANY in self.allow_origins:
            return {"Access-Control-Allow-Origin": ANY, "Access-Control-Expose-Headers": ", ".join(EXPOSE_HEADERS)}
        # Caches keep one answer per origin, since it names the origin.
        headers = {"Vary": "Origin"}
        if origin is not None and origin.rstrip("/") in self.allow_origins:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSE_HEADERS)
        return headers

    def preflight(self, origin: str | None, requested_headers: str | None) -> dict[str, str]:
        """The headers of the answer to a preflight (OPTIONS) request."""
        headers = self.headers(origin)
        if "Access-Control-Allow-Origin" not in headers:
            return headers  # an origin not allowed: the browser refuses the request
        allowed = self.allow_headers
        if ANY in allowed:
            # Echoed, not `*`: browsers never let `*` cover `Authorization`.
            allowed = tuple(_items(requested_headers, lower=True))
        return {
            **headers,
            "Access-Control-Allow-Methods": ", ".join(ALLOW_METHODS),
            "Access-Control-Allow-Headers": ", ".join(allowed),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
        }


def _items(value: str | None, *, lower: bool) -> list[str]:
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    return [item.lower() for item in items] if lower else items
