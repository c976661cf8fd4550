"""The Chalice entry point: one Lambda serving the GraphQL API built from `schema.graphql`."""

from chalicelib.startup import collector_paused

with collector_paused():
    from chalicelib.routes import create_app
    from chalicelib.service import Service
    from chalicelib.settings import Settings, with_secrets

    app = create_app(Service(with_secrets(Settings.from_environ())))
