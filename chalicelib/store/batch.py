"""BatchGetItem and BatchWriteItem in full: chunked to DynamoDB's limits, with what DynamoDB
leaves unprocessed (or refuses while throttling) retried under backoff until done."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.store.backoff import THROTTLING, Backoff

GET_LIMIT = 100
WRITE_LIMIT = 25
RawItem = dict[str, Any]


def batch_get(client: Any, table: str, keys: list[RawItem], backoff: Callable[[], Backoff]) -> list[RawItem]:
    """Every item of `keys` that exists, read consistently, 100 keys a call."""
    found: list[RawItem] = []
    for start in range(0, len(keys), GET_LIMIT):
        pending: dict[str, Any] = {table: {"Keys": keys[start : start + GET_LIMIT], "ConsistentRead": True}}
        retry = backoff()
        while pending:
            response = _call(client.batch_get_item, retry, "BatchGetItem", RequestItems=pending)
            if response is None:
                continue
            found += response.get("Responses", {}).get(table, [])
            pending = response.get("UnprocessedKeys") or {}
            if pending:
                retry.wait("BatchGetItem")
    return found


def batch_write(client: Any, table: str, requests: list[RawItem], backoff: Callable[[], Backoff]) -> int:
    """Apply PutRequest / DeleteRequest `requests`, 25 a call; returns the number of calls made."""
    calls = 0
    for start in range(0, len(requests), WRITE_LIMIT):
        pending: dict[str, Any] = {table: requests[start : start + WRITE_LIMIT]}
        retry = backoff()
        while pending:
            calls += 1
            response = _call(client.batch_write_item, retry, "BatchWriteItem", RequestItems=pending)
            if response is None:
                continue
            pending = response.get("UnprocessedItems") or {}
            if pending:
                retry.wait("BatchWriteItem")
    return calls


def _call(operation: Callable[..., Any], retry: Backoff, name: str, **kwargs: Any) -> Any:
    """One call; None after a throttling refusal (having waited), any other error raised."""
    try:
        return operation(**kwargs)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in THROTTLING:
            raise
        retry.wait(name)
        return None


def batch_get_tables(client: Any, keys: dict[str, RawItem], backoff: Callable[[], Backoff]) -> dict[str, RawItem]:
    """One item from each of several tables (`{table: key}`) in one consistent BatchGetItem: those
    that exist, by table."""
    pending: dict[str, Any] = {table: {"Keys": [key], "ConsistentRead": True} for table, key in keys.items()}
    found: dict[str, RawItem] = {}
    retry = backoff()
    while pending:
        response = _call(client.batch_get_item, retry, "BatchGetItem", RequestItems=pending)
        if response is None:
            continue
        found.update({table: items[0] for table, items in response.get("Responses", {}).items() if items})
        pending = response.get("UnprocessedKeys") or {}
        if pending:
            retry.wait("BatchGetItem")
    return found
