"""BatchGetItem and BatchWriteItem in full: chunked to DynamoDB's limits, with what DynamoDB
leaves unprocessed sent again under the store's backoff until done. A call DynamoDB refuses as a
whole (throttling) is retried like any single call, below this module (see `retries`)."""

from __future__ import annotations

from typing import Any

from chalicelib.store.backoff import Backoff
from chalicelib.store.limits import MAX_BATCH_GET_KEYS, MAX_BATCH_WRITE_REQUESTS

RawItem = dict[str, Any]


def batch_get(client: Any, table: str, keys: list[RawItem], backoff: Backoff) -> list[RawItem]:
    """Every item of `keys` that exists, read consistently, 100 keys a call."""
    found: list[RawItem] = []
    for start in range(0, len(keys), MAX_BATCH_GET_KEYS):
        pending: dict[str, Any] = {table: {"Keys": keys[start : start + MAX_BATCH_GET_KEYS], "ConsistentRead": True}}
        tries = 0
        while pending:
            response = client.batch_get_item(RequestItems=pending)
            tries += 1
            found += response.get("Responses", {}).get(table, [])
            pending = response.get("UnprocessedKeys") or {}
            if pending:
                backoff.wait(tries, "BatchGetItem")
    return found


def batch_write(client: Any, table: str, requests: list[RawItem], backoff: Backoff) -> int:
    """Apply PutRequest / DeleteRequest `requests`, 25 a call; returns the number of calls made."""
    calls = 0
    for start in range(0, len(requests), MAX_BATCH_WRITE_REQUESTS):
        pending: dict[str, Any] = {table: requests[start : start + MAX_BATCH_WRITE_REQUESTS]}
        tries = 0
        while pending:
            response = client.batch_write_item(RequestItems=pending)
            tries += 1
            calls += 1
            pending = response.get("UnprocessedItems") or {}
            if pending:
                backoff.wait(tries, "BatchWriteItem")
    return calls


def batch_get_tables(client: Any, keys: dict[str, RawItem], backoff: Backoff) -> dict[str, RawItem]:
    """One item from each of several tables (`{table: key}`) in one consistent BatchGetItem: those
    that exist, by table."""
    pending: dict[str, Any] = {table: {"Keys": [key], "ConsistentRead": True} for table, key in keys.items()}
    found: dict[str, RawItem] = {}
    tries = 0
    while pending:
        response = client.batch_get_item(RequestItems=pending)
        tries += 1
        found.update({table: items[0] for table, items in response.get("Responses", {}).items() if items})
        pending = response.get("UnprocessedKeys") or {}
        if pending:
            backoff.wait(tries, "BatchGetItem")
    return found
