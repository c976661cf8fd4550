"""One mutation, one DynamoDB transaction: a write either lands whole or not at all.

Every item added carries a label saying what it is (a record, a unique guard), so that when
DynamoDB cancels the transaction, the failed condition is reported as what it protects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model as PynamoModel
from pynamodb.transactions import TransactWrite

# DynamoDB's own limit on items in one TransactWriteItems.
MAX_ITEMS = 100


@dataclass(frozen=True)
class Label:
    """What a transaction item stands for: a record of `model`, or with `field` its unique guard."""

    model: str
    field: str | None = None
    record_id: str | None = None


class ConditionFailed(Exception):
    """The transaction was cancelled because the condition of `label`'s item failed."""

    def __init__(self, label: Label) -> None:
        super().__init__(f"condition failed on {label}")
        self.label = label


class TooManyItems(Exception):
    pass


class DuplicateItem(Exception):
    """Two writes of one mutation touch the same item (DynamoDB refuses that in one transaction)."""

    def __init__(self, label: Label) -> None:
        super().__init__(f"two writes to {label}")
        self.label = label


@dataclass
class _Write:
    item: PynamoModel
    key: str
    condition: Condition | None
    label: Label
    actions: list[Action] | None = None  # an update; a put otherwise


class Transaction:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._writes: list[_Write] = []
        self._keys: set[tuple[str, Any]] = set()

    def put(self, item: PynamoModel, key: str, condition: Condition | None, label: Label) -> None:
        self._add(_Write(item, key, condition, label))

    def update(
        self, item: PynamoModel, key: str, actions: list[Action], condition: Condition | None, label: Label
    ) -> None:
        self._add(_Write(item, key, condition, label, actions))

    def _add(self, write: _Write) -> None:
        key = (write.item.Meta.table_name, write.key)
        if key in self._keys:
            raise DuplicateItem(write.label)
        self._keys.add(key)
        self._writes.append(write)

    def __len__(self) -> int:
        return len(self._writes)

    def commit(self) -> None:
        if len(self._writes) > MAX_ITEMS:
            raise TooManyItems(
                f"this mutation writes {len(self._writes)} items; one transaction holds at most {MAX_ITEMS}"
            )
        if len(self._writes) == 1:
            self._commit_single(self._writes[0])
            return
        try:
            with TransactWrite(connection=self.connection) as transaction:
                for write in self._writes:
                    if write.actions is None:
                        transaction.save(write.item, condition=write.condition)
                    else:
                        transaction.update(write.item, write.actions, condition=write.condition)
        except TransactWriteError as error:
            raise self._failure(error) from error

    def _commit_single(self, write: _Write) -> None:
        """A lone write needs no transaction: the same conditional write is as atomic and cheaper."""
        try:
            if write.actions is None:
                write.item.save(condition=write.condition)
            else:
                write.item.update(write.actions, condition=write.condition)
        except (PutError, UpdateError) as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise ConditionFailed(write.label) from error
            raise

    def _failure(self, error: TransactWriteError) -> Exception:
        # PynamoDB sends condition checks, deletes, puts, then updates: the order reasons come in.
        ordered = [w for w in self._writes if w.actions is None] + [w for w in self._writes if w.actions is not None]
        for write, reason in zip(ordered, error.cancellation_reasons, strict=False):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                return ConditionFailed(write.label)
        return error
