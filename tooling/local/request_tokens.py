"""DynamoDB's idempotency of TransactWriteItems, by ClientRequestToken, which moto ignores.

Within 10 minutes after a request with a token succeeded, the same request with the same token
succeeds again without being applied again (a retry whose first sending landed, its answer lost);
the same token with another request is refused with IdempotentParameterMismatchException. After
10 minutes the token is new again. A request that failed changed nothing, so its retry is applied
afresh.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException

WINDOW_SECONDS = 600.0

Answer = TypeVar("Answer")


class IdempotentParameterMismatch(DynamodbException):
    error_type = ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException"

    def __init__(self) -> None:
        super().__init__(
            self.error_type, message="The request uses the same client token as a previous, but non-identical request."
        )


@dataclass(frozen=True)
class _Landed(Generic[Answer]):
    digest: bytes
    answer: Answer
    at: float


class RequestTokens(Generic[Answer]):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # In the order the requests completed, so the expired ones are always first.
        self._landed: OrderedDict[str, _Landed[Answer]] = OrderedDict()

    def once(self, token: str, request: Mapping[str, Any], apply: Callable[[], Answer]) -> Answer:
        """`apply()`'s answer; for a token that landed within the window, its first answer again."""
        self._forget_expired()
        digest = _digest(request)
        landed = self._landed.get(token)
        if landed is not None:
            if landed.digest != digest:
                raise IdempotentParameterMismatch()
            return landed.answer
        answer = apply()
        self._landed[token] = _Landed(digest, answer, self._clock())
        return answer

    def _forget_expired(self) -> None:
        now = self._clock()
        while self._landed:
            token, landed = next(iter(self._landed.items()))
            if now - landed.at < WINDOW_SECONDS:
                return
            del self._landed[token]


def _digest(request: Mapping[str, Any]) -> bytes:
    # A parsed request holds no cycle: not looking for one makes the dump about a third cheaper.
    text = json.dumps(request, sort_keys=True, check_circular=False, default=_binary)
    return hashlib.sha256(text.encode()).digest()


def _binary(value: Any) -> str:
    """A binary value (moto parses one into bytes, which JSON has no form for) as its base64 text:
    a place of a request that holds bytes never holds text, so no other request reads the same."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} has no JSON form")
