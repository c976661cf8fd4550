"""Bringing stored records to the schema, one record at a time: what each needs (`examine`) and
writing it (`Backfill`), safely while the API writes the same records.

A record's item is brought to what `to_item` would write for it now: its shadow keys (index keys
of `@unique` / `@index` fields, ordered index keys) set where they differ, the `@default` of a
field made required filled in where it is null, and the value of a retyped field stored as its new
type (migrations/conversions.py). Shadow keys the schema no longer has are left in the item: the
old schema's server reads through their indexes until the switch, and once the index is deleted
they are inert. Only
those attributes are written, in an update conditioned on the record's version (`_v`) being the
one read: a write of the record in between (a mutation, the cleanup job) makes it fail, and the
record is read again and examined afresh, so nothing a concurrent write changed is lost. A page's
updates and guards go together, up to 100 items a TransactWriteItems (fewer round trips than one
call each); a transaction DynamoDB cancels is done again record by record. Filling in a default
or converting a value changes a field, so it bumps the version, as every write of a field does;
shadow keys alone do not (they change nothing a mutation reads).

A unique guard is put on condition that no guard of that value exists, or that it is already the
record's. When another record's guard is there, that record is read: if it still holds the value,
the two share it (a blocker, naming both); if not, the guard is stale (the record changed the
value meanwhile, under a schema that kept no guards for it) and is taken over, on condition that
it is still that record's.

Every step is idempotent: a record already brought to the schema is read and left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.schema.registry import Field, Model
from chalicelib.store import batch, sorted_keys
from chalicelib.store.attributes import INDEX_KEY_PREFIX
from chalicelib.store.changes import VERSION
from chalicelib.store.edges import item as edge_item
from chalicelib.store.edges import item_key as edge_key
from chalicelib.store.limits import MAX_TRANSACTION_ITEMS
from chalicelib.store.record import Record
from chalicelib.store.records import guard_key, to_item, to_record
from chalicelib.store.sizes import ItemTooLarge
from chalicelib.store.tables import EdgeBase, Tables
from tooling.migrations import links, scans
from tooling.migrations.changes import ModelChange
from tooling.migrations.conversions import converted

# Attributes derived from a record's values (store/attributes.py, store/sorted_keys.py).
DERIVED = (INDEX_KEY_PREFIX, sorted_keys.HASH_PREFIX, sorted_keys.RANGE_PREFIX)
# Items read per Scan page: the page's writes are done, and the scan's position recorded, before
# the next page is read.
PAGE = 100
# Writes of one record, changed meanwhile each time, before it is reported and left alone.
ATTEMPTS = 5

RawItem = dict[str, Any]


@dataclass
class Examined:
    """What one record needs: attributes to set, guards (field, key) it must own, and what blocks
    it (then nothing is to be written)."""

    record_id: str
    version: int
    record: Record
    assign: RawItem = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)
    # Links carried over to edges (a relation stored another way, migrations/links.py).
    edges: list[EdgeBase] = field(default_factory=list)
    guards: list[tuple[Field, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Whether a field's value changes (a default filled in): the write bumps the version.
    changes_value: bool = False

    @property
    def writes(self) -> bool:
        return bool(self.assign or self.remove or self.edges)

    @property
    def updates(self) -> bool:
        """Whether the record's own item is written (else its edges hold on to its version)."""
        return bool(self.assign or self.remove)


def examine(tables: Tables, change: ModelChange, raw: RawItem) -> Examined:
    model = change.model
    cls = tables.model_class(model.name)
    record_id = raw["id"]["S"]
    version = int(raw[VERSION]["N"]) if VERSION in raw else 0
    values, problems = _converted(tables, change, raw)
    if problems:
        return Examined(record_id, version, {}, problems=problems)
    retyped = {field.store_name for field in change.converted}
    record = to_record(model, cls.from_raw_data({k: v for k, v in raw.items() if k not in retyped}))
    record.update(values)
    examined = Examined(record_id, version, record)
    pointers = _relink(tables, change, raw, examined)
    for required in change.required:
        if record.get(required.name) is None:
            named = _named(model, record_id)
            examined.problems.append(f"{model.name}.{required.name} is required, and {named} has none")
    filled = []
    for default in change.defaults:
        if record.get(default.name) is None:
            record[default.name] = default.default
            filled.append(default)
    try:
        expected = to_item(cls, model, record).serialize()
    except ItemTooLarge as error:
        examined.problems.append(f"{_named(model, record_id)}: {error}")
    if examined.problems:
        return examined
    for changed in [*filled, *change.converted, *pointers]:
        name = changed.store_name
        if name in expected and raw.get(name) != expected[name]:
            examined.assign[name] = expected[name]
            examined.changes_value = True
        elif name not in expected and name in raw and changed in pointers:
            examined.remove.append(name)  # a to-one left with no link: a pointer of an earlier schema
            examined.changes_value = True
    for name, stored in expected.items():
        if name.startswith(DERIVED) and raw.get(name) != stored:
            examined.assign[name] = stored
    # A key of the schema's indexes that the record's values no longer give: left by an earlier
    # schema's index of the same name (removed, its keys inert, then declared again).
    keys = {a.attr_name for a in cls.get_attributes().values() if a.attr_name.startswith(DERIVED)}
    examined.remove += sorted(name for name in keys - expected.keys() if name in raw)
    for unique in change.guards:
        value = record.get(unique.name)
        if value is not None:
            examined.guards.append((unique, guard_key(model, unique, value)))
    return examined


def _relink(tables: Tables, change: ModelChange, raw: RawItem, examined: Examined) -> list[Field]:
    """The record's links of relations stored another way, carried over (migrations/links.py):
    edges to put, or for a to-one its pointer set in `examined.record`, which are returned; more
    than one link of a to-one blocks."""
    pointers = []
    for relink in change.relinked:
        linked = links.stored(tables, relink, examined.record_id, raw)
        if not relink.to_one:
            for other in linked:
                ends = (other, examined.record_id) if relink.reverse else (examined.record_id, other)
                examined.edges.append(edge_item(tables, relink.field, *ends))
        elif len(linked) > 1:
            shown = ", ".join(linked[:3]) + (", ..." if len(linked) > 3 else "")
            examined.problems.append(
                f"{relink.owner}.{relink.field.name}: a to-one now, and {_named(change.model, examined.record_id)}"
                f" has {len(linked)}{'+' if len(linked) == links.MOST else ''} links ({shown}): unlink all but one"
            )
        else:
            examined.record[relink.field.name] = linked[0] if linked else None
            pointers.append(relink.field)
    return pointers


def _converted(tables: Tables, change: ModelChange, raw: RawItem) -> tuple[Record, list[str]]:
    """The values of retyped fields as their new types read them (migrations/conversions.py), and
    those that do not convert, in words."""
    model = change.model
    values: Record = {}
    problems = []
    for retyped in change.converted:
        stored = raw.get(retyped.store_name)
        if stored is None or "NULL" in stored:
            continue
        try:
            values[retyped.name] = converted(tables.registry, model, retyped, stored)
        except ValueError:
            shown = next(iter(stored.values()))
            problems.append(
                f"{model.name}.{retyped.name}: {_named(model, raw['id']['S'])} holds {shown!r}, which does not"
                f" convert to {'a list of ' if retyped.is_list else ''}{retyped.type_name}"
            )
    return values, problems


def _named(model: Model, record_id: str) -> str:
    return f"{model.name} {record_id}"


@dataclass
class Tally:
    """What a backfill did."""

    examined: int = 0
    written: int = 0
    guards: int = 0
    links: int = 0  # edges put, carrying links over
    problems: list[str] = field(default_factory=list)

    def count(self, examined: Examined, *, guards: bool = True) -> None:
        """What was written for `examined` (its guards too, unless they are counted one by one)."""
        self.written += examined.updates
        self.links += len(examined.edges)
        if guards:
            self.guards += len(examined.guards)


class Backfill:
    """The records of one model brought to the schema, page by page."""

    def __init__(self, tables: Tables, change: ModelChange) -> None:
        self.tables = tables
        self.change = change
        self.client = tables.connection.client
        self.table = tables.model_class(change.model.name).Meta.table_name
        self.guard_table = tables.guard.Meta.table_name

    def pages(self, start: RawItem | None) -> Iterator[tuple[list[RawItem], RawItem | None]]:
        """The table's items, read consistently, page by page from after `start`, each with the key
        to resume after it (None at the end)."""
        return scans.pages(self.client, self.table, PAGE, start)

    def page(self, items: list[RawItem], tally: Tally) -> None:
        """Bring one page of records to the schema: their writes together, in transactions of up to
        100 items, each record's update with its guards; a transaction DynamoDB cancels (a record
        changed since it was read, a guard held by another record) is done again record by record,
        each read again where it changed."""
        examined = [examine(self.tables, self.change, raw) for raw in items]
        tally.examined += len(examined)
        owners = guard_owners(self.tables, [key for e in examined for _, key in e.guards])
        chunk: list[Examined] = []
        alone: list[Examined] = []
        keys: set[str] = set()
        size = 0  # the chunk's actions
        for record in examined:
            if record.problems:
                tally.problems += record.problems
                continue
            record.guards = [(unique, key) for unique, key in record.guards if owners.get(key) != record.record_id]
            actions = len(self._actions(record)) + len(record.guards)
            claimed = {key for _, key in record.guards} | {edge_key(e) for e in record.edges}
            if not actions:
                continue
            if claimed & keys:
                # Two records of the page claim one value (or one edge, of a relation that is its own
                # inverse): one item twice in a transaction is refused.
                alone.append(record)
                continue
            if size + actions > MAX_TRANSACTION_ITEMS:
                self._together(chunk, tally)
                chunk, keys, size = [], set(), 0
            chunk.append(record)
            keys |= claimed
            size += actions
        self._together(chunk, tally)
        for record in alone:
            self._alone(record, tally)

    def record(self, raw: RawItem, tally: Tally) -> None:
        """Bring one record to the schema, on its own."""
        tally.examined += 1
        self._alone(examine(self.tables, self.change, raw), tally)

    def _together(self, chunk: list[Examined], tally: Tally) -> None:
        if not chunk:
            return
        actions = []
        for record in chunk:
            actions += self._actions(record)
            actions += [
                {"Put": {"TableName": self.guard_table, **_guard_params(key, record.record_id, None)}}
                for _, key in record.guards
            ]
        try:
            self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if _code(error) not in ("TransactionCanceledException", "TransactionConflictException"):
                raise
            for record in chunk:
                self._alone(record, tally)
            return
        for record in chunk:
            tally.count(record)

    def _alone(self, examined: Examined, tally: Tally) -> None:
        """Write one record's update, reading it again while it changes under the write, then its
        guards one by one."""
        for _ in range(ATTEMPTS):
            if examined.problems:
                tally.problems += examined.problems
                return
            if not examined.writes or self._update(examined):
                break
            raw = self._read(examined.record_id)
            if raw is None:
                return  # deleted meanwhile: nothing to bring
            examined = examine(self.tables, self.change, raw)
        else:
            tally.problems.append(f"{_named(self.change.model, examined.record_id)} kept changing: run again")
            return
        tally.count(examined, guards=False)
        for unique, key in examined.guards:
            problem = self._claim(unique, key, examined)
            if problem is None:
                tally.guards += 1
            else:
                tally.problems.append(problem)

    def _actions(self, examined: Examined) -> list[dict[str, Any]]:
        """The transaction's actions of what the record needs but its guards: its update, and the
        edges its links are carried over to, written only if its version is still the one read
        (a ConditionCheck where the item itself is not written)."""
        if not examined.writes:
            return []
        params = self._update_params(examined)
        if examined.updates:
            actions = [{"Update": {"TableName": self.table, **params}}]
        else:
            check = {k: v for k, v in params.items() if k != "UpdateExpression"}
            actions = [{"ConditionCheck": {"TableName": self.table, **check}}]
        table = self.tables.edge.Meta.table_name
        return actions + [{"Put": {"TableName": table, "Item": edge.serialize()}} for edge in examined.edges]

    def _update(self, examined: Examined) -> bool:
        """Write what the record needs, if its version is still the one read; whether it was."""
        try:
            if examined.edges:
                self.client.transact_write_items(TransactItems=self._actions(examined))
            else:
                self.client.update_item(TableName=self.table, **self._update_params(examined))
        except ClientError as error:
            if _code(error) in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                return False
            raise
        return True

    def _update_params(self, examined: Examined) -> dict[str, Any]:
        """The UpdateItem of what the record needs, on condition that its version is the one read."""
        names: dict[str, str] = {"#v": VERSION, "#id": "id"}
        values: dict[str, Any] = {}
        sets = []
        for number, (name, value) in enumerate(examined.assign.items()):
            names[f"#a{number}"], values[f":a{number}"] = name, value
            sets.append(f"#a{number} = :a{number}")
        expression = "SET " + ", ".join(sets) if sets else ""
        if examined.remove:
            names.update({f"#r{number}": name for number, name in enumerate(examined.remove)})
            expression += " REMOVE " + ", ".join(f"#r{number}" for number in range(len(examined.remove)))
        if examined.changes_value:
            expression += " ADD #v :one"
            values[":one"] = {"N": "1"}
        if examined.version:
            condition = "attribute_exists(#id) AND #v = :read"
            values[":read"] = {"N": str(examined.version)}
        else:
            condition = "attribute_exists(#id) AND attribute_not_exists(#v)"
        return {
            "Key": {"id": {"S": examined.record_id}},
            "UpdateExpression": expression.strip(),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            **({"ExpressionAttributeValues": values} if values else {}),
        }

    def _read(self, record_id: str) -> RawItem | None:
        item: RawItem | None = self.client.get_item(
            TableName=self.table, Key={"id": {"S": record_id}}, ConsistentRead=True
        ).get("Item")
        return item

    def _claim(self, unique: Field, key: str, examined: Examined) -> str | None:
        """Own the guard `key` for the record; what blocks it, if another record holds the value."""
        model, owner = self.change.model, examined.record_id
        expected: str | None = None  # None: no guard, or the record's own; else the owner found
        for _ in range(ATTEMPTS):
            if self._put_guard(key, owner, expected):
                return None
            guard = self.client.get_item(TableName=self.guard_table, Key={"key": {"S": key}}, ConsistentRead=True).get(
                "Item"
            )
            if guard is None:
                expected = None
                continue
            other = guard["owner"]["S"]
            holder = self._read(other)
            if holder is not None:
                held = to_record(model, self.tables.model_class(model.name).from_raw_data(holder)).get(unique.name)
                if held is not None and guard_key(model, unique, held) == key:
                    value = examined.record[unique.name]
                    return (
                        f"{model.name}.{unique.name}: @unique, but {value!r} is held by"
                        f" {_named(model, other)} and {_named(model, owner)}"
                    )
            # Stale: its record is gone, or holds another value now.
            expected = other
        return f"{_named(model, owner)}: the guard of its {unique.name} kept changing: run again"

    def _put_guard(self, key: str, owner: str, expected: str | None) -> bool:
        """Put the guard of `key` for `owner` (see `_guard_params`); whether it was put."""
        try:
            self.client.put_item(TableName=self.guard_table, **_guard_params(key, owner, expected))
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True


def guard_owners(tables: Tables, keys: list[str]) -> dict[str, str]:
    """The owner of each guard of `keys` that exists (a re-run finds most of them there): one
    BatchGetItem per 100 keys."""
    requests = [{"key": {"S": key}} for key in dict.fromkeys(keys)]
    found = batch.batch_get(tables.connection.client, tables.guard.Meta.table_name, requests, tables.backoff)
    return {item["key"]["S"]: item["owner"]["S"] for item in found}


def _guard_params(key: str, owner: str, expected: str | None) -> dict[str, Any]:
    """The PutItem of the guard of `key` for `owner`, if there is none or it is `owner`'s already,
    or with `expected`, if it is that record's."""
    if expected is None:
        condition, values = "attribute_not_exists(#k) OR #o = :owner", {":owner": {"S": owner}}
    else:
        condition, values = "#o = :expected", {":expected": {"S": expected}}
    names = {"#o": "owner", **({"#k": "key"} if "#k" in condition else {})}
    return {
        "Item": {"key": {"S": key}, "owner": {"S": owner}},
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _code(error: ClientError) -> Any:
    return error.response.get("Error", {}).get("Code")
