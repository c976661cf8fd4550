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
