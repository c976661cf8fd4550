"""Carrying a plan out: expand, backfill, switch, then contract.

1. Tables are created and indexes added, one at a time, each waited for until ACTIVE.
2. Each model's records are brought to the schema (migrations/backfill.py), page by page; after
   each page the scan's position is recorded in the stage's state item, so that a run stopped
   anywhere (Ctrl-C, a crash, a lost connection) resumes after the last page it finished.
3. Guards of the fields just guarded that no record holds are removed; new counters computed.
4. The schema is recorded as the stage's: until then a server of the new schema refuses to start,
   and the old one serves, with everything it reads still there.
5. What only the old schema needed is taken away: guards of fields no longer unique, counters no
   longer kept, the edges of relations whose links were carried over to pointers, indexes no
   longer declared. The state item lists these steps until they are done.
6. With `--drop`, what the stage kept of models and relations the schema no longer has is deleted:
   the state item lists what is kept until then.

A backfill that finds what blocks it (two records sharing a value of a field made unique, found
while writing its guards) goes on to the end of its model, to name every such record, then stops
before step 3: nothing of the old schema has been taken away, and once the records are fixed the
next run reads that model again from its start (every write is idempotent).

Every step is idempotent, so a second run after a finished one has nothing to do, and one after an
interrupted one does only what is left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

from chalicelib import schema_state as state
from chalicelib.store.tables import Tables
from tooling.migrations import counts, drop, guards
from tooling.migrations.backfill import Backfill, Tally
from tooling.migrations.plan import EDGES, Plan, Work
from tooling.migrations.structure import Sleep, carry_out

Say = Callable[[str], None]


def apply(tables: Tables, plan: Plan, say: Say = print, sleep: Sleep = time.sleep) -> bool:
    """Carry `plan` out; whether it was (False: blocked by the records, reported through `say`)."""
    for step in plan.found.steps:
        say(str(step))
        carry_out(tables, step, say, sleep)
    if not plan.at_target:
        if not _expand(tables, plan, say):
            return False
        state.record(tables, tables.registry, plan.contract, plan.retired, plan.removed)
        say(f"the stage is at schema {plan.target[:12]}")
    contract = list(plan.contract)
    if "guards" in contract:
        say(f"removed {guards.sweep(tables, (), stale=True):,} unique guards of fields no longer unique")
        contract.remove("guards")
        state.save_progress(tables, {**plan.progress, "target": plan.target, "contract": contract})
    if "counters" in contract:
        say(f"removed {counts.drop_unkept(tables):,} counter items the schema does not keep")
        contract.remove("counters")
        state.save_progress(tables, {**plan.progress, "target": plan.target, "contract": contract})
    for key in plan.unlinked:
        say(f"deleted {drop.edges(tables, key):,} edges of {key}, its links stored another way now")
        contract.remove(EDGES + key)
        state.save_progress(tables, {**plan.progress, "target": plan.target, "contract": contract})
    for step in plan.found.deletions:
        say(str(step))
        carry_out(tables, step, say, sleep)
    if plan.drop:
        _drop(tables, plan, say, sleep)
    state.finish(tables)
    return True


def _drop(tables: Tables, plan: Plan, say: Say, sleep: Sleep) -> None:
    """Delete what the stage kept of the models and relations the schema no longer has."""
    for name, table in sorted(plan.removed.items()):
        cleanups = drop.model(tables, name, tables.config.table_prefix + table, say, sleep)
        say(f"deleted table {tables.config.table_prefix}{table} of {name}, and {cleanups:,} pending cleanups")
        state.forget(tables, removed=[name])
    for key in sorted(plan.retired):
        say(f"deleted {drop.edges(tables, key):,} links of relation {key}")
        state.forget(tables, retired=[key])


def _expand(tables: Tables, plan: Plan, say: Say) -> bool:
    """Steps 2 and 3: the backfill, the orphan guards, the new counters; whether they were done."""
    progress = plan.progress
    blockers: list[str] = []
    for work in plan.backfills:
        if work.step in progress["done"]:
            continue
        blockers += _backfill(tables, work, progress, say)
    if blockers:
        say("Blocked:")
        for problem in blockers:
            say(f"  {problem}")
        say("Fix these records, then run again: the rest is done, and is not done again.")
        return False
    if plan.checked and "guards" not in progress["done"]:
        say(f"removed {guards.sweep(tables, plan.checked, stale=False):,} guards that no record holds")
        _done(tables, progress, "guards")
    if plan.counted and "counters" not in progress["done"]:
        say(f"computed {counts.recount(tables, plan.counted):,} counters from the records")
        _done(tables, progress, "counters")
    return True


def _backfill(tables: Tables, work: Work, progress: dict[str, Any], say: Say) -> list[str]:
    """Bring one model's records to the schema, from where an earlier run stopped; what blocks it."""
    backfill = Backfill(tables, work.change)
    cursor = progress["cursors"].get(work.step)
    tally = Tally()
    say(f"{work.step}: " + ", ".join(work.change.parts()) + (" (resuming)" if cursor else ""))
    with tqdm(total=work.items or None, desc=work.change.model.name, unit=" records") as bar:
        for items, last in backfill.pages(cursor):
            backfill.page(items, tally)
            bar.update(len(items))
            if not tally.problems:
                progress["cursors"][work.step] = last
                state.save_progress(tables, progress)
    links = f", {tally.links:,} links written as edges" if tally.links else ""
    say(f"  {tally.examined:,} records read, {tally.written:,} written, {tally.guards:,} guards held{links}")
    if tally.problems:
        # Read again from the start next time: the fixes may be anywhere before the position.
        progress["cursors"].pop(work.step, None)
        state.save_progress(tables, progress)
        return tally.problems
    _done(tables, progress, work.step)
    return []


def _done(tables: Tables, progress: dict[str, Any], step: str) -> None:
    progress["done"].append(step)
    progress["cursors"].pop(step, None)
    state.save_progress(tables, progress)
