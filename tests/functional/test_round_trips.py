"""DynamoDB round trips per operation (SPEC section 6), counted with a botocore event hook."""

from __future__ import annotations

from tests.conftest import Api


def test_user_by_id_is_one_get_item(api: Api) -> None:
    created = api.data('mutation { createUser(input: {data: {email: "a@example.com"}}) { data { id } } }')
    user_id = created["createUser"]["data"]["id"]
    with api.calls() as calls:
        api.data("query ($id: ID!) { user(id: $id) { id email } }", {"id": user_id})
    assert calls.counts == {"GetItem": 1}


def test_user_by_unique_email_is_one_call(api: Api) -> None:
    api.data('mutation { createUser(input: {data: {email: "a@example.com"}}) { data { id } } }')
    with api.calls() as calls:
        found = api.data('{ user(email: "a@example.com") { email } }')
    assert found["user"] == {"email": "a@example.com"}
    assert calls.counts == {"Query": 1}


def test_create_user_with_unique_fields_is_one_transaction(api: Api) -> None:
    with api.calls() as calls:
        api.data('mutation { createUser(input: {data: {email: "a@example.com", username: "a"}}) { data { id } } }')
    assert calls.counts == {"TransactWriteItems": 1}


def test_create_without_unique_values_is_one_put(api: Api) -> None:
    with api.calls() as calls:
        api.data('mutation { createShopifyShop(input: {data: {name: "shop"}}) { data { id } } }')
    assert calls.counts == {"PutItem": 1}


UPDATE_WITH_CONDITION = """
mutation ($id: ID!, $name: String) {
  updateUser(input: {where: {id: $id}, data: {name: "new"}, conditions: {match: {name: [$name]}}}) {
    data { name } unalteredData { name }
  }
}
"""


def test_an_update_by_id_with_a_scalar_condition_is_one_call_passing_or_failing(api: Api) -> None:
    created = api.data('mutation { createUser(input: {data: {email: "a@example.com", name: "old"}}) { data { id } } }')
    user_id = created["createUser"]["data"]["id"]
    with api.calls() as calls:
        failed = api.data(UPDATE_WITH_CONDITION, {"id": user_id, "name": "other"})["updateUser"]
    # The failed write hands back the record as it stood: no second read for `unalteredData`.
    assert failed == {"data": None, "unalteredData": {"name": "old"}}
    assert calls.counts == {"UpdateItem": 1}
    with api.calls() as calls:
        passed = api.data(UPDATE_WITH_CONDITION, {"id": user_id, "name": "old"})["updateUser"]
    assert passed == {"data": {"name": "new"}, "unalteredData": None}
    assert calls.counts == {"UpdateItem": 1}
    missing = "VXNlcjpjY2Y3MDljM2UyZDg0YmUxOGZlODJjY2NiYWQzMDM4NA"
    with api.calls() as calls:
        gone = api.query(UPDATE_WITH_CONDITION, {"id": missing, "name": "old"})
    assert gone["errors"][0]["extensions"]["code"] == "GGT_RECORD_NOT_FOUND"
    assert calls.counts == {"UpdateItem": 1}
