"""Finding and loading the team's module: the `.py` file beside the schema, of the same name
(`schema.graphql` -> `schema.py`; deployed, `chalicelib/package-schema.py` beside the packaged
schema). Whatever is wrong with it stops the start, in one line naming the file and the function."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import shutil
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from chalicelib.hooks.declare import AFTER, BEFORE, COMPUTED, Declared, Hooks
from chalicelib.hooks.events import ACTIONS
from chalicelib.hooks.installed import Installed
from chalicelib.schema.extensions import OPERATION_ROOTS
from chalicelib.schema.registry import Registry
from chalicelib.settings import StartupError
from chalicelib.store.records import RecordStore

# The name the module's `Hooks` goes by.
ATTRIBUTE = "hooks"


def hooks_path(schema_path: Path) -> Path:
    return schema_path.with_suffix(".py")


def copy_hooks(schema_path: Path, packaged_schema: Path) -> None:
    """Put the hooks of `schema_path` beside its packaged copy; without any, leave none there (a
    stale module of another schema would be loaded with this one)."""
    source, target = hooks_path(schema_path), hooks_path(packaged_schema)
    if source.exists():
        shutil.copyfile(source, target)
    else:
        target.unlink(missing_ok=True)


def load_hooks(schema_path: Path, registry: Registry, store: RecordStore) -> Installed:
    """The hooks beside `schema_path` (none when there is no such file), checked against the schema."""
    path = hooks_path(schema_path)
    declared = _declared(path) if path.exists() else []
    for item in declared:
        problem = _problem(registry, item)
        if problem:
            raise StartupError(f"{item.where}: {item.label}: {problem}")
    resolved = {(d.kind.capitalize() if d.kind != COMPUTED else d.target[0], d.target[-1]) for d in declared}
    for field in registry.extensions.fields:
        if (field.type_name, field.name) not in resolved:
            kind = field.type_name.lower() if field.type_name in OPERATION_ROOTS else "computed"
            target = repr(field.name) if field.type_name in OPERATION_ROOTS else f"{field.type_name!r}, {field.name!r}"
            raise StartupError(
                f"{schema_path}: {field.label}: declared by `extend type` with nothing to resolve it: "
                f"declare @hooks.{kind}({target}) in {path}"
            )
    seen: set[tuple[str, ...]] = set()
    for item in declared:
        if item.kind not in (BEFORE, AFTER):
            if (item.kind, *item.target) in seen:
                raise StartupError(f"{item.where}: {item.label}: declared twice; one function resolves a field")
            seen.add((item.kind, *item.target))
    return Installed(registry, store, declared, str(path))


def _declared(path: Path) -> list[Declared]:
    module = _import(path)
    hooks = getattr(module, ATTRIBUTE, None)
    if not isinstance(hooks, Hooks):
        raise StartupError(f"{path}: names no `{ATTRIBUTE} = Hooks()` (from chalicelib.hooks import Hooks)")
    return list(hooks.declared)


def _import(path: Path) -> ModuleType:
    # A name of its own per file: services of several schemas may live in one process (tests).
    name = "shoreline_hooks_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[name]
        raise StartupError(f"{path}:{error.lineno}: <module>: SyntaxError: {error.msg}") from None
    except Exception as error:
        del sys.modules[name]
        raise StartupError(f"{path}:{_raised_at(path, error)}: {type(error).__name__}: {error}") from None
    return module


def _raised_at(path: Path, error: BaseException) -> str:
    """`line: function` of the innermost frame of `path` the error went through."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path]
    if not frames:
        return "1: <module>"
    return f"{frames[-1].lineno}: {frames[-1].name}"


def _problem(registry: Registry, item: Declared) -> str | None:
    """What is wrong with one declaration, if anything."""
    if item.kind in (BEFORE, AFTER):
        model, action = item.target
        if model not in registry.models or registry.models[model].is_session:
            return f"no model {model} in the schema"
        if action not in ACTIONS:
            return f"the action is one of {', '.join(ACTIONS)}, not {action!r}"
        return _unbindable(item, ["event"], [])
    if item.kind == COMPUTED:
        model, name = item.target
        declared = {f.name: f for f in registry.extensions.of(model)}
        if name not in declared:
            return f"the schema declares no computed field {model}.{name} (extend type {model} {{ {name}: ... }})"
        return _unbindable(item, ["record", "caller"], list(declared[name].arguments))
    root = item.kind.capitalize()
    declared = {f.name: f for f in registry.extensions.of(root)}
    if item.target[0] not in declared:
        return f"the schema declares no {root}.{item.target[0]} (extend type {root} {{ {item.target[0]}: ... }})"
    return _unbindable(item, ["caller"], list(declared[item.target[0]].arguments))


def _unbindable(item: Declared, positional: list[str], keywords: list[str]) -> str | None:
    """Why the function could not be called as it will be, if it could not."""
    try:
        signature = inspect.signature(item.function)
    except (TypeError, ValueError):
        return None
    arguments: dict[str, Any] = dict.fromkeys(keywords)
    try:
        signature.bind(*positional, **arguments)
    except TypeError as error:
        expected = ", ".join([*positional, *keywords])
        return f"it is called with ({expected}): {error}"
    return None
