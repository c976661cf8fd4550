"""Records of the schema's models, read and written as plain dicts `{field name: value}`.

Reads by id are strongly consistent. Reads by a unique field go through its index, which
DynamoDB keeps eventually consistent: a value changed a moment ago may still be found under the
old one for a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.models import Model as PynamoModel

from chalicelib.api import ids
from chalicelib.errors import ApiError
from chalicelib.schema.registry import Field, Model, Registry, SortedIndex, Storage
from chalicelib.store import batch, counters, edges, object_work, sorted_keys
from chalicelib.store.alike import Alike, Built
from chalicelib.store.attributes import index_attribute_name, index_key, python_name, serialize
from chalicelib.store.backoff import Backoff
from chalicelib.store.changes import SPENT, VERSION, Changes, Delete, Edge, Update
from chalicelib.store.item_decoding import RawItem, plain_decoder
from chalicelib.store.record import Record
from chalicelib.store.sizes import (
    MAX_PARTITION_KEY_BYTES,
    MAX_SORT_KEY_BYTES,
    check_item,
    check_key,
    item_size,
    key_fits,
)
from chalicelib.store.tables import VERSION_ATTRIBUTE, GuardBase, Tables, ThrottleBase
from chalicelib.store.transaction import ConditionFailed, Label, Transaction, carried_bytes

# Every update and delete holds only if its record exists; a where-clause of `exists: {id: true}`
# (a bulk write's "every record") compiles to the same condition, which is not sent twice.
EXISTS = Path("id").exists()

Key = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Page:
    """One Scan or Query response: its records, where to resume (None at the end), items examined,
    and when asked for (`sized`), each record's size as stored, by id."""

    records: list[Record]
    last_key: Key | None
    scanned: int
    sizes: dict[str, int] = dataclasses.field(default_factory=dict)


class RecordStore:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self._alike = Alike()
        self._decoders: dict[str, Callable[[RawItem], Record]] = {}

    def get(self, model: Model, record_id: str) -> Record | None:
        if not record_id:
            return None  # DynamoDB refuses an empty key, and no record has one
        cls = self.tables.model_class(model.name)
        try:
            item = cls.get(record_id, consistent_read=True)
        except cls.DoesNotExist:
            return None
        return to_record(model, item)

    def find_unique(self, model: Model, field: Field, value: Any) -> Record | None:
        """The record whose unique `field` holds `value`: one GetItem for `id`, else one index Query."""
        if field.is_id:
            return self.get(model, value)
        key = index_key(field, value)
        if not key_fits(key):
            return None  # too long to have been stored (see `indexed`)
        cls = self.tables.model_class(model.name)
        index = getattr(cls, f"index_{field.name}")
        for item in index.query(key, limit=1):
            return to_record(model, item)
        return None

    def batch_get(self, model: Model, ids: Iterable[str]) -> dict[str, Record]:
        """Records by id, 100 keys a BatchGetItem; ids with no record are absent from the result."""
        cls = self.tables.model_class(model.name)
        # DynamoDB refuses an empty key in the whole batch, and no record has one.
        keys = [{"id": {"S": record_id}} for record_id in sorted(set(ids)) if record_id]
        raw = batch.batch_get(self.client, cls.Meta.table_name, keys, self.backoff)
        records = map(self._decoder(model), raw)
        return {record["id"]: record for record in records}

    def batch_get_linked(self, field: Field, record_ids: Iterable[str]) -> dict[str, Record]:
        """The records linked through `field` by id: for an interface or union, a batch per model
        its ids name (ids of no member are no link)."""
        by_model: dict[str, tuple[Model, list[str]]] = {}
        for record_id in record_ids:
            model = linked_model(self.tables.registry, field, record_id)
            if model is not None:
                by_model.setdefault(model.name, (model, []))[1].append(record_id)
        found: dict[str, Record] = {}
        for model, wanted in by_model.values():
            found.update(self.batch_get(model, wanted))
        return found

    def batch_delete(self, model: Model, ids: list[str]) -> int:
        """Delete records that have no unique value and no relation, 25 a BatchWriteItem,
        unconditionally: for callers that know nothing about them can have changed."""
        table = self.tables.model_class(model.name).Meta.table_name
        requests = [{"DeleteRequest": {"Key": {"id": {"S": record_id}}}} for record_id in ids]
        return batch.batch_write(self.client, table, requests, self.backoff)

    def restore(self, model: Model, records: list[Record]) -> None:
        """Write records as they are (ids, versions and relation ids included) with their unique
        guards, 25 items a BatchWriteItem: a restore into an empty stage, not a checked create."""
        cls = self.tables.model_class(model.name)
        puts = [{"PutRequest": {"Item": to_item(cls, model, r).serialize()}} for r in records]
        guards = [
            {"PutRequest": {"Item": self.tables.guard(key=guard_key(model, f, r[f.name]), owner=r["id"]).serialize()}}
            for r in records
            for f in model.unique_fields()
            if not f.is_id and r.get(f.name) is not None
        ]
        batch.batch_write(self.client, cls.Meta.table_name, puts, self.backoff)
        batch.batch_write(self.client, self.tables.guard.Meta.table_name, guards, self.backoff)

    def check_size(self, model: Model, record: Record) -> None:
        """ItemTooLarge if `record`, written as it is, would be larger than DynamoDB stores."""
        check_item(model.name, self._attributes(model, record))

    def size(self, model: Model, record: Record) -> int:
        """The bytes DynamoDB counts for `record` as it is stored."""
        return item_size(self._attributes(model, record))

    def _attributes(self, model: Model, record: Record) -> dict[str, Any]:
        attributes: dict[str, Any] = to_item(self.tables.model_class(model.name), model, record).serialize()
        return attributes

    @property
    def client(self) -> Any:
        return self.tables.connection.client

    @property
    def backoff(self) -> Backoff:
        return self.tables.backoff

    def scan_pages(
        self, model: Model, condition: Condition | None, start: Key | None, page_size: int, *, sized: bool = False
    ) -> Iterator[Page]:
        """The table in scan order (stable for a given table), page by page, from after `start`."""
        cls = self.tables.model_class(model.name)
        pages = cls.scan(filter_condition=condition, last_evaluated_key=start, page_size=page_size).page_iter
        return self._pages(model, pages, sized)

    def index_pages(
        self,
        model: Model,
        field: Field,
        value: Any,
        condition: Condition | None,
        start: Key | None,
        page_size: int,
        *,
        sized: bool = False,
    ) -> Iterator[Page]:
        """The records whose indexed `field` equals `value`, through its index, page by page."""
        key = index_key(field, value)
        if not key_fits(key):
            return iter(())  # too long to have been stored (see `indexed`)
        cls = self.tables.model_class(model.name)
        index = getattr(cls, f"index_{field.name}")
        pages = index.query(key, filter_condition=condition, last_evaluated_key=start, page_size=page_size).page_iter
        return self._pages(model, pages, sized)

    def sorted_pages(
        self,
        model: Model,
        number: int,
        partition: str,
        bounds: tuple[str | None, str | None],
        forward: bool,
        page_size: int,
    ) -> Iterator[Page]:
        """One partition of the model's `number`th ordered index (store/sorted_keys.py), its range
        keys within the inclusive `bounds` (None for an open end), forward or backward, page by page."""
        if not key_fits(partition):
            return iter(())  # too long to have been stored
        cls = self.tables.model_class(model.name)
        index = getattr(cls, f"sorted_{number}")
        position = type(index).position
        low, high = bounds
        condition: Condition | None = None
        if low is not None and high is not None:
            condition = position.between(low, high)
        elif low is not None:
            condition = position >= low
        elif high is not None:
            condition = position <= high
        query = index.query(partition, range_key_condition=condition, scan_index_forward=forward, page_size=page_size)
        return self._pages(model, query.page_iter)

    def related_pages(self, field: Field, record_id: str, after: str | None, page_size: int) -> Iterator[Page]:
        """The records related to `record_id` through the to-many `field`, in id order, after the id
        `after`, page by page: a Query of the inverse pointer's index (whole records), or of the
        edges, each page's records then read by id. The Query has no filter: DynamoDB refuses one
        on the index's keys (the pointer, the id), and a filter would not lower what a read costs.
        A read through an index is eventually consistent (see store/edges.py)."""
        assert field.relation is not None
        if field.relation.storage is Storage.CHILDREN:
            target = self.tables.registry.model(field.type_name)
            assert field.relation.inverse is not None
            cls = self.tables.model_class(target.name)
            index = getattr(cls, f"link_{field.relation.inverse}")
            after_condition = None if after is None else type(index).record_id > after
            pages = index.query(record_id, range_key_condition=after_condition, page_size=page_size).page_iter
            yield from self._pages(target, pages)
            return
        while True:
            found = edges.page(self.tables, field, record_id, after, page_size)
            records = self.batch_get_linked(field, found.ids)
            last = found.ids[-1] if found.more and found.ids else None
            yield Page([records[i] for i in found.ids if i in records], _id_key(last), found.scanned)
            if last is None:
                return
            after = last

    def linked(self, field: Field, record_id: str, other_id: str) -> bool:
        """Whether the edge of `field` between the two records is stored: one GetItem."""
        edge = edges.item(self.tables, field, record_id, other_id)
        try:
            self.tables.edge.get(edge.source, edge.target_id, consistent_read=True)
        except self.tables.edge.DoesNotExist:
            return False
        return True

    def _pages(self, model: Model, pages: Iterator[Any], sized: bool = False) -> Iterator[Page]:
        for page in pages:
            items = page.get("Items", ())
            records = list(map(self._decoder(model), items))
            # Measured on the items as read: cheaper than serializing each record again (`size`).
            sizes = {raw["id"]["S"]: item_size(raw) for raw in items} if sized else {}
            yield Page(records, page.get("LastEvaluatedKey"), page["ScannedCount"], sizes)

    def _decoder(self, model: Model) -> Callable[[RawItem], Record]:
        """A record from an item of `model` as DynamoDB sends it: `to_record` of PynamoDB's instance."""
        decoder = self._decoders.get(model.name)
        if decoder is None:
            cls = self.tables.model_class(model.name)
            plain = plain_decoder(model, cls)
            decoder = self._decoders[model.name] = plain or (lambda raw: to_record(model, cls.from_raw_data(raw)))
        return decoder

    def write(self, changes: Changes) -> Record | None:
        """Commit a mutation's changes in one transaction (a lone write in one plain call). A lone
        update returns its record as it now stands."""
        try:
            item = self.transaction(changes).commit()
        except ConditionFailed as failure:
            if any(m.name == failure.label.model and r["id"] == failure.label.record_id for m, r in changes.puts):
                # A new record's id is 128 random bits: finding it taken means this very write landed,
                # its reply was lost, and the resend was refused. All of it landed (one transaction).
                return None
            raise
        if item is None:
            return None
        (update,) = changes.updates.values()
        return to_record(update.model, item)

    def transaction(self, changes: Changes) -> Transaction:
        """A mutation's changes as one transaction, not yet sent: `write` commits it, bulk writes
        send several together.

        New records come with their unique guards; updates and deletes hold only if their record
        still exists at the version read and the client's conditions still hold.
        """
        transaction = Transaction(self.tables.connection, self._counter)
        for model, record in changes.puts:
            self._put(transaction, model, record)
        for update in changes.updates.values():
            self._update(transaction, update)
        for delete in changes.deletes.values():
            self._delete(transaction, delete)
        for edge, linked in changes.edges.values():
            self._edge(transaction, edge, linked)
        for key, expires in changes.spend.items():
            # Beside the throttle windows: short-lived markers that DynamoDB's TTL removes.
            marker = self.tables.throttle(key=key, ttl=expires)
            transaction.put(marker, key, ThrottleBase.key.does_not_exist(), Label(SPENT, record_id=key))
        for work in changes.objects.values():
            # Recorded with the write, so that the bucket work is done even if the request is not.
            pending = object_work.item(self.tables, work)
            transaction.put(pending, pending.key, None, Label(object_work.LABEL, record_id=work.key))
        for (_, record_id), (model, version) in changes.checks.items():
            if (model.name, record_id) in changes.updates or (model.name, record_id) in changes.deletes:
                continue
            cls = self.tables.model_class(model.name)
            label = Label(model.name, record_id=record_id)
            condition = Path("id").exists() if version is None else _version_is(version)
            transaction.check(cls(record_id), record_id, condition, label)
        return transaction

    def _counter(self, key: str) -> PynamoModel:
        return self.tables.counter(key=key)

    def _put(self, transaction: Transaction, model: Model, record: Record) -> None:
        transaction.count(counters.deltas(model, None, record))
        cls = self.tables.model_class(model.name)
        label = Label(model.name, record_id=record["id"])
        item = to_item(cls, model, {**record, VERSION: 1})
        transaction.put(item, record["id"], Path("id").does_not_exist(), label)
        for field in model.unique_fields():
            if not field.is_id and record.get(field.name) is not None:
                self._claim(transaction, model, field, record.get(field.name), record["id"])

    def _update(self, transaction: Transaction, update: Update) -> None:
        model = update.model
        cls = self.tables.model_class(model.name)
        condition, actions, carried = self._alike.built(cls, update, lambda: _built(cls, update))
        indexed_actions = _sorted_actions(cls, update)
        if indexed_actions:
            # An ordered index's keys name the record: these actions are the record's own.
            actions, carried = actions + indexed_actions, carried + carried_bytes(indexed_actions)
        label = Label(model.name, record_id=update.record_id)
        if update.current is not None:
            transaction.count(counters.deltas(model, update.current, {**update.current, **update.assign}))
        transaction.update(cls(update.record_id), update.record_id, actions, condition, label, carried)
        for name, value in update.claim.items():
            self._claim(transaction, model, model.fields[name], value, update.record_id)
        for name, value in update.release.items():
            self._release(transaction, model, model.fields[name], value, update.record_id)

    def _delete(self, transaction: Transaction, delete: Delete) -> None:
        model, record = delete.model, delete.record
        cls = self.tables.model_class(model.name)
        condition = EXISTS & _version_is(record.get(VERSION) or 0)
        if delete.condition is not None and delete.condition != EXISTS:
            condition &= delete.condition
        transaction.delete(cls(record["id"]), record["id"], condition, Label(model.name, record_id=record["id"]))
        transaction.count(counters.deltas(model, record, None))
        for field in model.unique_fields():
            if not field.is_id and record.get(field.name) is not None:
                self._release(transaction, model, field, record[field.name], record["id"])
        if leaves_links(self.tables.registry, model):
            key = cleanup_key(model, record["id"])
            pending = self.tables.cleanup(key=key, deleted=int(time.time()))
            transaction.put(pending, key, None, Label(model.name, record_id=record["id"]))

    def _edge(self, transaction: Transaction, edge: Edge, linked: bool) -> None:
        item = edges.item(self.tables, edge.field, edge.record_id, edge.other_id)
        label = Label(edge.field.type_name, edge.field.name, record_id=edge.record_id)
        if linked:
            transaction.put(item, edges.item_key(item), None, label)
        else:
            transaction.delete(item, edges.item_key(item), None, label)

    def _claim(self, transaction: Transaction, model: Model, field: Field, value: Any, owner: str) -> None:
        key = guard_key(model, field, value)
        guard = self.tables.guard(key=key, owner=owner)
        transaction.put(guard, key, GuardBase.key.does_not_exist(), Label(model.name, field.name))

    def _release(self, transaction: Transaction, model: Model, field: Field, value: Any, owner: str) -> None:
        key = guard_key(model, field, value)
        label = Label(model.name, field.name, record_id=owner)
        transaction.delete(self.tables.guard(key=key), key, GuardBase.owner == owner, label)


def guard_key(model: Model, field: Field, value: Any) -> str:
    return f"{model.store_name}#{field.store_name}#{index_key(field, value)}"


def indexed(model: Model, field: Field, value: Any) -> str:
    """The index key of `value`, to be written: KeyTooLarge if it, or for a unique field its guard's
    longer key, is past DynamoDB's partition key limit, which would refuse the write."""
    key = index_key(field, value)
    longest = guard_key(model, field, value) if field.unique else key
    check_key(model.name, field.name, longest)
    return key


def _version_is(version: int) -> Condition:
    path = Path(VERSION)
    return path.does_not_exist() if not version else path == {"N": str(version)}


def _built(cls: type[PynamoModel], update: Update) -> Built:
    """An update's condition (its record exists, at the version read, with the values expected, and
    the client's conditions hold) and its actions, but for an ordered index's keys."""
    model = update.model
    condition = EXISTS
    if update.version is not None:
        condition &= _version_is(update.version)
    for name, value in update.expect.items():
        path = Path(model.fields[name].store_name)
        condition &= path.does_not_exist() if value is None else path == serialize(model.fields[name], value)
    if update.condition is not None and update.condition != EXISTS:
        condition &= update.condition
    actions = _actions(cls, update)
    return condition, actions, carried_bytes(actions)


def _actions(cls: type[PynamoModel], update: Update) -> list[Action]:
    """The update expression: assignments, atomic appends, and a version bump."""
    model = update.model
    actions: list[Action] = [Path(VERSION).add({"N": "1"})]
    for name, value in update.assign.items():
        field = model.fields[name]
        path = Path(getattr(cls, python_name(field)))
        actions.append(path.remove() if value is None else path.set(value))
        if field.unique or field.indexed:
            index = Path(index_attribute_name(field))
            actions.append(index.remove() if value is None else index.set({"S": indexed(model, field, value)}))
    for name, values in update.push.items():
        path = Path(getattr(cls, python_name(model.fields[name])))
        actions.append(path.set((path | []).append(values)))
    actions.extend(getattr(cls, name).remove() for name in sorted(update.remove))
    return actions


def needs_current(update: Update) -> bool:
    """Whether the update sets some of an ordered index's `fields`: the record must be read first
    (and the write hold its version), for the counters to move from its old value, and for the new
    key when the update sets some, not all, of them."""
    return bool(update.model.sorted_indexes) and not update.model.counted_fields.isdisjoint(update.assign)


def _sorted_actions(cls: type[PynamoModel], update: Update) -> list[Action]:
    """The ordered indexes' keys an update changes (see store/sorted_keys.py)."""
    model = update.model
    actions: list[Action] = []
    for number, index in enumerate(model.sorted_indexes):
        if index.fields and update.assign.keys() & set(index.fields):
            if needs_current(update) and update.current is None:
                raise RuntimeError(f"{model.name}: an update of {index.label}'s fields was planned without a read")
            known = {**(update.current or {}), **update.assign, "id": update.record_id}
            key = _checked(model, index, sorted_keys.hash_key(model, index, known))
            path = Path(getattr(cls, f"sorted_{number}_hash"))
            actions.append(path.remove() if key is None else path.set({"S": key}))
        if index.sort_by in update.assign:
            position = sorted_keys.range_key(model, index, update.assign[index.sort_by], update.record_id)
            path = Path(getattr(cls, f"sorted_{number}_range"))
            actions.append(path.set({"S": _checked(model, index, position, sort=True)}))
    return actions


def sorted_attributes(model: Model, record: Record) -> dict[str, str]:
    """The ordered indexes' keys of a whole record, by python attribute name (see `to_item`)."""
    values: dict[str, str] = {}
    for number, index in enumerate(model.sorted_indexes):
        key = _checked(model, index, sorted_keys.hash_key(model, index, record))
        if key is not None:
            values[f"sorted_{number}_hash"] = key
        position = sorted_keys.range_key(model, index, record.get(index.sort_by), record["id"])
        _checked(model, index, position, sort=True)
        values[f"sorted_{number}_range"] = position
    return values


def _checked(model: Model, index: SortedIndex, key: str | None, *, sort: bool = False) -> str | None:
    if key is not None:
        name = index.sort_by if sort else ",".join(index.fields)
        check_key(model.name, name, key, MAX_SORT_KEY_BYTES if sort else MAX_PARTITION_KEY_BYTES)
    return key


def to_item(cls: type[PynamoModel], model: Model, record: Record) -> PynamoModel:
    values: dict[str, Any] = {VERSION_ATTRIBUTE: record.get(VERSION)}
    for field in model.stored_fields():
        value = record.get(field.name)
        if value is None:
            continue
        values[python_name(field)] = value
        if not field.is_id and (field.unique or field.indexed):
            values[index_attribute_name(field)] = indexed(model, field, value)
    values.update(sorted_attributes(model, record))
    return cls(**values)


def to_record(model: Model, item: PynamoModel) -> Record:
    """A record as its item stores it: its scalars and to-one ids; a to-many is read on its own."""
    record = {field.name: getattr(item, python_name(field)) for field in model.stored_fields()}
    record[VERSION] = getattr(item, VERSION_ATTRIBUTE)
    return record


def leaves_links(registry: Registry, model: Model) -> bool:
    """Whether deleting a record of `model` can leave links to it stored elsewhere, for the cleanup
    job: children pointing at it (its CHILDREN fields), and edges from or to it."""
    if any(f.storage in (Storage.CHILDREN, Storage.EDGES) for f in model.relations()):
        return True
    return any(f.storage is Storage.EDGES and model in registry.targets(f) for m in registry for f in m.relations())


def linked_model(registry: Registry, field: Field, record_id: str) -> Model | None:
    """The model of the record `record_id` linked through `field`: the field's type, or for an
    interface or union the member the id names (None for an id of no member)."""
    if not registry.polymorphic(field):
        return registry.model(field.type_name)
    try:
        name = ids.model_of(record_id)
    except ApiError:
        return None
    return next((m for m in registry.targets(field) if m.name == name), None)


def cleanup_key(model: Model, record_id: str) -> str:
    return f"{model.name}#{record_id}"


def _id_key(record_id: str | None) -> Key | None:
    return None if record_id is None else {"id": {"S": record_id}}
