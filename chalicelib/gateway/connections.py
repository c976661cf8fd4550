"""Messages to API Gateway WebSocket connections, through its Management API (`@connections`).

A connection is only reached through the stage's endpoint (`https://<api>.execute-api.<region>.
<suffix>/<stage>`): the WebSocket handlers learn it from their event, the stream handler from its
environment (`WEBSOCKET_ENDPOINT`, set by the packaged template).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# A client of the Management API at an endpoint (tests give a stubbed one).
ClientFactory = Callable[[str], Any]
# As the store's DynamoDB calls: a try is short, so a slow connection cannot hold a batch.
CLIENT_CONFIG = Config(connect_timeout=1, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"})
GONE = "GoneException"
LOG = logging.getLogger("shoreline.gateway")


def management_client(endpoint: str) -> Any:
    return botocore.session.get_session().create_client(
        "apigatewaymanagementapi", endpoint_url=endpoint, config=CLIENT_CONFIG
    )


def endpoint_of(request_context: dict[str, Any]) -> str:
    """The Management API's endpoint of the connection an API Gateway event comes from."""
    return f"https://{request_context['domainName']}/{request_context['stage']}"


class Connections:
    def __init__(self, client: Any) -> None:
        self.client = client

    def send(self, connection: str, message: dict[str, Any]) -> bool:
        """Post one message; False when the connection is gone (its state is then to be removed).
        Another failure is logged and reported as sent: one connection's trouble must not fail
        the batch, which would be delivered again to every other subscriber."""
        try:
            self.client.post_to_connection(ConnectionId=connection, Data=json.dumps(message).encode("utf-8"))
        except ClientError as error:
            if _code(error) == GONE:
                return False
            LOG.warning("posting to connection %s failed: %s", connection, error)
        except BotoCoreError as error:
            LOG.warning("posting to connection %s failed: %s", connection, error)
        return True

    def close(self, connection: str) -> None:
        """End a connection. API Gateway closes it without the protocol's close code, which the
        Management API cannot carry; its `$disconnect` follows."""
        try:
            self.client.delete_connection(ConnectionId=connection)
        except ClientError as error:
            if _code(error) != GONE:
                LOG.warning("closing connection %s failed: %s", connection, error)


class ConnectionsByEndpoint:
    """One client per endpoint, made on first use and kept for the container's life."""

    def __init__(self, factory: ClientFactory = management_client) -> None:
        self.factory = factory
        self._made: dict[str, Connections] = {}

    def at(self, endpoint: str) -> Connections:
        if endpoint not in self._made:
            self._made[endpoint] = Connections(self.factory(endpoint))
        return self._made[endpoint]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
