"""The embedded DynamoDB, called as DynamoDB is: a TransactWriteItems resent with its
ClientRequestToken is applied once, and a token reused for another request is refused."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend

from tooling.local.dynamodb import LocalDynamoDB
from tooling.local.moto_patch import PINS

TABLE = "tokens"


@pytest.fixture
def client(dynamodb: LocalDynamoDB) -> Iterator[Any]:
    dynamodb.reset()
    made = boto3.client("dynamodb", endpoint_url=dynamodb.url, region_name="us-east-1")
    made.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield made
    dynamodb.reset()


def adding(item_id: str, amount: int) -> list[dict[str, Any]]:
    """A transaction that is not idempotent by itself: applied twice, it adds twice."""
    return [
        {
            "Update": {
                "TableName": TABLE,
                "Key": {"id": {"S": item_id}},
                "UpdateExpression": "ADD n :n",
                "ExpressionAttributeValues": {":n": {"N": str(amount)}},
            }
        }
        for item_id in (item_id, f"{item_id}-copy")
    ]


def total(client: Any, item_id: str) -> int:
    return int(client.get_item(TableName=TABLE, Key={"id": {"S": item_id}})["Item"]["n"]["N"])


def test_a_transaction_resent_with_its_token_is_applied_once(client: Any) -> None:
    for _ in range(3):
        client.transact_write_items(TransactItems=adding("a", 5), ClientRequestToken="token-1")
    assert total(client, "a") == 5
    client.transact_write_items(TransactItems=adding("a", 5), ClientRequestToken="token-2")
    assert total(client, "a") == 10


def test_a_token_reused_for_another_transaction_is_refused(client: Any) -> None:
    client.transact_write_items(TransactItems=adding("a", 5), ClientRequestToken="token-1")
    with pytest.raises(ClientError) as refused:
        client.transact_write_items(TransactItems=adding("a", 6), ClientRequestToken="token-1")
    assert refused.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert total(client, "a") == 5


def test_a_cancelled_transaction_is_applied_when_resent(client: Any) -> None:
    only_if_stored = [{"Update": {**adding("a", 5)[0]["Update"], "ConditionExpression": "attribute_exists(id)"}}]
    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(TransactItems=only_if_stored, ClientRequestToken="token-1")
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    client.put_item(TableName=TABLE, Item={"id": {"S": "a"}, "n": {"N": "1"}})
    client.transact_write_items(TransactItems=only_if_stored, ClientRequestToken="token-1")
    assert total(client, "a") == 6


def test_the_embedded_server_runs_on_the_patched_moto(dynamodb: LocalDynamoDB) -> None:
    patched = DynamoDBBackend.transact_write_items
    assert patched is not PINS[0].function
    assert inspect.unwrap(patched) is PINS[0].function
