"""The GraphiQL explorer served by `GET /graphql`. Its libraries are GraphiQL 3.9.0, React 18.3.1
and graphql-ws 6.4.2 (the UMD builds published on npm, MIT licensed): 1.5 MB that no API request
needs, so the Lambda package leaves them out. A deployed stage's page loads them from jsDelivr's
mirror of npm, each pinned by version and by its Subresource Integrity hash (a changed file is
refused by the browser); the local server serves the same files itself, from
tooling/local/graphiql/, so `make run` works offline. The page's own script, explorer.js, is
served here: its fetcher runs subscriptions over graphql-transport-ws and keeps the session token
the server sets in the Headers pane."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphql import GraphQLSchema

from chalicelib.explorer.default_query import default_query

STATIC = Path(__file__).resolve().parent / "static"
SCRIPT = "explorer.js"


@dataclass(frozen=True)
class Library:
    """A vendored file: its name as the local server serves it, its path in the npm registry
    (package@version/file) and its SHA-384 (the file is byte for byte the one on npm)."""

    name: str
    npm_path: str
    integrity: str


# In the order the page loads them: GraphiQL needs React; explorer.js needs all of them.
LIBRARIES = (
    Library(
        "graphiql.min.css",
        "graphiql@3.9.0/graphiql.min.css",
        "sha384-QMux00XgRtwRLSYIY3kw2rj1ovk5AuuliAchk+HSQbqdbGFnz9GYuqIlOqxhwCE2",
    ),
    Library(
        "react.production.min.js",
        "react@18.3.1/umd/react.production.min.js",
        "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
    ),
    Library(
        "react-dom.production.min.js",
        "react-dom@18.3.1/umd/react-dom.production.min.js",
        "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
    ),
    Library(
        "graphiql.min.js",
        "graphiql@3.9.0/graphiql.min.js",
        "sha384-8NGfVj4CVlqHajlZj+bPJT4thxPMHMJYn7DWK2CvtopLd02E7qsPHazniBYvVjOO",
    ),
    Library(
        "graphql-ws.min.js",
        "graphql-ws@6.4.2/umd/graphql-ws.min.js",
        "sha384-mxvR4Mzbsb6QVx/9xI2gtQikQA6m8zMDBFnu3l//4/ROsWt7y2sUGWd+/tYQqDm7",
    ),
)

# Asset URLs are relative, so the page works at /graphql locally and at /<stage>/graphql behind API Gateway.
PAGE = r"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Shoreline GraphiQL</title>
  __STYLES__
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL...</div>
  <script id="explorer-config" type="application/json">__CONFIG__</script>
  __SCRIPTS__
  <script src="graphql/assets/explorer.js"></script>
</body>
</html>
"""


def _tag(library: Library, libraries_url: str | None) -> str:
    if libraries_url is None:
        source = f'"graphql/assets/{library.name}"'
    else:
        # crossorigin: a browser checks the integrity of a cross-origin file only when fetched with CORS.
        source = f'"{libraries_url}{library.npm_path}" integrity="{library.integrity}" crossorigin="anonymous"'
    if library.name.endswith(".css"):
        return f'<link rel="stylesheet" href={source}>'
    return f"<script src={source}></script>"


def page(schema: GraphQLSchema, subscriptions_url: str | None = None, libraries_url: str | None = None) -> str:
    """The explorer's page for `schema`: its settings travel as JSON in the page itself.
    `subscriptions_url` is the WebSocket endpoint; None, the page's own host and path.
    `libraries_url` is the npm mirror the libraries load from; None, the server that serves the page."""
    config = {"defaultQuery": default_query(schema), "subscriptionsUrl": subscriptions_url}
    # No `<` in the script element the JSON sits in (`</script>` or `<!--` would end or change it):
    # `\u003c` is the same JSON string.
    tags = {
        kind: [_tag(lib, libraries_url) for lib in LIBRARIES if lib.name.endswith(kind)] for kind in (".css", ".js")
    }
    return (
        PAGE.replace("__STYLES__", "\n  ".join(tags[".css"]))
        .replace("__SCRIPTS__", "\n  ".join(tags[".js"]))
        .replace("__CONFIG__", json.dumps(config).replace("<", "\\u003c"))
    )


@cache
def script() -> str:
    """The page's own script."""
    return (STATIC / SCRIPT).read_text(encoding="utf-8")
