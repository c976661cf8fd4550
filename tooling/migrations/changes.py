"""What a schema changes in the records a stage stores: the stage's layout (what its last
migration recorded) against the schema's, model by model.

For each model, what its records need: shadow keys recomputed (an `@unique` / `@index` field or
an ordered index added, removed or retyped), unique guards written (a field made `@unique`),
`@default`s filled in (a field made required), counters computed (a type-level `@index` added);
links carried over where a relation is stored another way (between to-one and to-many,
migrations/links.py); and what may block it: records lacking a field made required without a
default, values of a retyped field the new type does not read, more than one link of a relation
made to-one.

A stage that records no layout (its tables predate migrations, or were made by CloudFormation)
is taken as unknown: every model's keys, guards, defaults and counters are verified.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.schema.layout import Layout, edge_keys, layout
from chalicelib.schema.registry import Field, Model, Registry, Storage
from chalicelib.store import counters

# The counted `fields` of a model's ordered indexes; `()` stands for the model's total.
Counted = tuple[str, ...]
TOTAL: Counted = ()


@dataclass(frozen=True)
class Relink:
    """A relation stored another way under the schema (between to-one and to-many), and where the
    records of the model whose change holds it find its links as the stage stores them:

    - `attribute`: a pointer in their own items, naming the other end (with `reverse`, the
      records are the other end of `field`, and the pointer names the record of `field`'s model);
    - `table`, `attribute`: the pointers of `table`'s records, read through that pointer's index;
    - `edge_key`: edges, the records at their source (or with `backward`, their target).

    `field` is the schema's field the links are written for: a pointer (a to-one now: at most one
    link a record) or edges."""

    field: Field
    owner: str  # the model of `field`
    was: str  # the old storage, in words
    attribute: str | None = None
    reverse: bool = False
    table: str | None = None
    edge_key: str | None = None
    backward: bool = False

    @property
    def to_one(self) -> bool:
        return self.field.storage is Storage.POINTER


@dataclass(frozen=True)
class ModelChange:
    model: Model
    keys: bool = False  # shadow keys to recompute
    guards: tuple[Field, ...] = ()  # unique fields whose guards to write
    defaults: tuple[Field, ...] = ()  # required fields to fill with their @default where null
    required: tuple[Field, ...] = ()  # required fields without a default: a record lacking one blocks
    converted: tuple[Field, ...] = ()  # fields whose stored type changed: values checked
    relinked: tuple[Relink, ...] = ()  # relations stored another way: links written the new way
    counted: tuple[Counted, ...] = ()  # counters to compute from the records

    @property
    def writes(self) -> bool:
        """Whether records may be written: keys, guards, defaults or links."""
        return self.keys or bool(self.guards or self.defaults or self.relinked)

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
        for relink in self.relinked:
            now = "its pointer" if relink.to_one else "edges"
            words.append(f"links of {relink.owner}.{relink.field.name} (was {relink.was}) as {now}")
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
    # Edge keys of relations stored another way now: their edges go after the switch.
    unlinked: frozenset[str] = frozenset()
    # Relations stored another way that cannot be carried over, in words.
    problems: tuple[str, ...] = ()


def changes(registry: Registry, stored: Layout | None) -> Changes:
    target = layout(registry)
    if stored is None:
        return Changes([_unknown(model) for model in registry], [], True, True)
    found, removed = [], []
    stale_guards = stale_counters = False
    relinks, unlinked, problems = _relinks(registry, stored)
    for model in registry:
        before = stored["models"].get(model.name)
        if before is None:
            found.append(_unknown(model))
        else:
            change = _model(model, before, target["models"][model.name])
            found.append(replace(change, relinked=tuple(relinks.get(model.name, ()))))
    for name, before in stored["models"].items():
        after = target["models"].get(name)
        if after is None:
            removed.append(name)
        if _guarded(before) - _guarded(after):
            stale_guards = True
        if _counted(before) - _counted(after):
            stale_counters = True
    gone = edge_keys(stored) - edge_keys(target)
    return Changes(
        found, removed, stale_guards, stale_counters, frozenset(gone - unlinked), frozenset(gone & unlinked), problems
    )


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


def _model(model: Model, before: dict[str, Any], after: dict[str, Any]) -> ModelChange:
    by_store = {f.store_name: f for f in model.fields.values()}
    old_fields: dict[str, Any] = before["fields"]
    # Keys of an index removed stay, inert (see migrations/backfill.py): only new ones are written.
    keys = bool(_keyed(after) - _keyed(before))
    guards, defaults, required, converted = [], [], [], []
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
        if field.stored and old.get("storage") is None and _retyped(old, described):
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
        counted=counted,
    )


def _relinks(registry: Registry, stored: Layout) -> tuple[dict[str, list[Relink]], set[str], tuple[str, ...]]:
    """The relations stored another way now, by the model whose records carry their links over; the
    edge keys whose edges they leave behind; and those that cannot be carried over.

    A to-one now (a pointer) gets its link from its record's edges, or from the records pointing
    at it (a one-to-many's children). A list stored as edges now gets them from the pointers that
    held its links (its own, or its inverse's children's), read once for each edge key. A list
    read through its children's pointers now needs nothing of its own: its inverse carries them.
    """
    found: dict[str, list[Relink]] = {}
    unlinked: set[str] = set()
    problems: list[str] = []
    keyed: set[str] = set()
    models = {model.name for model in registry}
    for model in registry:
        before = stored["models"].get(model.name)
        for field in model.relations():
            old = None if before is None else before["fields"].get(field.store_name)
            storage = None if old is None else old.get("storage")
            if storage is None or field.relation is None or storage == field.relation.storage.value:
                continue
            assert old is not None
            assert before is not None
            named = f"{model.name}.{field.name}"
            if "edge" in old:
                unlinked.add(old["edge"])
            if field.storage is Storage.POINTER and storage == "edges":
                if old["type"] == model.name:
                    # Which way its edges go (one list or its own inverse) is not in the layout.
                    problems.append(f"{named}: a list of its own model turned into a to-one is not carried over")
                    continue
                backward = old["edge"] != f"{before['table']}.{field.store_name}"
                relink = Relink(field, model.name, "a list", edge_key=old["edge"], backward=backward)
                found.setdefault(model.name, []).append(relink)
            elif field.storage is Storage.POINTER:
                table = stored["models"][old["type"]]["table"]
                relink = Relink(field, model.name, "a one-to-many", table=table, attribute=old["inverse"])
                found.setdefault(model.name, []).append(relink)
            elif field.storage is Storage.EDGES and field.relation.edge_key not in keyed:
                keyed.add(field.relation.edge_key)
                if storage == "pointer":
                    relink = Relink(field, model.name, "a to-one", attribute=field.store_name)
                    found.setdefault(model.name, []).append(relink)
                elif old["type"] in models:
                    relink = Relink(field, model.name, "a one-to-many", attribute=old["inverse"], reverse=True)
                    found.setdefault(old["type"], []).append(relink)
                else:
                    problems.append(f"{named}: its links are the pointers of {old['type']}, no longer in the schema")
    return found, unlinked, tuple(problems)


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
