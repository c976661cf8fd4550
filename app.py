"""The Chalice entry point: one Lambda serving the GraphQL API built from `schema.graphql`, and one
running the cleanup job on a schedule."""

from chalicelib.startup import collector_paused, refusing

with collector_paused():
    from chalicelib.migrations.state import require_current
    from chalicelib.routes import CLEANUP_FUNCTION, create_app
    from chalicelib.service import Service
    from chalicelib.settings import Settings, with_secrets

    with refusing():
        service = Service(with_secrets(Settings.from_environ()))
        # Never serve tables that do not match the schema (chalicelib/migrations): one GetItem.
        require_current(service.tables, service.settings)
    app = create_app(service)
    # Lambda finds a scheduled function's handler by its name in this module.
    cleanup = app.handler_map[CLEANUP_FUNCTION]
