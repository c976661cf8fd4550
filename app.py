"""The Chalice entry point: one Lambda serving the GraphQL API built from `schema.graphql`, and one
running the cleanup job on a schedule."""

from chalicelib.startup import collector_paused

with collector_paused():
    from chalicelib.routes import CLEANUP_FUNCTION, create_app
    from chalicelib.service import Service
    from chalicelib.settings import Settings, with_secrets

    app = create_app(Service(with_secrets(Settings.from_environ())))
    # Lambda finds a scheduled function's handler by its name in this module.
    cleanup = app.handler_map[CLEANUP_FUNCTION]
