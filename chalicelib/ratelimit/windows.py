"""The shared count of a caller's requests in one time window, in DynamoDB.

Items live in the stage's throttle table (beside the failed-login windows), one per caller and
window: `rate#<hash of the caller>#<window number>`. The window is part of the key, so a new
window starts from zero without a reset write, and DynamoDB's TTL removes old windows.
"""

from __future__ import annotations

import hashlib
from typing import Any

# An attribute of its own: the failed-login items of the same table count in `failures`.
REQUESTS = "requests"
TTL = "_ttl"


class WindowCounts:
    def __init__(self, client: Any, table_name: str, window_seconds: int) -> None:
        self.client = client
        self.table_name = table_name
        self.window_seconds = window_seconds

    def add(self, caller: str, window: int, amount: int) -> int:
        """Add `amount` requests to `caller`'s count in `window`; the count after, every
        instance's additions included (one UpdateItem)."""
        expires = (window + 2) * self.window_seconds
        answer = self.client.update_item(
            TableName=self.table_name,
            Key={"key": {"S": self.key(caller, window)}},
            UpdateExpression="ADD #n :amount SET #ttl = :expires",
            ExpressionAttributeNames={"#n": REQUESTS, "#ttl": TTL},
            ExpressionAttributeValues={":amount": {"N": str(amount)}, ":expires": {"N": str(expires)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"][REQUESTS]["N"])

    @staticmethod
    def key(caller: str, window: int) -> str:
        return f"rate#{hashlib.sha256(caller.encode()).hexdigest()}#{window}"
