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
from chalicelib.store.limits import MAX_TRANSACTION_ITEMS
from chalicelib.store.record import Record
from chalicelib.store.records import guard_key, to_item, to_record
from chalicelib.store.sizes import ItemTooLarge
from chalicelib.store.tables import Tables
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
    guards: list[tuple[Field, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Whether a field's value changes (a default filled in): the write bumps the version.
    changes_value: bool = False

    @property
    def writes(self) -> bool:
        return bool(self.assign)


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
    for pointer in change.relinked:
        if pointer.table == model.store_name and pointer.attribute in raw:
            examined.problems.append(
                f"{model.name}.{pointer.field.name}: {_named(model, record_id)} holds a link stored as {pointer.was},"
                " which the schema stores another way"
            )
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
    for changed in [*filled, *change.converted]:
        name = changed.store_name
        if name in expected and raw.get(name) != expected[name]:
            examined.assign[name] = expected[name]
            examined.changes_value = True
    for name, stored in expected.items():
        if name.startswith(DERIVED) and raw.get(name) != stored:
            examined.assign[name] = stored
    for unique in change.guards:
        value = record.get(unique.name)
        if value is not None:
            examined.guards.append((unique, guard_key(model, unique, value)))
    return examined


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
    problems: list[str] = field(default_factory=list)


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
        while True:
            params: dict[str, Any] = {"TableName": self.table, "Limit": PAGE, "ConsistentRead": True}
            if start is not None:
                params["ExclusiveStartKey"] = start
            page = self.client.scan(**params)
            start = page.get("LastEvaluatedKey")
            yield page.get("Items", []), start
            if start is None:
                return

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
        for record in examined:
            if record.problems:
                tally.problems += record.problems
                continue
            record.guards = [(unique, key) for unique, key in record.guards if owners.get(key) != record.record_id]
            actions = int(record.writes) + len(record.guards)
            claimed = {key for _, key in record.guards}
            if not actions:
                continue
            if claimed & keys:
                alone.append(record)  # two records of the page claim one value: one item twice is refused
                continue
            if sum(int(r.writes) + len(r.guards) for r in chunk) + actions > MAX_TRANSACTION_ITEMS:
                self._together(chunk, tally)
                chunk, keys = [], set()
            chunk.append(record)
            keys |= claimed
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
            if record.writes:
                actions.append({"Update": {"TableName": self.table, **self._update_params(record)}})
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
        tally.written += sum(1 for record in chunk if record.writes)
        tally.guards += sum(len(record.guards) for record in chunk)

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
        if examined.writes:
            tally.written += 1
        for unique, key in examined.guards:
            problem = self._claim(unique, key, examined)
            if problem is None:
                tally.guards += 1
            else:
                tally.problems.append(problem)

    def _update(self, examined: Examined) -> bool:
        """Write what the record needs, if its version is still the one read; whether it was."""
        try:
            self.client.update_item(TableName=self.table, **self._update_params(examined))
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
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
        expression = "SET " + ", ".join(sets)
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
