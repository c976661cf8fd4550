"""The plan of a migration: what must change for a stage's tables and data to match the schema,
and what blocks it, found without writing anything.

Tables and indexes come from DescribeTable (one per table of the schema); what records need comes
from the layout the stage recorded at its last migration (migrations/changes.py). A change that
can be refused by the data (a field made `@unique`, or required without a default, or retyped, a
relation stored another way) is checked by reading the records: duplicates, records lacking a
value, values the new type does not read and links that would be dropped are named. Other
backfills are sized by DescribeTable's item count (which DynamoDB refreshes about every six hours).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib import schema_state as state
from chalicelib.schema.layout import schema_fingerprint
from chalicelib.schema_state import State
from chalicelib.store.tables import Tables
from tooling.migrations.backfill import Backfill, examine, guard_owners
from tooling.migrations.changes import ModelChange, changes
from tooling.migrations.duplicates import Duplicates
from tooling.migrations.structure import Found, compare, describe

# Problems listed in full; past this many, the rest are counted.
SHOWN_PROBLEMS = 50
# The contract step deleting the edges of a relation stored another way now: "edges <edge key>".
EDGES = "edges "


@dataclass
class Work:
    """One model's records to bring to the schema. `read`: whether the plan read them (a change the
    data may refuse), and if so how many need writing and how many guards are missing."""

    change: ModelChange
    table: str
    items: int
    read: bool = False
    to_write: int = 0
    guards: int = 0

    @property
    def step(self) -> str:
        return f"backfill {self.change.model.name}"

    def __str__(self) -> str:
        parts = ", ".join(self.change.parts())
        if self.read:
            size = f"{self.items:,} records, {self.to_write:,} to write, {self.guards:,} guards to write"
        else:
            size = f"about {self.items:,} records"
        return f"{self.step} ({size}): {parts}"


@dataclass
class Plan:
    label: str  # the stage, in words
    schema: str  # the schema file's name
    target: str  # the schema's fingerprint
    stored: State | None
    found: Found
    backfills: list[Work] = field(default_factory=list)
    counted: list[ModelChange] = field(default_factory=list)
    stale_guards: bool = False
    stale_counters: bool = False
    kept: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    # Edge keys of relations no longer in the schema whose links the stage keeps.
    retired: frozenset[str] = frozenset()
    # Models no longer in the schema whose tables the stage keeps (their stored names).
    removed: dict[str, str] = field(default_factory=dict)
    # Edge keys of relations stored another way now: their edges go after the switch.
    unlinked: list[str] = field(default_factory=list)
    # Whether what the stage keeps of removed models and relations is deleted (`--drop`), and the
    # steps that do it, in words; without it, what is kept and how to drop it.
    drop: bool = False
    drops: list[str] = field(default_factory=list)
    droppable: list[str] = field(default_factory=list)

    @property
    def at_target(self) -> bool:
        return self.stored is not None and self.stored.fingerprint == self.target

    @property
    def current(self) -> bool:
        """Whether there is nothing to do."""
        return self.at_target and not (self.found.steps or self.found.deletions or self.contract or self.drops)

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)

    @property
    def progress(self) -> dict[str, Any]:
        """How far an earlier run of this migration went (nothing, if it was of another schema)."""
        found = self.stored.progress if self.stored is not None else None
        if found is None or found.get("target") != self.target:
            return {"target": self.target, "done": [], "cursors": {}}
        return found

    @property
    def checked(self) -> list[tuple[str, str]]:
        """The (model, field) pairs whose guards the backfill writes: their orphans are removed."""
        return [(w.change.model.name, f.name) for w in self.backfills for f in w.change.guards]

    @property
    def contract(self) -> list[str]:
        """What is taken away once the schema's server serves: stale "guards", unkept "counters", the
        edges of relations stored another way now."""
        due = [name for name, due in (("guards", self.stale_guards), ("counters", self.stale_counters)) if due]
        return due + [EDGES + key for key in self.unlinked]

    def steps(self) -> list[str]:
        """Every step, in the order --apply takes them."""
        done = set(self.progress["done"])
        lines = [str(step) for step in self.found.steps]
        for work in self.backfills:
            cursor = self.progress["cursors"].get(work.step)
            note = " (done)" if work.step in done else " (resumes where it stopped)" if cursor else ""
            lines.append(str(work) + note)
        if self.checked:
            lines.append("remove the guards of those fields that no record holds")
        if self.counted:
            names = ", ".join(c.model.name for c in self.counted)
            lines.append(f"compute counters of {names} from their records")
        if not self.at_target:
            lines.append(f"record schema {self.target[:12]} as the stage's: from here, its server serves")
        if self.stale_guards:
            lines.append("remove unique guards of fields no longer unique")
        if self.stale_counters:
            lines.append("remove counters the schema does not keep")
        lines += [f"delete the edges of {key}, its links stored another way now" for key in self.unlinked]
        lines += [str(step) for step in self.found.deletions]
        return lines + self.drops

    def text(self) -> str:
        fingerprint = self.stored.fingerprint if self.stored is not None else None
        at = f"is at schema {fingerprint[:12]}" if fingerprint else "records no schema"
        lines = [f"{self.label} {at}; {self.schema} is {self.target[:12]}."]
        kept = [f"Kept: {line}" for line in self.kept + self.droppable]
        if self.droppable:
            kept.append("Kept data stays: `python -m chalicelib migrate --apply --drop` deletes it.")
        if self.current:
            return "\n".join([*lines, *kept, "Nothing to do."])
        lines.append("Plan:")
        lines += [f"  {number}. {line}" for number, line in enumerate(self.steps(), start=1)]
        lines += kept
        if self.blockers:
            lines.append("Blocked:")
            lines += [f"  {problem}" for problem in self.blockers[:SHOWN_PROBLEMS]]
            if len(self.blockers) > SHOWN_PROBLEMS:
                lines.append(f"  ... and {len(self.blockers) - SHOWN_PROBLEMS:,} more")
        return "\n".join(lines)


def plan(tables: Tables, label: str, schema: str, *, data_only: bool = False, drop: bool = False) -> Plan:
    """With `data_only`, tables and indexes are another's to make (CloudFormation's): one missing
    blocks the plan, one no longer declared is left where it is. With `drop`, what the stage keeps
    of models and relations the schema no longer has is deleted, last."""
    registry = tables.registry
    target = schema_fingerprint(registry)
    stored = state.read(tables)
    found = compare(tables)
    result = Plan(label, schema, target, stored, found, drop=drop)
    if stored is not None:
        result.retired, result.removed = stored.retired, dict(stored.removed)
    if result.at_target:
        # Recorded already: what may be left is taking away what the old schema's server needed.
        contract = result.progress.get("contract", [])
        result.stale_guards, result.stale_counters = "guards" in contract, "counters" in contract
        result.unlinked = [step.removeprefix(EDGES) for step in contract if step.startswith(EDGES)]
    if data_only:
        result.blockers += [f"{step}: not there yet (update the stack first)" for step in found.steps]
        result.kept += [
            f"{step.index} of {step.table}, no longer declared (the stack's to delete)" for step in found.deletions
        ]
        found.steps, found.deletions = [], []
    if result.at_target:
        _kept(tables, result)
        return result
    known = stored.layout if stored is not None and stored.fingerprint else None
    changed = changes(registry, known)
    if known is not None:
        result.removed.update({name: known["models"][name]["table"] for name in changed.removed})
    result.retired |= changed.retired
    _kept(tables, result)
    result.unlinked = sorted(changed.unlinked)
    result.blockers += changed.problems
    result.stale_guards, result.stale_counters = changed.stale_guards, changed.stale_counters
    for change in changed.models:
        table = tables.model_class(change.model.name).Meta.table_name
        if found.created(table):
            continue  # a new table: no records to bring, none to count
        if change.writes or change.checks:
            work = Work(change, table, found.items.get(table, 0))
            if change.checks:
                _read(tables, work, result.blockers)
            result.backfills.append(work)
        if change.counted:
            result.counted.append(change)
    return result


def _kept(tables: Tables, result: Plan) -> None:
    """What the stage keeps of the models and relations the schema no longer has: with `drop`, the
    steps deleting it (a table protected from deletion blocks), else the lines saying it is kept."""
    schema_tables = {model.store_name for model in tables.registry}
    result.removed = {
        name: table
        for name, table in result.removed.items()
        if name not in tables.registry.models and table not in schema_tables
    }
    for name, table in sorted(result.removed.items()):
        full = tables.config.table_prefix + table
        described = describe(tables.connection.client, full)
        size = "deleted already" if described is None else f"about {int(described.get('ItemCount', 0)):,} records"
        what = f"table {full} of {name}, no longer in the schema ({size})"
        if not result.drop:
            if described is not None:
                result.droppable.append(what)
            continue
        result.drops.append(f"delete {what}, and its records' pending cleanups")
        if described is not None and described.get("DeletionProtectionEnabled"):
            result.blockers.append(f"{full} is protected from deletion: turn its deletion protection off to drop it")
    for key in sorted(result.retired):
        what = f"links of relation {key}, which the schema no longer has"
        if result.drop:
            result.drops.append(f"delete the {what}")
        else:
            result.droppable.append(what)


def _read(tables: Tables, work: Work, blockers: list[str]) -> None:
    """Read the model's records as the backfill would, writing nothing: what each needs, what
    blocks it, and which of them share a value of a field made unique (migrations/duplicates.py)."""
    work.read = True
    work.items = 0
    model = work.change.model
    with Duplicates() as held:
        for items, _ in Backfill(tables, work.change).pages(None):
            work.items += len(items)
            examined = [examine(tables, work.change, raw) for raw in items]
            owners = guard_owners(tables, [key for e in examined for _, key in e.guards])
            for record in examined:
                blockers += record.problems
                if record.problems:
                    continue
                work.to_write += record.writes
                for unique, key in record.guards:
                    held.add(
                        key,
                        record.record_id,
                        f"{model.name}.{unique.name}: @unique, but {record.record[unique.name]!r}",
                    )
                    work.guards += owners.get(key) != record.record_id
        blockers += [
            f"{value} is held by {model.name} {first} and {model.name} {other}" for value, first, other in held.shared()
        ]
