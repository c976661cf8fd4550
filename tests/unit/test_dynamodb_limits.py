"""The checker of DynamoDB's limits (chalicelib/store/limits.py): each limit fires on a request past
it, and an ordinary request passes."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from chalicelib.schema import load_schema_file
from chalicelib.settings import Settings
from chalicelib.store.limits import LimitExceeded, TableKeys, check_limits, check_request
from chalicelib.store.sizes import MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES
from chalicelib.store.tables import Tables
from tests.conftest import DEFAULT_SCHEMA

TABLE = "t-City"
KEYS = {
    TABLE: TableKeys(("id",), {"id": MAX_PARTITION_KEY_BYTES, "_ix_name": MAX_PARTITION_KEY_BYTES}),
    "t-Event": TableKeys(("pk", "sk"), {"pk": MAX_PARTITION_KEY_BYTES, "sk": MAX_SORT_KEY_BYTES}),
}


def key(n: int | str, /) -> dict[str, Any]:
    return {"id": {"S": f"id-{n}"}}


def item(n: int | str, /, **attributes: Any) -> dict[str, Any]:
    return {**key(n), **attributes}


def refused(operation: str, params: dict[str, Any], limit: str) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as raised:
        check_request(operation, params, KEYS)
    assert limit in raised.value.limit, raised.value
    assert str(raised.value).startswith(operation.split()[0])
    return raised.value


def condition(expression: str, values: int = 0) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "Key": key(1),
        "ConditionExpression": expression,
        "ExpressionAttributeNames": {"#0": "name"},
        "ExpressionAttributeValues": {f":{i}": {"S": "x"} for i in range(values)},
    }


def test_ordinary_requests_pass() -> None:
    check_request("GetItem", {"TableName": TABLE, "Key": key(1), "ConsistentRead": True}, KEYS)
    check_request("PutItem", {"TableName": TABLE, "Item": item(1, n={"N": "0"}, _ix_name={"S": "=a"})}, KEYS)
    check_request("DeleteItem", condition("attribute_exists (#0) AND #0 IN (:0, :1)", 2), KEYS)
    check_request("Scan", {"TableName": TABLE, "Limit": 1}, KEYS)
    check_request("BatchGetItem", {"RequestItems": {TABLE: {"Keys": [key(n) for n in range(100)]}}}, KEYS)


def test_batch_get_item_holds_at_most_100_keys() -> None:
    error = refused(
        "BatchGetItem", {"RequestItems": {TABLE: {"Keys": [key(n) for n in range(101)]}}}, "at most 100 keys"
    )
    assert error.value == 101


def test_batch_get_item_asks_for_no_key_twice() -> None:
    refused("BatchGetItem", {"RequestItems": {TABLE: {"Keys": [key(1), key(1)]}}}, "no key twice")


def test_batch_write_item_holds_at_most_25_requests() -> None:
    puts = [{"PutRequest": {"Item": item(n)}} for n in range(26)]
    assert refused("BatchWriteItem", {"RequestItems": {TABLE: puts}}, "at most 25 requests").value == 26


def test_batch_write_item_writes_no_item_twice() -> None:
    writes = [{"PutRequest": {"Item": item(1, n={"N": "1"})}}, {"DeleteRequest": {"Key": key(1)}}]
    refused("BatchWriteItem", {"RequestItems": {TABLE: writes}}, "no key twice")


def test_transact_write_items_holds_at_most_100_actions() -> None:
    actions = [{"Put": {"TableName": TABLE, "Item": item(n)}} for n in range(101)]
    assert refused("TransactWriteItems", {"TransactItems": actions}, "at most 100 actions").value == 101


def test_transact_write_items_holds_at_most_4_mb() -> None:
    big = {"S": "x" * 300_000}
    actions = [{"Put": {"TableName": TABLE, "Item": item(n, text=big)}} for n in range(14)]
    refused("TransactWriteItems", {"TransactItems": actions}, "at most 4,194,304 bytes of items")


def test_transact_write_items_acts_on_no_item_twice() -> None:
    actions = [
        {"Put": {"TableName": TABLE, "Item": item(1)}},
        {"ConditionCheck": {**condition("attribute_exists (#0)"), "Key": key(1)}},
    ]
    refused("TransactWriteItems", {"TransactItems": actions}, "no two actions on one item")


def alike_updates(count: int, values: dict[str, Any]) -> list[dict[str, Any]]:
    """A bulk write's updates: one expression, names and values (the same objects), a key each."""
    shared = {
        "TableName": TABLE,
        "UpdateExpression": "SET #0 = :0",
        "ExpressionAttributeNames": {"#0": "name"},
        "ExpressionAttributeValues": values,
    }
    return [{"Update": {**shared, "Key": key(n)}} for n in range(count)]


def test_updates_alike_but_for_their_key_are_each_checked_for_their_key_and_their_bytes() -> None:
    """The parts an update shares with the others are checked once a request; its key is checked
    anyway, and its values count toward the 4 MB each time."""
    check_request("TransactWriteItems", {"TransactItems": alike_updates(100, {":0": {"S": "x"}})}, KEYS)
    actions = alike_updates(100, {":0": {"S": "x"}})
    actions[70]["Update"]["Key"] = {"id": {"S": ""}}
    refused("TransactWriteItems", {"TransactItems": actions}, "a non-empty value of key attribute 'id'")
    actions = alike_updates(100, {":0": {"S": "x" * 50_000}})
    refused("TransactWriteItems", {"TransactItems": actions}, "at most 4,194,304 bytes of items")


def test_an_update_unlike_the_others_is_checked_for_itself() -> None:
    actions = alike_updates(3, {":0": {"N": "1"}})
    actions[2]["Update"]["ExpressionAttributeValues"] = {":0": {"N": "1" * 39}}  # equal names, other values
    refused("TransactWriteItems", {"TransactItems": actions}, "38 significant digits")
    actions = alike_updates(3, {":0": {"N": "1"}})
    actions[1]["Update"]["UpdateExpression"] = "SET #0 = :0 + :0" + " + :0" * 300
    refused("TransactWriteItems", {"TransactItems": actions}, "at most 300 operators")


def test_what_a_request_passed_is_checked_again_in_the_next() -> None:
    """Nothing is kept from one request to the next: the same objects, changed since, are refused."""
    values = {":0": {"N": "1"}}
    actions = alike_updates(2, values)
    check_request("TransactWriteItems", {"TransactItems": actions}, KEYS)
    values[":0"] = {"N": "NaN"}
    refused("TransactWriteItems", {"TransactItems": actions}, "a finite number")


def test_an_expression_is_at_most_4_kb() -> None:
    text = " OR ".join(["attribute_exists (#0)"] * 200)
    refused("DeleteItem", condition(text), "a ConditionExpression of at most 4,096 bytes")


def test_an_expression_has_at_most_300_operators_and_functions() -> None:
    text = " OR ".join(["#0 = :0"] * 151)  # 151 comparisons and 150 ORs
    assert refused("DeleteItem", condition(text, 1), "at most 300 operators").value == 301


def test_an_update_expression_counts_functions_and_arithmetic_not_assignment() -> None:
    text = "SET " + ", ".join("#0 = list_append(if_not_exists(#0,:0),:0)+:0-:0" for _ in range(76))
    params = {**condition("attribute_exists (#0)", 1), "UpdateExpression": text}
    assert refused("UpdateItem", params, "at most 300 operators and functions in a UpdateExpression").value == 304


def test_an_in_has_at_most_100_operands() -> None:
    operands = ", ".join(f":{i}" for i in range(101))
    params = {**condition(f"#0 IN ({operands})", 101)}
    assert refused("DeleteItem", params, "at most 100 operands of one IN").value == 101


def test_a_document_path_is_at_most_32_levels_deep() -> None:
    refused("DeleteItem", condition("attribute_exists (" + ".".join(["#0"] * 33) + ")"), "32 levels deep")


def test_placeholders_are_at_most_255_bytes() -> None:
    params = {**condition("attribute_exists (#0)"), "ExpressionAttributeNames": {"#" + "n" * 255: "name"}}
    refused("DeleteItem", params, "placeholders of at most 255 bytes")


def test_substitutions_are_at_most_2_mb() -> None:
    values = {f":{i}": {"S": "x" * 300_000} for i in range(7)}
    params = {**condition("attribute_exists (#0)"), "ExpressionAttributeValues": values}
    refused("DeleteItem", params, "of at most 2,097,152 bytes")


def test_an_item_is_at_most_400_kb() -> None:
    params = {"TableName": TABLE, "Item": item(1, text={"S": "x" * 409_600})}
    refused("PutItem", params, "items of at most 409,600 bytes")


def test_a_partition_key_is_at_most_2048_bytes_and_not_empty() -> None:
    refused("GetItem", {"TableName": TABLE, "Key": {"id": {"S": "x" * 2049}}}, "at most 2,048 bytes")
    refused("GetItem", {"TableName": TABLE, "Key": {"id": {"S": ""}}}, "a non-empty value")
    refused("GetItem", {"TableName": TABLE, "Key": {"id": {"B": b""}}}, "a non-empty value")


def test_a_sort_key_is_at_most_1024_bytes() -> None:
    keys = {"pk": {"S": "a"}, "sk": {"S": "x" * 1025}}
    refused("GetItem", {"TableName": "t-Event", "Key": keys}, "at most 1,024 bytes")


def test_an_index_key_is_held_to_the_key_limits_wherever_it_is_written_or_asked_for() -> None:
    long = {"S": "=" + "x" * 2048}
    refused("PutItem", {"TableName": TABLE, "Item": item(1, _ix_name=long)}, "'_ix_name' of t-City of at most")
    refused("PutItem", {"TableName": TABLE, "Item": item(1, _ix_name={"S": ""})}, "a non-empty value")
    update = {
        "TableName": TABLE,
        "Key": key(1),
        "UpdateExpression": "SET #0 = :0",
        "ExpressionAttributeNames": {"#0": "_ix_name"},
        "ExpressionAttributeValues": {":0": long},
    }
    refused("UpdateItem", update, "'_ix_name' of t-City of at most")
    query = {**update, "IndexName": "name-index", "KeyConditionExpression": "#0 = :0"}
    del query["UpdateExpression"], query["Key"]
    refused("Query", query, "'_ix_name' of t-City of at most")


def test_numbers_have_at_most_38_significant_digits() -> None:
    check_request("PutItem", {"TableName": TABLE, "Item": item(1, n={"N": "1" * 38 + "000"})}, KEYS)
    refused("PutItem", {"TableName": TABLE, "Item": item(1, n={"N": "1" * 39})}, "38 significant digits")


@pytest.mark.parametrize("number", ["1E+126", "-1E+126", "1E-131", "-9E-131"])
def test_numbers_are_within_dynamodbs_magnitudes(number: str) -> None:
    refused("PutItem", {"TableName": TABLE, "Item": item(1, n={"N": number})}, "magnitude 1E-130 to 9.99E+125")


@pytest.mark.parametrize("number", ["0", "-0.0", "1E-130", "9.9999999999999999999999999999999999999E+125"])
def test_numbers_at_the_ends_of_the_range_pass(number: str) -> None:
    check_request("PutItem", {"TableName": TABLE, "Item": item(1, n={"N": number}, s={"NS": [number]})}, KEYS)


def test_numbers_inside_lists_and_expression_values_are_checked_too() -> None:
    deep = {"L": [{"M": {"n": {"N": "1E+200"}}}]}
    refused("PutItem", {"TableName": TABLE, "Item": item(1, l=deep)}, "magnitude")
    refused("DeleteItem", {**condition("#0 = :0"), "ExpressionAttributeValues": {":0": {"N": "NaN"}}}, "finite")


def test_attributes_nest_at_most_32_levels() -> None:
    value: dict[str, Any] = {"S": "x"}
    for _ in range(33):
        value = {"L": [value]}
    refused("PutItem", {"TableName": TABLE, "Item": item(1, deep=value)}, "nested at most 32 levels deep")


def test_attribute_names_are_not_empty_and_under_64_kb() -> None:
    refused("PutItem", {"TableName": TABLE, "Item": item(1, **{"": {"S": "x"}})}, "at least one character")
    long = {"n" * 65_536: {"S": "x"}}
    refused("PutItem", {"TableName": TABLE, "Item": item(1, **long)}, "an attribute name of at most 65,535 bytes")
    names = {"#0": ""}
    refused("DeleteItem", {**condition("attribute_exists (#0)"), "ExpressionAttributeNames": names}, "at least one")


def test_key_attribute_names_are_at_most_255_bytes() -> None:
    schema = [{"AttributeName": "k" * 256, "KeyType": "HASH"}]
    refused("CreateTable", {"TableName": TABLE, "KeySchema": schema}, "a key attribute name of at most 255 bytes")
    index = {"IndexName": "i", "KeySchema": schema}
    params = {"TableName": TABLE, "KeySchema": [], "GlobalSecondaryIndexes": [index]}
    refused("CreateTable", params, "a key attribute name of at most 255 bytes")


@pytest.mark.parametrize("operation", ["Query", "Scan"])
def test_a_page_limit_is_at_least_one(operation: str) -> None:
    assert refused(operation, {"TableName": TABLE, "Limit": 0}, "`Limit` is at least 1").value == 0


def test_the_checker_refuses_before_anything_is_sent_and_keeps_what_it_refused() -> None:
    client = botocore.session.get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # nothing listens: a request that got out would fail otherwise
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    checker = check_limits(client, KEYS)
    puts = [{"PutRequest": {"Item": item(n)}} for n in range(26)]
    with pytest.raises(LimitExceeded, match="BatchWriteItem: at most 25 requests in one call, here 26"):
        client.batch_write_item(RequestItems={TABLE: puts})
    assert checker.violations == ["BatchWriteItem: at most 25 requests in one call, here 26"]


def test_the_checker_is_on_against_a_dynamodb_of_ones_own_and_off_against_the_service() -> None:
    """`make run` (and the command line) set an endpoint: the embedded server's, or one's own."""
    local = Settings.from_environ({"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9"})
    assert Tables(load_schema_file(DEFAULT_SCHEMA), local.store).limits is not None
    for stage in ("dev", "prod"):
        deployed = Settings.from_environ({"STAGE": stage})
        assert Tables(load_schema_file(DEFAULT_SCHEMA), deployed.store).limits is None
