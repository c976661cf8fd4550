"""The deployed transport of subscriptions, without AWS: the Lambda handlers of a real Chalice app
called with API Gateway's WebSocket events and with stream records read from the embedded
DynamoDB's streams (shaped as Lambda hands them), the Management API's posts answered by
botocore's Stubber."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import ANY, Stubber
from chalice import Chalice

from chalicelib.gateway.connections import ConnectionsByEndpoint
from chalicelib.gateway.handlers import ENDPOINT_VARIABLE
from chalicelib.gateway.routes import STREAM_FUNCTION
from chalicelib.routes import create_app
from chalicelib.subscriptions.protocol import SUBPROTOCOL
from chalicelib.subscriptions.state import SubscriptionState
from tests.conftest import ADMIN, Api
from tests.functional.helpers import admin, api_on
from tests.functional.trust_schema import TRUST_SCHEMA

API_ID = "a1b2c3"
DOMAIN = f"{API_ID}.execute-api.us-east-1.amazonaws.com"
ENDPOINT = f"https://{DOMAIN}/api"
LABELS = "subscription { label { mutation node { id name } previousValues { name } } }"


class ManagementApi:
    """The Management API's client at the stage's endpoint, stubbed: every post is recorded."""

    def __init__(self) -> None:
        self.client = botocore.session.get_session().create_client(
            "apigatewaymanagementapi",
            endpoint_url=ENDPOINT,
            region_name="us-east-1",
            aws_access_key_id="none",
            aws_secret_access_key="none",
        )
        self.stub = Stubber(self.client)
        self.stub.activate()
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.client.meta.events.register("provide-client-params.apigatewaymanagementapi.PostToConnection", self._note)

    def _note(self, params: dict[str, Any], **_: Any) -> None:
        self.posted.append((params["ConnectionId"], json.loads(params["Data"])))

    def accepts(self, connection: str, times: int = 1) -> None:
        for _ in range(times):
            self.stub.add_response("post_to_connection", {}, {"ConnectionId": connection, "Data": ANY})

    def gone(self, connection: str) -> None:
        self.stub.add_client_error(
            "post_to_connection",
            service_error_code="GoneException",
            http_status_code=410,
            expected_params={"ConnectionId": connection, "Data": ANY},
        )

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        self.stub.assert_no_pending_responses()
        taken, self.posted = self.posted, []
        return taken


class Deployed:
    """The app as Lambda runs it, on the trust schema's tables."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.management = ManagementApi()
        endpoints: list[str] = []

        def client(endpoint: str) -> Any:
            endpoints.append(endpoint)
            return self.management.client

        self.endpoints = endpoints
        self.app: Chalice = create_app(api.service, ConnectionsByEndpoint(client))
        self.state = SubscriptionState(api.service.tables.subscriptions)
        url = api.service.settings.store.endpoint_url
        self.streams = boto3.client("dynamodbstreams", endpoint_url=url, region_name="us-east-1")
        self.dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1")

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        return self.app.handler_map[name](event, None)

    def connect(self, connection: str, protocols: str | None) -> Any:
        headers = {"Host": DOMAIN, "Sec-WebSocket-Version": "13"}
        if protocols is not None:
            headers["sec-websocket-protocol"] = protocols
        event = {"headers": headers, "requestContext": _context(connection, "$connect", "CONNECT")}
        return self.invoke("websocket_connect", event)

    def send(self, connection: str, message: dict[str, Any]) -> Any:
        event = {
            "requestContext": _context(connection, "$default", "MESSAGE"),
            "body": json.dumps(message),
            "isBase64Encoded": False,
        }
        return self.invoke("websocket_message", event)

    def disconnect(self, connection: str) -> Any:
        context = _context(connection, "$disconnect", "DISCONNECT")
        return self.invoke("websocket_disconnect", {"requestContext": context})

    def subscribed(self, connection: str, query: str = LABELS, sid: str = "1") -> None:
        self.management.accepts(connection)
        self.send(connection, {"type": "connection_init", "payload": {"Authorization": ADMIN["Authorization"]}})
        assert self.management.take() == [(connection, {"type": "connection_ack"})]
        self.send(connection, {"id": sid, "type": "subscribe", "payload": {"query": query}})
        assert self.management.take() == []

    def stream_event(self, model: str) -> dict[str, Any]:
        """The model's stream records so far, as Lambda's event source mapping hands them."""
        table = self.api.service.tables.model_class(model).Meta.table_name
        arn = self.dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]["ShardId"]
        iterator = self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = self.streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        for record in records:
            change = record["dynamodb"]
            # Lambda gives the time as epoch seconds; boto3 parses it into a datetime.
            change["ApproximateCreationDateTime"] = change["ApproximateCreationDateTime"].timestamp()
            record["eventSourceARN"] = arn
        return {"Records": records}


def _context(connection: str, route: str, kind: str) -> dict[str, Any]:
    return {
        "routeKey": route,
        "eventType": kind,
        "connectionId": connection,
        "domainName": DOMAIN,
        "stage": "api",
        "apiId": API_ID,
        "requestId": "r",
    }


@pytest.fixture
def deployed(make_api: Callable[..., Api], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Deployed:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv(ENDPOINT_VARIABLE, ENDPOINT)
    return Deployed(api_on(make_api, tmp_path, TRUST_SCHEMA))


def test_connect_answers_the_subprotocol_it_is_offered(deployed: Deployed) -> None:
    accepted = deployed.connect("c1", f"graphql-ws, {SUBPROTOCOL}")
    assert accepted == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": SUBPROTOCOL}}
    assert deployed.connect("c2", SUBPROTOCOL)["headers"] == {"Sec-WebSocket-Protocol": SUBPROTOCOL}
    assert deployed.connect("c3", None)["statusCode"] == 400
    assert deployed.connect("c4", "graphql-ws")["statusCode"] == 400


def test_messages_are_answered_through_the_connection_and_state_is_kept(deployed: Deployed) -> None:
    deployed.subscribed("c1")
    assert deployed.endpoints == [ENDPOINT]
    assert deployed.state.identity("c1") == {"kind": "key", "digest": ANY}
    assert deployed.state.subscriptions_of("c1") == {"1": "Label"}
    # Each message runs as a fresh invocation would: a repeated id is still refused (4409), by
    # closing the connection through the Management API.
    deployed.management.stub.add_response("delete_connection", {}, {"ConnectionId": "c1"})
    deployed.send("c1", {"id": "1", "type": "subscribe", "payload": {"query": LABELS}})
    deployed.management.take()
    deployed.management.accepts("c1")
    deployed.send("c1", {"type": "ping"})
    assert deployed.management.take() == [("c1", {"type": "pong"})]
    deployed.send("c1", {"id": "1", "type": "complete"})
    assert deployed.state.subscriptions_of("c1") == {}
    # A query over the socket runs as the subscriber, whose credential is not stored.
    deployed.management.accepts("c1", 2)
    deployed.send("c1", {"id": "2", "type": "subscribe", "payload": {"query": "{ labels { id } }"}})
    assert [m for _, m in deployed.management.take()] == [
        {"id": "2", "type": "next", "payload": {"data": {"labels": []}}},
        {"id": "2", "type": "complete"},
    ]
    deployed.disconnect("c1")
    assert deployed.state.identity("c1") is None


def test_the_stream_handler_delivers_each_change_once(deployed: Deployed) -> None:
    deployed.subscribed("c1")
    created = admin(deployed.api, 'mutation { createLabel(input: {data: {name: "a"}}) { data { id } } }')
    label_id = created["createLabel"]["data"]["id"]
    admin(
        deployed.api,
        'mutation ($id: ID!) { updateLabel(input: {where: {id: $id}, data: {name: "b"}}) { data { id } } }',
        {"id": label_id},
    )
    event = deployed.stream_event("Label")
    assert len(event["Records"]) == 2
    deployed.management.accepts("c1", 2)
    report = deployed.invoke(STREAM_FUNCTION, event)
    assert report["delivered"] == 2
    assert [m["payload"]["data"]["label"] for _, m in deployed.management.take()] == [
        {"mutation": "CREATED", "node": {"id": label_id, "name": "a"}, "previousValues": None},
        {"mutation": "UPDATED", "node": {"id": label_id, "name": "b"}, "previousValues": {"name": "a"}},
    ]
    # Lambda retries a batch, streams deliver at least once: a record delivered is not again.
    report = deployed.invoke(STREAM_FUNCTION, event)
    assert (report["duplicates"], report["delivered"]) == (2, 0)
    assert deployed.management.take() == []


def test_a_gone_connection_is_cleaned_up(deployed: Deployed) -> None:
    deployed.subscribed("c1")
    deployed.subscribed("c2")
    admin(deployed.api, 'mutation { createLabel(input: {data: {name: "a"}}) { data { id } } }')
    deployed.management.gone("c1")
    deployed.management.accepts("c2")
    report = deployed.invoke(STREAM_FUNCTION, deployed.stream_event("Label"))
    assert (report["delivered"], report["gone"]) == (1, 1)
    assert [c for c, _ in deployed.management.take()] == ["c1", "c2"]
    assert deployed.state.identity("c1") is None
    assert deployed.state.subscriptions_of("c1") == {}
    assert deployed.state.subscriptions_of("c2") == {"1": "Label"}
    # Gone while answering a message: forgotten as well.
    deployed.management.gone("c2")
    deployed.send("c2", {"type": "ping"})
    deployed.management.take()
    assert deployed.state.identity("c2") is None
    assert deployed.state.subscriptions_of("c2") == {}


def test_the_stream_handler_needs_its_endpoint(deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENDPOINT_VARIABLE)
    with pytest.raises(RuntimeError, match=ENDPOINT_VARIABLE):
        deployed.invoke(STREAM_FUNCTION, {"Records": []})
