"""Requests parsed by compiled shapes (moto_parsing): every request's parameters are moto's own.

Each body is parsed twice by a handler set up as moto sets one up for a request, once with the
compiled parse and once with moto's own parser: the parameters (values, their types and the order
of every dict's keys), or the error raised, must be the same.
"""

from __future__ import annotations

import base64
import json
from typing import Any, cast
from unittest import mock

import botocore.session
import pytest
from botocore.serialize import create_serializer
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.core.parse import JSONParser
from moto.core.request import Request
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.sns.responses import SNSResponse

from tooling.local import moto_parsing, moto_patch

JSON = "application/x-amz-json-1.0"
TABLE = "plain"
KEY = {"id": {"S": "p1"}}
VALUES = {":n": {"N": "5"}, ":t": {"S": "x"}, ":b": {"B": b"\x00\xff"}, ":s": {"SS": ["a", "b"]}}
UPDATE = {
    "TableName": TABLE,
    "Key": KEY,
    "UpdateExpression": "SET #n = :n, tag = :t, bin = :b ADD tags :s",
    "ConditionExpression": "attribute_exists(id)",
    "ExpressionAttributeNames": {"#n": "n"},
    "ExpressionAttributeValues": VALUES,
    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
}
ITEM = {
    "id": {"S": "p1"},
    "n": {"N": "1.5"},
    "flags": {"BS": [b"a", b""]},
    "nums": {"NS": ["1", "2"]},
    "gone": {"NULL": True},
    "on": {"BOOL": False},
    "deep": {"M": {"l": {"L": [{"S": "x"}, {"M": {}}, {"L": []}]}}},
}
# Requests as botocore writes them for each operation the project sends, by service and operation.
REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "transaction": (
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": TABLE, "Item": ITEM, "ConditionExpression": "attribute_not_exists(id)"}},
                {"Update": UPDATE},
                {"Delete": {"TableName": TABLE, "Key": KEY}},
                {"ConditionCheck": {"TableName": TABLE, "Key": KEY, "ConditionExpression": "n = :n"}},
            ],
            "ClientRequestToken": "token",
            "ReturnConsumedCapacity": "TOTAL",
        },
    ),
    "query": (
        "dynamodb",
        "Query",
        {
            "TableName": TABLE,
            "IndexName": "by_n",
            "KeyConditionExpression": "id = :id AND n > :n",
            "FilterExpression": "attribute_exists(tag)",
            "ProjectionExpression": "id, #n",
            "ExpressionAttributeNames": {"#n": "n"},
            "ExpressionAttributeValues": {":id": {"S": "p1"}, ":n": {"N": "0"}},
            "ExclusiveStartKey": KEY,
            "Limit": 20,
            "ConsistentRead": True,
            "ScanIndexForward": False,
            "Select": "ALL_ATTRIBUTES",
        },
    ),
    "scan": ("dynamodb", "Scan", {"TableName": TABLE, "Limit": 1000, "Segment": 0, "TotalSegments": 1}),
    "batch write": (
        "dynamodb",
        "BatchWriteItem",
        {"RequestItems": {TABLE: [{"PutRequest": {"Item": ITEM}}, {"DeleteRequest": {"Key": KEY}}]}},
    ),
    "batch get": (
        "dynamodb",
        "BatchGetItem",
        {"RequestItems": {TABLE: {"Keys": [KEY, {"id": {"S": "p2"}}], "ConsistentRead": True}}},
    ),
    "get": ("dynamodb", "GetItem", {"TableName": TABLE, "Key": KEY, "ConsistentRead": False}),
    "put": ("dynamodb", "PutItem", {"TableName": TABLE, "Item": ITEM, "ReturnValues": "ALL_OLD"}),
    "update": ("dynamodb", "UpdateItem", {**UPDATE, "ReturnValues": "ALL_NEW"}),
    "delete": ("dynamodb", "DeleteItem", {"TableName": TABLE, "Key": KEY, "ConditionExpression": "n = :n"}),
    "create table": (
        "dynamodb",
        "CreateTable",
        {
            "TableName": TABLE,
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "by_n",
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["n"]},
                }
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "Tags": [{"Key": "k", "Value": "v"}],
        },
    ),
    "describe table": ("dynamodb", "DescribeTable", {"TableName": TABLE}),
    "list tables": ("dynamodb", "ListTables", {}),
    "export (a timestamp)": (
        "dynamodb",
        "ExportTableToPointInTime",
        {"TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/plain", "S3Bucket": "b", "ExportTime": 1.7e9},
    ),
    "stream": ("dynamodbstreams", "DescribeStream", {"StreamArn": "arn", "Limit": 10}),
    "shard iterator": (
        "dynamodbstreams",
        "GetShardIterator",
        {"StreamArn": "arn", "ShardId": "s", "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": "7"},
    ),
    "stream records": ("dynamodbstreams", "GetRecords", {"ShardIterator": "it", "Limit": 1000}),
}
TARGETS = {"dynamodb": "DynamoDB_20120810", "dynamodbstreams": "DynamoDBStreams_20120810"}


def body_of(service: str, operation: str, params: dict[str, Any]) -> bytes:
    """The body botocore sends for the request."""
    model = botocore.session.get_session().get_service_model(service).operation_model(operation)
    body: bytes = create_serializer("json", include_validation=False).serialize_to_request(params, model)["body"]
    return body


def handled(service: str, operation: str, body: bytes) -> Any:
    """The handler's parameters for a request, or the error its parse raised."""
    handler: BaseResponse = DynamoHandler() if service == "dynamodb" else DynamoDBStreamsHandler()
    # The streams' handler reads its parameters otherwise, but their operations are JSON ones as well.
    handler.automated_parameter_parsing = True
    headers = {"Content-Type": JSON, "X-Amz-Target": f"{TARGETS[service]}.{operation}"}
    try:
        set_up(handler, body, headers)
    except Exception as raised:
        return ("raised", type(raised).__name__, str(raised))
    return ("parsed", typed(handler.params))


def set_up(handler: BaseResponse, body: bytes | str, headers: dict[str, str]) -> None:
    """The handler set up for a POST of the body, as moto's server sets one up."""
    request = cast(Request, Request.from_values(method="POST", base_url="http://localhost", data=body, headers=headers))
    handler.setup_class(request, request.url, request.headers)


def typed(value: Any) -> Any:
    """The value with every dict's keys in order and every value's type: what must be the same."""
    if isinstance(value, dict):
        return (type(value).__name__, [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    return (type(value).__name__, value)


def both(service: str, operation: str, body: bytes) -> tuple[Any, Any]:
    """The request handled with the compiled parse, and with moto's own parser."""
    moto_patch.apply()
    ours = handled(service, operation, body)
    with moto_parsing.moto_s_own():
        return ours, handled(service, operation, body)


@pytest.mark.parametrize("request_", REQUESTS.values(), ids=REQUESTS.keys())
def test_a_request_is_parsed_as_by_moto(request_: tuple[str, str, dict[str, Any]]) -> None:
    service, operation, params = request_
    ours, moto_s = both(service, operation, body_of(service, operation, params))
    assert ours[0] == "parsed"
    assert ours == moto_s


IRREGULAR = {
    "empty": b"",
    "null": b"null",
    "not JSON": b"{not json",
    "a list": b"[1, 2]",
    "null members": b'{"TableName": null, "Item": {"id": null, "n": {"N": null, "S": "x"}}}',
    "unknown keys": b'{"TableName": "t", "Nope": 1, "Item": {"id": {"Q": "x", "S": "y"}, "n": {"Q": 1}}}',
    "a string for a map": b'{"TableName": "t", "Item": "abc"}',
    "a string for a list": b'{"TableName": "t", "Item": {"a": {"L": "abc"}}}',
    "a dict for a list": b'{"TableName": "t", "Item": {"a": {"SS": {"x": 1}}}}',
    "a number for a structure": b'{"TableName": "t", "Item": {"a": 5}}',
    "a broken blob": b'{"TableName": "t", "Item": {"a": {"B": "abc"}}}',
    "a blob of no string": b'{"TableName": "t", "Item": {"a": {"BS": [null]}}}',
    "not UTF-8": b'{"TableName": "\xff"}',
}


@pytest.mark.parametrize("body", IRREGULAR.values(), ids=IRREGULAR.keys())
def test_an_irregular_body_is_parsed_as_by_moto(body: bytes) -> None:
    ours, moto_s = both("dynamodb", "PutItem", body)
    assert ours == moto_s


def test_a_request_of_another_protocol_is_moto_s() -> None:
    def parsed() -> Any:
        handler = SNSResponse()
        body = "Action=CreateTopic&Name=t&Tags.member.1.Key=k&Tags.member.1.Value=v"
        set_up(handler, body, {"Content-Type": "application/x-www-form-urlencoded"})
        return typed(handler.params)

    moto_patch.apply()
    ours = parsed()
    with moto_parsing.moto_s_own():
        assert ours == parsed()


@pytest.mark.parametrize("service", TARGETS)
def test_every_operation_is_compiled(service: str) -> None:
    model = get_service_model(service)
    assert [name for name in model.operation_names if moto_parsing.compiled(model.operation_model(name)) is None] == []


def test_a_compiled_request_does_not_walk_moto_s_parser() -> None:
    body = body_of(*REQUESTS["transaction"])
    expected = both("dynamodb", "TransactWriteItems", body)[1]
    with mock.patch.object(JSONParser, "_parse_shape", side_effect=AssertionError("moto's parser")):
        assert handled("dynamodb", "TransactWriteItems", body) == expected


KNOWN = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
UNKNOWN = ("Q", "s")
TEXT = st.text(max_size=3)
BLOB = st.binary(max_size=4).map(lambda data: base64.b64encode(data).decode())
# Anything JSON holds (null included): what a value of the wrong type may be.
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(TEXT, inner, max_size=2),
    max_leaves=4,
)


def members(name: str, attribute_values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A member's value: mostly of its type, or anything."""
    proper = {
        "S": TEXT,
        "N": st.integers().map(str),
        "B": BLOB,
        "SS": st.lists(TEXT, max_size=3),
        "NS": st.lists(st.integers().map(str), max_size=3),
        "BS": st.lists(BLOB, max_size=3),
        "M": st.dictionaries(TEXT, attribute_values, max_size=3),
        "L": st.lists(attribute_values, max_size=3),
        "NULL": st.just(True),
        "BOOL": st.booleans(),
    }.get(name, ANY_JSON)
    return proper | ANY_JSON


def attribute_value() -> st.SearchStrategy[Any]:
    """An AttributeValue as a client may send one: one known key mostly, or several, or unknown ones."""
    inner = st.deferred(attribute_value)
    names = st.lists(st.sampled_from(KNOWN + UNKNOWN), min_size=1, max_size=3, unique=True)
    several = names.flatmap(lambda keys: st.fixed_dictionaries({key: members(key, inner) for key in keys}))
    return st.sampled_from(KNOWN).flatmap(lambda key: st.fixed_dictionaries({key: members(key, inner)})) | several


@settings(max_examples=300, deadline=None)
@given(item=st.dictionaries(TEXT, attribute_value(), max_size=3), values=st.dictionaries(TEXT, attribute_value()))
def test_attribute_values_are_parsed_as_by_moto(item: dict[str, Any], values: dict[str, Any]) -> None:
    update = {**UPDATE, "Key": item, "ExpressionAttributeValues": values}
    for operation, params in (
        ("PutItem", {"TableName": TABLE, "Item": item}),
        ("TransactWriteItems", {"TransactItems": [{"Update": update}]}),
    ):
        ours, moto_s = both("dynamodb", operation, json.dumps(params).encode())
        assert ours == moto_s
