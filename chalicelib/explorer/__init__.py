"""The GraphiQL explorer served by `GET /graphql`, with its assets served by the project itself
(no CDN: the page works offline). The assets in `static/` are the UMD builds of GraphiQL 3.9.0 and
React 18.3.1 from npm, MIT licensed (see static/LICENSES.txt)."""

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
  <script>
    const config = JSON.parse(document.getElementById("explorer-config").textContent);
    const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultEditorToolsVisibility: true,
        defaultQuery: config.defaultQuery,
      })
    );
  </script>
</body>
</html>
"""


def page(schema: GraphQLSchema) -> str:
    """The explorer's page for `schema`: its settings travel as JSON in the page itself."""
    config = {"defaultQuery": default_query(schema)}
    # `</` could close the script element the JSON sits in; `<\/` is the same JSON string.
    return PAGE.replace("__CONFIG__", json.dumps(config).replace("</", "<\\/"))


@cache
def asset(name: str) -> tuple[str, str] | None:
    """The text and content type of an asset; None for any other name."""
    content_type = ASSETS.get(name)
    if content_type is None:
        return None
    return (STATIC / name).read_text(encoding="utf-8"), content_type
