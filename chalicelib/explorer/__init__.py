"""The GraphiQL explorer served by `GET /graphql`, with its assets served by the project itself
(no CDN: the page works offline). The assets in `static/` are the UMD builds of GraphiQL 3.9.0,
React 18.3.1 and graphql-ws 6.4.2 from npm, MIT licensed (see static/LICENSES.txt), and the page's
own script, explorer.js: its fetcher runs subscriptions over graphql-transport-ws and keeps the
session token the server sets in the Headers pane."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from graphql import GraphQLSchema

from chalicelib.explorer.default_query import default_query

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "react.production.min.js": "application/javascript; charset=utf-8",
    "react-dom.production.min.js": "application/javascript; charset=utf-8",
    "graphiql.min.js": "application/javascript; charset=utf-8",
    "graphiql.min.css": "text/css; charset=utf-8",
    "graphql-ws.min.js": "application/javascript; charset=utf-8",
    "explorer.js": "application/javascript; charset=utf-8",
}

# Asset URLs are relative, so the page works at /graphql locally and at /<stage>/graphql behind API Gateway.
PAGE = r"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Shoreline GraphiQL</title>
  <link rel="stylesheet" href="graphql/assets/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL...</div>
  <script id="explorer-config" type="application/json">__CONFIG__</script>
  <script src="graphql/assets/react.production.min.js"></script>
  <script src="graphql/assets/react-dom.production.min.js"></script>
  <script src="graphql/assets/graphiql.min.js"></script>
  <script src="graphql/assets/graphql-ws.min.js"></script>
  <script src="graphql/assets/explorer.js"></script>
</body>
</html>
"""


def page(schema: GraphQLSchema, subscriptions_url: str | None = None) -> str:
    """The explorer's page for `schema`: its settings travel as JSON in the page itself.
    `subscriptions_url` is the WebSocket endpoint; None, the page's own host and path."""
    config = {"defaultQuery": default_query(schema), "subscriptionsUrl": subscriptions_url}
    # No `<` in the script element the JSON sits in (`</script>` or `<!--` would end or change it):
    # `\u003c` is the same JSON string.
    return PAGE.replace("__CONFIG__", json.dumps(config).replace("<", "\\u003c"))


@cache
def asset(name: str) -> tuple[str, str] | None:
    """The text and content type of an asset; None for any other name."""
    content_type = ASSETS.get(name)
    if content_type is None:
        return None
    return (STATIC / name).read_text(encoding="utf-8"), content_type
