"""One mutation, one DynamoDB transaction: a write either lands whole or not at all.

Every item added carries a label saying what it is (a record, a unique guard), so that when
DynamoDB cancels the transaction, the failed condition is reported as the field it protects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model as PynamoModel
from pynamodb.transactions import TransactWrite

# DynamoDB's own limit on items in one TransactWriteItems.
MAX_ITEMS = 100


@dataclass(frozen=True)
class Label:
    """What a transaction item stands for: `field` is set for a unique guard."""

    model: str
    field: str | None = None


class ConditionFailed(Exception):
    """The transaction was cancelled because the condition of `label`'s item failed."""

    def __init__(self, label: Label) -> None:
        super().__init__(f"condition failed on {label}")
        self.label = label


class TooManyItems(Exception):
    pass


class Transaction:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        # Kept per kind because PynamoDB sends checks, deletes, puts, then updates, in that order.
        self._puts: list[tuple[PynamoModel, Condition | None, Label]] = []

    def put(self, item: PynamoModel, condition: Condition | None, label: Label) -> None:
        self._puts.append((item, condition, label))

    def commit(self) -> None:
        if len(self._puts) > MAX_ITEMS:
            raise TooManyItems(f"a write of {len(self._puts)} items exceeds the {MAX_ITEMS}-item transaction limit")
        if len(self._puts) == 1:
            self._commit_single()
            return
        try:
            with TransactWrite(connection=self.connection) as write:
                for item, condition, _ in self._puts:
                    write.save(item, condition=condition)
        except TransactWriteError as error:
            raise self._failure(error) from error

    def _commit_single(self) -> None:
        """A lone put needs no transaction: PutItem with the same condition is as atomic and cheaper."""
        item, condition, label = self._puts[0]
        try:
            item.save(condition=condition)
        except Exception as error:
            if _is_condition_failure(error):
                raise ConditionFailed(label) from error
            raise

    def _failure(self, error: TransactWriteError) -> Exception:
        labels = [label for _, _, label in self._puts]
        for label, reason in zip(labels, error.cancellation_reasons, strict=False):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                return ConditionFailed(label)
        return error


def _is_condition_failure(error: Any) -> bool:
    cause = getattr(error, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"
