"""Subscriptions without a socket: the protocol's conversation and the delivery of stream records,
read from the embedded DynamoDB's streams as the local server reads them; the streams hold a
bounded number of records while every change is still delivered."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.subscriptions.delivery import Delivery
from chalicelib.subscriptions.protocol import Conversation
from chalicelib.subscriptions.state import SubscriptionState
from tests.conftest import ADMIN, Api
from tests.functional.helpers import admin, api_on, call, sign_up
from tests.functional.trust_schema import TRUST_SCHEMA
from tooling.local import moto_streams
from tooling.local.streams import StreamReader


class Client:
    """One connection's conversation, its messages collected."""

    def __init__(self, hub: Hub, connection: str, auth: str | None) -> None:
        self.received: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None
        self.conversation = Conversation(hub.api.service, hub.state, connection, self.received.append, self._close)
        hub.clients[connection] = self
        self.conversation.receive(json.dumps({"type": "connection_init", "payload": {"Authorization": auth}}))

    def _close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def subscribe(self, sid: str, query: str, variables: dict[str, Any] | None = None) -> None:
        message = {"id": sid, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        self.conversation.receive(json.dumps(message))

    def take(self) -> list[dict[str, Any]]:
        taken = [m for m in self.received if m["type"] in ("next", "error")]
        self.received[:] = [m for m in self.received if m not in taken]
        return taken


class Hub:
    def __init__(self, api: Api, passed: Callable[[str, int], None] | None = None) -> None:
        self.api = api
        self.state = SubscriptionState(api.service.tables.subscriptions)
        self.clients: dict[str, Client] = {}
        self.delivery = Delivery(api.service, self.state, self._send)
        url = api.service.settings.store.endpoint_url
        assert url is not None
        self.reader = StreamReader(self.delivery, url, "us-east-1", notified=False, passed=passed)
        self.reader.read_changed()  # every shard's place taken before the test writes

    def _send(self, connection: str, message: dict[str, Any]) -> bool:
        client = self.clients.get(connection)
        if client is None:
            return False
        client.received.append(message)
        return True

    def flush(self) -> None:
        self.reader.read_changed()


@pytest.fixture
def hub(make_api: Callable[..., Api], tmp_path: Path) -> Hub:
    return Hub(api_on(make_api, tmp_path, TRUST_SCHEMA))


LABELS = """
subscription ($where: LabelSubscriptionWhereInput) {
  label(where: $where) { mutation node { id name } updatedFields previousValues { id name } }
}
"""


def test_created_updated_deleted_with_previous_values(hub: Hub) -> None:
    client = Client(hub, "c1", ADMIN["Authorization"])
    assert client.received == [{"type": "connection_ack"}]
    client.subscribe("1", LABELS)
    created = admin(hub.api, 'mutation { createLabel(input: {data: {name: "a"}}) { data { id } } }')
    label_id = created["createLabel"]["data"]["id"]
    admin(
        hub.api,
        'mutation ($id: ID!) { updateLabel(input: {where: {id: $id}, data: {name: "b"}}) { data { id } } }',
        {"id": label_id},
    )
    admin(hub.api, "mutation ($id: ID!) { deleteLabel(input: {where: {id: $id}}) { data { id } } }", {"id": label_id})
    hub.flush()
    payloads = [m["payload"]["data"]["label"] for m in client.take()]
    assert payloads == [
        {"mutation": "CREATED", "node": {"id": label_id, "name": "a"}, "updatedFields": None, "previousValues": None},
        {
            "mutation": "UPDATED",
            "node": {"id": label_id, "name": "b"},
            "updatedFields": ["name"],
            "previousValues": {"id": label_id, "name": "a"},
        },
        {"mutation": "DELETED", "node": None, "updatedFields": None, "previousValues": {"id": label_id, "name": "b"}},
    ]
    hub.flush()
    assert client.take() == []  # each change once


def test_filters(hub: Hub) -> None:
    client = Client(hub, "c1", ADMIN["Authorization"])
    client.subscribe("created", LABELS, {"where": {"mutation_in": ["CREATED"]}})
    client.subscribe("named", LABELS, {"where": {"node": {"match": {"name": ["x"]}}}})
    client.subscribe("any-of", LABELS, {"where": {"updatedFields_contains": ["name", "notes"]}})
    client.subscribe("every", LABELS, {"where": {"updatedFields_contains_every": ["name", "notes"]}})
    client.subscribe(
        "or", LABELS, {"where": {"OR": [{"mutation_in": ["DELETED"]}, {"node": {"match": {"name": ["y"]}}}]}}
    )
    label_id = admin(hub.api, 'mutation { createLabel(input: {data: {name: "x"}}) { data { id } } }')["createLabel"][
        "data"
    ]["id"]
    client.subscribe(
        "by-id", LABELS, {"where": {"node": {"match": {"id": [label_id]}}, "AND": [{"mutation_in": ["UPDATED"]}]}}
    )
    admin(
        hub.api,
        'mutation ($id: ID!) { updateLabel(input: {where: {id: $id}, data: {name: "y"}}) { data { id } } }',
        {"id": label_id},
    )
    admin(hub.api, "mutation ($id: ID!) { deleteLabel(input: {where: {id: $id}}) { data { id } } }", {"id": label_id})
    hub.flush()
    got = [(m["id"], m["payload"]["data"]["label"]["mutation"]) for m in client.take()]
    assert sorted(got) == sorted(
        [
            ("created", "CREATED"),
            ("named", "CREATED"),
            ("any-of", "UPDATED"),
            ("or", "UPDATED"),
            ("by-id", "UPDATED"),
            ("or", "DELETED"),
        ]
    )


def test_owner_only_records_reach_only_their_owner(hub: Hub) -> None:
    alice, bob = sign_up(hub.api, "alice@example.com"), sign_up(hub.api, "bob@example.com")
    notes = "subscription { note { mutation node { id slug author { id } } previousValues { slug author_id } } }"
    watching_alice, watching_bob = Client(hub, "a", alice.auth), Client(hub, "b", bob.auth)
    watching_alice.subscribe("n", notes)
    watching_bob.subscribe("n", notes)
    create = 'mutation { createNote(input: {data: {slug: "mine"}}) { data { id } } }'
    note_id = call(hub.api, create, auth=alice.auth).data["createNote"]["data"]["id"]
    hub.flush()
    assert [m["payload"]["data"]["note"] for m in watching_alice.take()] == [
        {
            "mutation": "CREATED",
            "node": {"id": note_id, "slug": "mine", "author": {"id": alice.user_id}},
            "previousValues": None,
        }
    ]
    assert watching_bob.take() == []


def test_a_subscription_to_an_unreadable_model_is_refused(hub: Hub) -> None:
    client = Client(hub, "c1", None)
    client.subscribe("v", "subscription { vault { mutation } }")
    [error] = client.take()
    assert error["type"] == "error"
    assert error["payload"][0]["extensions"]["code"] == "GGT_PERMISSION_DENIED"


def test_protocol_errors_close_the_connection(hub: Hub) -> None:
    client = Client(hub, "c1", "Bearer wrong")
    assert client.closed == (4403, "Forbidden")
    other = Client(hub, "c2", None)
    other.subscribe("1", LABELS)
    other.subscribe("1", LABELS)
    assert other.closed == (4409, "Subscriber for 1 already exists")


def test_an_event_reads_only_the_subscriptions_that_may_match_it(hub: Hub) -> None:
    """Subscriptions naming records are filed under those records' ids: an event of another record
    never reads them, and one naming several records is read once for the record that changed."""
    create = "mutation ($n: String!) { createLabel(input: {data: {name: $n}}) { data { id } } }"
    first, second, third = (admin(hub.api, create, {"n": n})["createLabel"]["data"]["id"] for n in "abc")
    hub.flush()  # their creation delivered, to no one
    client = Client(hub, "c1", ADMIN["Authorization"])
    client.subscribe("first", LABELS, {"where": {"node": {"match": {"id": [first]}}}})
    client.subscribe("both", LABELS, {"where": {"node": {"match": {"id": [first, second]}}}})
    client.subscribe("any", LABELS, {"where": {"mutation_in": ["UPDATED"]}})
    assert sorted(s.id for s in hub.state.candidates("Label", [third])) == ["any"]
    assert sorted(s.id for s in hub.state.candidates("Label", [second])) == ["any", "both"]
    update = 'mutation ($id: ID!) { updateLabel(input: {where: {id: $id}, data: {name: "z"}}) { data { id } } }'
    admin(hub.api, update, {"id": first})
    hub.flush()
    assert sorted(m["id"] for m in client.take()) == ["any", "both", "first"]
    # Completing a subscription forgets every item it was filed under.
    client.conversation.receive(json.dumps({"id": "both", "type": "complete"}))
    assert sorted(s.id for s in hub.state.candidates("Label", [first, second])) == ["any", "first"]
    assert hub.state.subscriptions_of("c1") == {"first": "Label", "any": "Label"}


# Stream records: a shard keeps its newest KEPT, and those its follower (the reader) has not read.
KEPT = 4
CREATE_LABEL = "mutation ($n: String!) { createLabel(input: {data: {name: $n}}) { data { id } } }"


@pytest.fixture
def followed(make_api: Callable[..., Api], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setattr(moto_streams, "RECORDS_KEPT", KEPT)
    return Hub(api_on(make_api, tmp_path, TRUST_SCHEMA), moto_streams.Follower().passed)


def labels_stream(hub: Hub) -> tuple[str, str]:
    """The Label table's stream ARN and shard."""
    table = next(name for name, model in hub.delivery.models.items() if model.name == "Label")
    arn = hub.reader.dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = hub.reader.client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]["ShardId"]
    return arn, shard


def held(hub: Hub) -> list[int]:
    """The sequence numbers of the Label stream's records: all that a reader from its start gets."""
    arn, shard = labels_stream(hub)
    client = hub.reader.client
    iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = client.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    return [int(record["dynamodb"]["SequenceNumber"]) for record in records]


def created(client: Client) -> list[str]:
    return [m["payload"]["data"]["label"]["node"]["name"] for m in client.take()]


def test_a_stream_holds_a_bounded_number_of_records_while_every_change_is_delivered(followed: Hub) -> None:
    client = Client(followed, "c1", ADMIN["Authorization"])
    client.subscribe("1", LABELS, {"where": {"mutation_in": ["CREATED"]}})
    names = [f"label {n}" for n in range(15)]
    for start in range(0, len(names), 3):
        for name in names[start : start + 3]:
            admin(followed.api, CREATE_LABEL, {"n": name})
        followed.flush()
        assert len(held(followed)) <= KEPT
    assert created(client) == names


def test_records_the_reader_has_not_delivered_are_kept(followed: Hub) -> None:
    client = Client(followed, "c1", ADMIN["Authorization"])
    client.subscribe("1", LABELS, {"where": {"mutation_in": ["CREATED"]}})
    names = [f"label {n}" for n in range(3 * KEPT)]
    for name in names:
        admin(followed.api, CREATE_LABEL, {"n": name})
    assert len(held(followed)) >= len(names)
    followed.flush()
    assert created(client) == names
    admin(followed.api, CREATE_LABEL, {"n": "after"})
    assert len(held(followed)) <= KEPT


def test_a_record_no_longer_held_is_refused_as_dynamodb_refuses_it(followed: Hub) -> None:
    admin(followed.api, CREATE_LABEL, {"n": "first"})
    followed.flush()
    [first] = held(followed)
    for n in range(2 * KEPT):
        admin(followed.api, CREATE_LABEL, {"n": f"label {n}"})
    followed.flush()
    # A shard is trimmed as records are added: the next write drops what the reader has delivered.
    admin(followed.api, CREATE_LABEL, {"n": "last"})
    oldest = held(followed)[0]
    assert oldest > first
    arn, shard = labels_stream(followed)
    streams = followed.reader.client
    with pytest.raises(ClientError) as refused:
        streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=str(first)
        )
    assert refused.value.response["Error"]["Code"] == "TrimmedDataAccessException"
    # The record before the oldest held is the last one a reader may have passed.
    after = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=str(oldest - 1)
    )
    records = streams.get_records(ShardIterator=after["ShardIterator"])["Records"]
    assert int(records[0]["dynamodb"]["SequenceNumber"]) == oldest
