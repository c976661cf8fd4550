"""What a schema changes in the records a stage stores: the stage's layout (what its last
migration recorded) against the schema's, model by model.

For each model, what its records need: shadow keys recomputed (an `@unique` / `@index` field or
an ordered index added, removed or retyped), unique guards written (a field made `@unique`),
`@default`s filled in (a field made required), counters computed (a type-level `@index` added);
and what may block it: records lacking a field made required without a default, values of a
retyped field the new type does not read, links held by a relation whose storage changes.

A stage that records no layout (its tables predate migrations, or were made by CloudFormation)
is taken as unknown: every model's keys, guards, defaults and counters are verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.schema.layout import Layout, edge_keys, layout
from chalicelib.schema.registry import Field, Model, Registry
from chalicelib.store import counters

# The counted `fields` of a model's ordered indexes; `()` stands for the model's total.
Counted = tuple[str, ...]
TOTAL: Counted = ()


@dataclass(frozen=True)
class Relink:
    """A relation whose links are stored another way under the schema (between to-one and to-many):
    links stored the old way would be dropped from view. They are in `table`'s records holding
    `attribute` (a pointer), or in the edges under `edge_key`."""

    field: Field
    was: str  # the old storage, in words
    table: str | None = None
    attribute: str | None = None
    edge_key: str | None = None


@dataclass(frozen=True)
class ModelChange:
    model: Model
    keys: bool = False  # shadow keys to recompute
    guards: tuple[Field, ...] = ()  # unique fields whose guards to write
    defaults: tuple[Field, ...] = ()  # required fields to fill with their @default where null
    required: tuple[Field, ...] = ()  # required fields without a default: a record lacking one blocks
    converted: tuple[Field, ...] = ()  # fields whose stored type changed: values checked
    relinked: tuple[Relink, ...] = ()  # relations stored another way: stored links block
    counted: tuple[Counted, ...] = ()  # counters to compute from the records

    @property
    def writes(self) -> bool:
        """Whether records may be written: keys, guards or defaults."""
        return self.keys or bool(self.guards or self.defaults)

    @property
    def checks(self) -> bool:
        """Whether records must be read to know if the change can be made at all."""
        return bool(self.guards or self.required or self.converted or self.relinked)

    def parts(self) -> list[str]:
        """What the change does to each record, in words."""
        words = []
        if self.keys:
            words.append("index keys")
        if self.guards:
            words.append("unique guards of " + ", ".join(f.name for f in self.guards))
        if self.defaults:
            words.append("defaults of " + ", ".join(f.name for f in self.defaults))
        if self.required:
            words.append("a value of " + ", ".join(f.name for f in self.required) + " (required)")
        if self.converted:
            words.append("values of " + ", ".join(f.name for f in self.converted) + " converted to their new type")
        if self.relinked:
            words.append("no link stored as " + ", ".join(f"{r.field.name} was" for r in self.relinked))
        return words

    def counters_of(self, record: dict[str, Any]) -> list[str]:
        """The counters to compute that `record` is counted in (see store/counters.py)."""
        found = []
        for fields in self.counted:
            if fields == TOTAL:
                found.append(counters.total(self.model))
                continue
            found += [
                key
                for key in counters.counters_of(self.model, record)
                if key.startswith(counters.of_value(self.model, fields, ""))
            ]
        return found


@dataclass(frozen=True)
class Changes:
    models: list[ModelChange]
    # Models of the stage's layout the schema no longer has: their tables and links are kept.
    removed: list[str]
    # Whether guard items of fields no longer unique (or of removed models) may be stored.
    stale_guards: bool
    # Whether counter items the schema no longer keeps may be stored.
    stale_counters: bool
    # Edge keys of relations the schema no longer has: their links are kept.
    retired: frozenset[str] = frozenset()


def changes(registry: Registry, stored: Layout | None) -> Changes:
    target = layout(registry)
    if stored is None:
        return Changes([_unknown(model) for model in registry], [], True, True)
    found, removed = [], []
    stale_guards = stale_counters = False
    for model in registry:
        before = stored["models"].get(model.name)
        if before is None:
            found.append(_unknown(model))
        else:
            found.append(_model(model, before, target["models"][model.name], stored))
    for name, before in stored["models"].items():
        after = target["models"].get(name)
        if after is None:
            removed.append(name)
        if _guarded(before) - _guarded(after):
            stale_guards = True
        if _counted(before) - _counted(after):
            stale_counters = True
    return Changes(found, removed, stale_guards, stale_counters, frozenset(edge_keys(stored) - edge_keys(target)))


def _unknown(model: Model) -> ModelChange:
    """Everything a record of `model` needs, verified."""
    return ModelChange(
        model,
        keys=any(model.indexed_fields()) or bool(model.sorted_indexes),
        guards=tuple(f for f in model.indexed_fields() if f.unique),
        defaults=tuple(f for f in model.stored_fields() if f.required and f.has_default),
        required=tuple(f for f in model.stored_fields() if _must_hold(f)),
        counted=_counted_fields(model),
    )


def _model(model: Model, before: dict[str, Any], after: dict[str, Any], stored: Layout) -> ModelChange:
    by_store = {f.store_name: f for f in model.fields.values()}
    old_fields: dict[str, Any] = before["fields"]
    # Keys of an index removed stay, inert (see migrations/backfill.py): only new ones are written.
    keys = bool(_keyed(after) - _keyed(before))
    guards, defaults, required, converted, relinked = [], [], [], [], []
    for store, described in after["fields"].items():
        field = by_store[store]
        old = old_fields.get(store)
        if field.unique and not field.is_id and (old is None or not old.get("unique") or _retyped(old, described)):
            guards.append(field)
        newly_required = field.required and (old is None or not old.get("required"))
        if newly_required and field.stored and field.has_default:
            defaults.append(field)
        elif newly_required and _must_hold(field):
            required.append(field)
        if old is None:
            continue
        if old.get("storage") is not None and old.get("storage") != described.get("storage"):
            relinked.append(_relink(field, before, old, stored))
        elif field.stored and old.get("storage") is None and _retyped(old, described):
            converted.append(field)
    old_counted = _counted(before)
    counted = tuple(c for c in _counted_fields(model) if _signature(model, c) not in old_counted)
    return ModelChange(
        model,
        keys=keys,
        guards=tuple(guards),
        defaults=tuple(defaults),
        required=tuple(required),
        converted=tuple(converted),
        relinked=tuple(relinked),
        counted=counted,
    )


def _relink(field: Field, before: dict[str, Any], old: dict[str, Any], stored: Layout) -> Relink:
    """Where the links of `field` are, as the stage stores them (see `Storage`)."""
    storage = old["storage"]
    if storage == "pointer":
        return Relink(field, "a to-one", table=before["table"], attribute=field.store_name)
    if storage == "edges":
        return Relink(field, "a list stored as edges", edge_key=old["edge"])
    # A one-to-many: its links are the pointers of the records it lists.
    target = stored["models"].get(old["type"])
    table = None if target is None else target["table"]
    return Relink(field, "a one-to-many", table=table, attribute=old.get("inverse"))


def _must_hold(field: Field) -> bool:
    """Whether a stored record must hold a value of `field` (a restore's rule: lists may be absent,
    for an export leaves empty lists out; the id is the key)."""
    return field.required and field.stored and not field.is_id and not field.is_list and not field.has_default


def _retyped(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether stored values of the field may not be what the new type reads."""
    if (old.get("type"), old.get("kind"), old.get("list")) != (new.get("type"), new.get("kind"), new.get("list")):
        return True
    return bool(set(old.get("values", ())) - set(new.get("values", ())))


def _keyed(described: dict[str, Any]) -> set[Any]:
    """What a model's shadow keys are computed from: each indexed field and its type, each ordered
    index and the types of its fields."""
    fields = described["fields"]
    indexed = {(s, fields[s]["type"]) for s, f in fields.items() if f.get("unique") or f.get("indexed")}
    ordered = {
        (
            tuple(index["fields"]),
            index["sortBy"],
            index["shards"],
            tuple(fields[s]["type"] for s in (*index["fields"], index["sortBy"])),
        )
        for index in described["sorted"]
    }
    return indexed | ordered


def _guarded(described: dict[str, Any] | None) -> set[tuple[str, str, str]]:
    if described is None:
        return set()
    table = described["table"]
    return {(table, s, f["type"]) for s, f in described["fields"].items() if f.get("unique") and s != "id"}


def _counted(described: dict[str, Any] | None) -> set[Any]:
    """A model's counters, as stored: its total, and each counted `fields` (store names, types)."""
    if described is None or not described["sorted"]:
        return set()
    fields = described["fields"]
    found: set[Any] = {(described["table"], TOTAL, ())}
    for index in described["sorted"]:
        if index["fields"]:
            names = tuple(index["fields"])
            found.add((described["table"], names, tuple(fields[s]["type"] for s in names)))
    return found


def _counted_fields(model: Model) -> tuple[Counted, ...]:
    if not model.sorted_indexes:
        return ()
    return (TOTAL, *counters.counted_fields(model))


def _signature(model: Model, counted: Counted) -> Any:
    """`counted` as `_counted` describes it."""
    names = tuple(model.fields[name].store_name for name in counted)
    return model.store_name, names, tuple(model.fields[name].type_name for name in counted)
