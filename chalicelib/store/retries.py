"""Single AWS calls (DynamoDB's, and S3's for file fields) retried by the store's policy rather
than by botocore.

botocore's clients are built with no retries of their own (`NO_RETRIES`); a `needs-retry` handler
on each asks the policy instead, so a call's retries are bounded by the request's deadline like every
other retry. botocore resends the request it built, unchanged: a TransactWriteItems keeps its
ClientRequestToken (see `transaction`), so DynamoDB applies a resent transaction once even if the
first sending got through and only its answer was lost.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ConnectionError, HTTPClientError

from chalicelib.store.backoff import Backoff

NO_RETRIES: Any = {"total_max_attempts": 1, "mode": "standard"}
# DynamoDB declining for now: throttling, or an item busy with a transaction (a resent
# TransactWriteItems whose first sending is still running gets TransactionInProgress). S3's
# SlowDown is a 503, retried as every 5xx is.
DECLINED = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)


def retry_by(client: Any, backoff: Backoff) -> None:
    """Retry what `client` (of any service) sends under `backoff`."""

    def needs_retry(
        attempts: int, operation: Any, response: Any = None, caught_exception: Exception | None = None, **_: Any
    ) -> float | None:
        reason = transient(response, caught_exception)
        if reason is None:
            return None
        backoff.wait(attempts, f"{operation.name} ({reason})")
        # botocore sleeps for what is returned: the policy has waited already.
        return 0.0

    client.meta.events.register(f"needs-retry.{client.meta.service_model.service_id.hyphenize()}", needs_retry)


def transient(response: Any, caught_exception: Exception | None) -> str | None:
    """Why a try failed, if another may succeed: a refusal for now, a 5xx, a connection or a timeout."""
    if caught_exception is not None:
        # ConnectionError covers failing to connect; HTTPClientError, a read timeout or a cut connection.
        if isinstance(caught_exception, ConnectionError | HTTPClientError):
            return type(caught_exception).__name__
        return None
    if response is None:
        return None
    http, parsed = response
    code = parsed.get("Error", {}).get("Code")
    if code in DECLINED or http.status_code >= 500:
        return str(code or http.status_code)
    return None
