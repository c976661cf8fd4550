"""The Chalice entry point: one Lambda serving the GraphQL API built from `schema.graphql`, one
running the cleanup job on a schedule, the WebSocket API's three, and the stream handler's."""

import os

from chalicelib.startup import collector_paused, refuse_chalice_local, refusing

refuse_chalice_local()
with collector_paused():
    from chalicelib.gateway.routes import STREAM_FUNCTION
    from chalicelib.routes import CLEANUP_FUNCTION, create_app
    from chalicelib.schema_state import require_current
    from chalicelib.service import Service
    from chalicelib.settings import Settings, with_secrets

    with refusing():
        service = Service(with_secrets(Settings.from_environ()))
        # A function instance never serves tables that do not match its schema (tooling/migrations):
        # one GetItem. Chalice's own commands (package, deploy) import this module too, away from the
        # stage's DynamoDB: only Lambda, which names the function, checks.
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            require_current(service.tables, service.settings)
    app = create_app(service)
    # Lambda finds a scheduled function's handler by its name in this module.
    cleanup = app.handler_map[CLEANUP_FUNCTION]
    websocket_connect = app.handler_map["websocket_connect"]
    websocket_message = app.handler_map["websocket_message"]
    websocket_disconnect = app.handler_map["websocket_disconnect"]
    stream_delivery = app.handler_map[STREAM_FUNCTION]
