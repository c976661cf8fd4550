"""The schema a stage is at: one item in `<prefix>schema-state`, written by `python -m chalicelib
migrate` once the tables and data match a schema, and read by the API when it starts.

The item holds the schema's fingerprint, its layout (what the next migration compares with) and,
while a migration is under way, how far it went, so that an interrupted one resumes.

Starting is one GetItem of the fingerprint, not a DescribeTable per table: a cold start pays for
every call it makes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.expressions.update import Action

from chalicelib.schema.layout import Layout, edge_keys, fingerprint, layout
from chalicelib.schema.registry import Registry
from chalicelib.settings import Settings, StartupError
from chalicelib.stages import CONFIG, stage_environment
from chalicelib.store.tables import Tables

KEY = "schema"
# The stage of a process given none (see Settings.from_environ).
LOCAL_STAGE = "local"


@dataclass(frozen=True)
class State:
    """What the item holds: the stage's schema (None before any migration finished) and the progress
    of an unfinished migration."""

    fingerprint: str | None
    layout: Layout | None
    progress: dict[str, Any] | None
    # Edge keys of relations the schema no longer has, whose links are kept (see `record`).
    retired: frozenset[str] = frozenset()
    # Models the schema no longer has, whose tables are kept: their stored names, by model.
    removed: dict[str, str] = field(default_factory=dict)


class StaleStage(StartupError):
    """The stage's tables do not match the schema: it must be migrated before it is served."""


def stored_fingerprint(tables: Tables) -> str | None:
    """The fingerprint the stage records, in one GetItem; None if it records none (no migration
    finished, or no state table at all)."""
    try:
        item = tables.connection.client.get_item(
            TableName=tables.state.Meta.table_name,
            Key={"key": {"S": KEY}},
            ConsistentRead=True,
            ProjectionExpression="fingerprint",
        ).get("Item")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    if item is None or "fingerprint" not in item:
        return None
    found: str = item["fingerprint"]["S"]
    return found


def read(tables: Tables) -> State | None:
    """The whole item, for migrations; None without a state table or item."""
    if not tables.state.exists():
        return None
    try:
        item = tables.state.get(KEY, consistent_read=True)
    except tables.state.DoesNotExist:
        return None
    return State(
        item.fingerprint,
        json.loads(item.layout) if item.layout else None,
        json.loads(item.progress) if item.progress else None,
        frozenset(json.loads(item.retired)) if item.retired else frozenset(),
        json.loads(item.removed) if item.removed else {},
    )


def save_progress(tables: Tables, progress: dict[str, Any]) -> None:
    """Record how far the migration under way went (the item's other attributes stay)."""
    tables.state(KEY).update(actions=[tables.state.progress.set(json.dumps(progress, sort_keys=True))])


def record(
    tables: Tables,
    registry: Registry,
    contract: list[str] | None = None,
    retired: Iterable[str] = (),
    removed: dict[str, str] | None = None,
) -> str:
    """The stage is at `registry`'s schema: its fingerprint and layout, the `contract` steps still to
    take once the schema's server serves (migrations/apply.py), if any, and what the stage keeps
    of what the schema no longer has (`check` counts kept links apart): the edge keys of its
    relations, and its models' tables (by model, their stored names)."""
    at = layout(registry)
    found = fingerprint(at)
    item = tables.state(KEY, fingerprint=found, layout=json.dumps(at, sort_keys=True))
    kept = sorted(set(retired) - edge_keys(at))
    if kept:
        item.retired = json.dumps(kept)
    tables_kept = {name: table for name, table in (removed or {}).items() if name not in at["models"]}
    if tables_kept:
        item.removed = json.dumps(tables_kept, sort_keys=True)
    if contract:
        item.progress = json.dumps({"target": found, "done": [], "cursors": {}, "contract": contract})
    item.save()
    return found


def forget(tables: Tables, retired: Iterable[str] = (), removed: Iterable[str] = ()) -> None:
    """The stage no longer keeps the links of the edge keys `retired`, nor the tables of the models
    `removed` (`migrate --drop` deleted them)."""
    stored = read(tables)
    if stored is None:
        return
    keys = sorted(stored.retired - set(retired))
    models = {name: table for name, table in stored.removed.items() if name not in set(removed)}
    actions: list[Action] = [
        tables.state.retired.set(json.dumps(keys)) if keys else tables.state.retired.remove(),
        tables.state.removed.set(json.dumps(models, sort_keys=True)) if models else tables.state.removed.remove(),
    ]
    tables.state(KEY).update(actions=actions)


def finish(tables: Tables) -> None:
    """No migration is under way any more."""
    tables.state(KEY).update(actions=[tables.state.progress.remove()])


def require_current(tables: Tables, settings: Settings) -> None:
    """StaleStage, in one line naming the command to run, unless the stage records the schema the
    service was built from."""
    wanted = fingerprint(layout(tables.registry))
    found = stored_fingerprint(tables)
    if found == wanted:
        return
    where = f"stage {settings.stage} (tables {settings.store.table_prefix}*)"
    if found is None:
        state = "records no schema"
    else:
        state = f"is at schema {found[:12]}, not at {settings.schema_path.name} ({wanted[:12]})"
    raise StaleStage(f"{where} {state}: run `{migrate_command(settings.stage)}` first")


def migrate_command(stage: str) -> str:
    """The command that migrates `stage`: with `--stage` for a stage of .chalice/config.json (a
    deployed function has no such file, and its stage is one), else the environment's."""
    try:
        stage_environment(stage, CONFIG)
    except OSError:
        known = stage != LOCAL_STAGE
    except (KeyError, ValueError):
        known = False
    else:
        known = True
    return f"python -m chalicelib migrate{f' --stage {stage}' if known else ''} --apply"
