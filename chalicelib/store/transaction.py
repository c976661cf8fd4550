"""One mutation, one DynamoDB transaction: a write either lands whole or not at all.

Every item added carries a label saying what it is (a record, a unique guard), so that when
DynamoDB cancels the transaction, the failed condition is reported as what it protects.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.connection import Connection
from pynamodb.constants import ALL_NEW, ALL_OLD
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.models import Model as PynamoModel

from chalicelib.store import counters
from chalicelib.store.limits import MAX_TRANSACTION_BYTES, MAX_TRANSACTION_ITEMS
from chalicelib.store.sizes import ItemTooLarge, check_item, is_refusal, item_size, value_size


@dataclass(frozen=True)
class Label:
    """What a transaction item stands for: a record of `model`, or with `field` its unique guard."""

    model: str
    field: str | None = None
    record_id: str | None = None


class ConditionFailed(Exception):
    """The transaction was cancelled because the condition of `label`'s item failed. A lone update
    also says how the item stood (`item`, None when there was none), read by the failed write itself."""

    def __init__(self, label: Label, item: PynamoModel | None = None) -> None:
        super().__init__(f"condition failed on {label}")
        self.label = label
        self.item = item


class TooManyItems(Exception):
    pass


class Conflict(Exception):
    """DynamoDB cancelled the transaction for a concurrent one on the same items: safe to retry."""


class DuplicateItem(Exception):
    """Two writes of one mutation touch the same item (DynamoDB refuses that in one transaction)."""

    def __init__(self, label: Label) -> None:
        super().__init__(f"two writes to {label}")
        self.label = label


PUT, UPDATE, DELETE, CHECK = "put", "update", "delete", "check"
# The label of a counter's update (it has no condition to fail).
COUNTERS = "counters"
# The order in which PynamoDB sends the kinds, and DynamoDB reports their cancellation reasons.
_SENT_ORDER = (CHECK, DELETE, PUT, UPDATE)


@dataclass
class _Write:
    kind: str
    item: PynamoModel
    key: str
    condition: Condition | None
    label: Label
    actions: list[Action] | None = None


def carried_bytes(actions: list[Action]) -> int:
    """The bytes of item data an update's `actions` carry: the values they set."""
    values: dict[str, Any] = {}
    for action in actions:
        action.serialize({}, values)
    return sum(value_size(value) for value in values.values())


class Transaction:
    """Writes to send together. Counter deltas (store/counters.py) are summed per counter rather
    than written as they come, so that writes which move one counter still share a transaction:
    each counter is then one update of one shard, chosen when the transaction is made."""

    def __init__(self, connection: Connection, counter: Callable[[str], PynamoModel] | None = None) -> None:
        self.connection = connection
        self._writes: list[_Write] = []
        self._keys: set[tuple[str, Any]] = set()
        # The bytes of item data the writes carry: whole items put, values an update sets.
        self.bytes = 0
        self._counter = counter
        self._deltas: Counter[str] = Counter()
        self._shard = counters.random_shard()

    def put(self, item: PynamoModel, key: str, condition: Condition | None, label: Label) -> None:
        attributes = item.serialize()
        check_item(label.model, attributes)
        self.bytes += item_size(attributes)
        self._add(_Write(PUT, item, key, condition, label))

    def update(
        self,
        item: PynamoModel,
        key: str,
        actions: list[Action],
        condition: Condition | None,
        label: Label,
        carried: int | None = None,
    ) -> None:
        """`carried`: the bytes of item data `actions` carry (`carried_bytes`), when known already."""
        self.bytes += carried_bytes(actions) if carried is None else carried
        self._add(_Write(UPDATE, item, key, condition, label, actions))

    def delete(self, item: PynamoModel, key: str, condition: Condition | None, label: Label) -> None:
        self._add(_Write(DELETE, item, key, condition, label))

    def check(self, item: PynamoModel, key: str, condition: Condition, label: Label) -> None:
        self._add(_Write(CHECK, item, key, condition, label))

    def count(self, deltas: counters.Deltas) -> None:
        """Add to counters, with this transaction's other writes."""
        if deltas and self._counter is None:
            raise RuntimeError("a transaction without a counters table was given counts")
        self._deltas.update(deltas)

    def _add(self, write: _Write) -> None:
        key = (write.item.Meta.table_name, write.key)
        if key in self._keys:
            raise DuplicateItem(write.label)
        self._keys.add(key)
        self._writes.append(write)

    def absorb(self, other: Transaction, reserve: int = 0) -> bool:
        """Take on `other`'s writes too, if both fit one transaction: 100 items, 4 MB of item data
        (keeping `reserve` bytes more for it), no item written twice (so that together they land as
        each would alone)."""
        # No Counter is built while there is nothing to count (a bulk update's records move none).
        deltas = self._deltas
        if other._deltas:
            deltas = Counter(deltas)
            deltas.update(other._deltas)
        if deltas:
            deltas = Counter({counter: delta for counter, delta in deltas.items() if delta})
        if len(self._writes) + len(other._writes) + len(deltas) > MAX_TRANSACTION_ITEMS:
            return False
        if not self._keys.isdisjoint(other._keys) or self.bytes + other.bytes + reserve > MAX_TRANSACTION_BYTES:
            return False
        self._writes += other._writes
        self._keys |= other._keys
        self.bytes += other.bytes + reserve
        self._deltas = deltas
        self._counter = self._counter or other._counter
        return True

    def __len__(self) -> int:
        return len(self._writes) + len(self._counted())

    def _counted(self) -> list[_Write]:
        """One update of one shard per counter whose deltas do not sum to nothing."""
        writes = []
        for counter, delta in sorted(self._deltas.items()):
            if delta and self._counter is not None:
                key = counters.shard_key(counter, self._shard)
                item = self._counter(key)
                actions: list[Action] = [Path("n").add({"N": str(delta)})]
                writes.append(_Write(UPDATE, item, key, None, Label(COUNTERS), actions))
        return writes

    def commit(self) -> PynamoModel | None:
        """Write everything, or nothing. A lone update returns its item as it now stands."""
        writes = self._writes + self._counted()
        if len(writes) > MAX_TRANSACTION_ITEMS:
            raise TooManyItems(
                f"this mutation writes {len(writes)} items; one transaction holds at most {MAX_TRANSACTION_ITEMS}"
            )
        if not writes:
            return None
        if len(writes) == 1 and writes[0].kind != CHECK:
            return self._commit_single(writes[0])
        try:
            # A token of its own: resent after a lost answer, the transaction is applied once; a
            # new commit (planned again) is a new transaction.
            token = str(uuid.uuid4())
            requests: dict[str, list[dict[str, Any]]] = {kind: [] for kind in _SENT_ORDER}
            alike: dict[tuple[Any, ...], dict[str, Any]] = {}
            for write in writes:
                requests[write.kind].append(_request(write, alike))
            self.connection.transact_write_items(
                condition_check_items=requests[CHECK],
                delete_items=requests[DELETE],
                put_items=requests[PUT],
                update_items=requests[UPDATE],
                client_request_token=token,
            )
        except TransactWriteError as error:
            raise self._failure(error, writes) from error
        return None

    def _commit_single(self, write: _Write) -> PynamoModel | None:
        """A lone write needs no transaction: the same conditional write is as atomic and cheaper."""
        try:
            if write.kind == PUT:
                write.item.save(condition=write.condition, add_version_condition=False)
            elif write.kind == UPDATE:
                return self._update_single(write)
            else:
                write.item.delete(condition=write.condition, add_version_condition=False)
        except (PutError, DeleteError) as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise ConditionFailed(write.label) from error
            if is_refusal(error.cause_response_message):
                raise ItemTooLarge(write.label.model) from error
            raise
        return None

    def _update_single(self, write: _Write) -> PynamoModel:
        """One UpdateItem answering with the item as it now stands or, when its condition fails, as it
        stood (ReturnValuesOnConditionCheckFailure), so a failed condition costs no second read.

        PynamoDB's `Model.update` neither asks for the old item nor keeps it from the error, so the
        request is built by PynamoDB and sent through the (shared, watched) botocore client."""
        assert write.actions is not None
        cls = type(write.item)
        table = cls._get_connection()
        hash_key, _ = write.item._get_hash_range_key_serialized_values()
        request = table.connection.get_operation_kwargs(
            table.table_name,
            hash_key,
            actions=write.actions,
            condition=write.condition,
            return_values=ALL_NEW,
            return_values_on_condition_failure=ALL_OLD,
        )
        try:
            response = table.connection.client.update_item(**request)
        except ClientError as error:
            details = error.response.get("Error", {})
            if details.get("Code") == "ConditionalCheckFailedException":
                old = error.response.get("Item")
                raise ConditionFailed(write.label, None if old is None else cls.from_raw_data(old)) from error
            if is_refusal(details.get("Message")):
                raise ItemTooLarge(write.label.model) from error
            raise
        return cls.from_raw_data(response["Attributes"])

    def _failure(self, error: TransactWriteError, writes: list[_Write]) -> Exception:
        if is_refusal(error.cause_response_message):
            return ItemTooLarge()
        ordered = sorted(writes, key=lambda w: _SENT_ORDER.index(w.kind))
        failed = [
            w
            for w, r in zip(ordered, error.cancellation_reasons, strict=False)
            if r and r.code == "ConditionalCheckFailed"
        ]
        if failed:
            # A new record found already there is told first: it means this transaction itself landed
            # before (a lost reply), which explains every other failed condition too.
            return ConditionFailed(min(failed, key=lambda w: not (w.kind == PUT and w.label.field is None)).label)
        for write, reason in zip(ordered, error.cancellation_reasons, strict=False):
            if reason is not None and is_refusal(reason.message):
                return ItemTooLarge(write.label.model)
        if any(reason is not None and reason.code == "TransactionConflict" for reason in error.cancellation_reasons):
            return Conflict("a concurrent transaction touched the same items")
        return error


def _request(write: _Write, alike: dict[tuple[Any, ...], dict[str, Any]]) -> dict[str, Any]:
    """PynamoDB's request for one write of a transaction. Updates sharing their actions and condition
    (the writes of a bulk update, see store/alike.py) share one request but for the key: built once
    per transaction, kept in `alike` (whose writes hold the objects its keys are the ids of)."""
    item = write.item
    if write.kind == PUT:
        return item.get_save_kwargs_from_instance(condition=write.condition)
    if write.kind == DELETE:
        return item.get_delete_kwargs_from_instance(condition=write.condition, add_version_condition=False)
    if write.kind == CHECK:
        return type(item).get_operation_kwargs_from_class(write.key, condition=write.condition)
    assert write.actions is not None
    shape = (type(item), id(write.actions), id(write.condition))
    shared = alike.get(shape)
    if shared is None:
        shared = alike[shape] = item.get_update_kwargs_from_instance(
            actions=write.actions, condition=write.condition, add_version_condition=False
        )
        return shared
    hash_key, range_key = item._get_hash_range_key_serialized_values()
    table = type(item)._get_connection()
    return {**shared, **table.connection.get_identifier_map(table.table_name, hash_key, range_key)}
