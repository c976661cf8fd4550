"""The storage layout of a schema: everything stored tables and items depend on, and nothing else.

Two schemas with one layout are served by the same tables and data: descriptions, permissions,
defaults and timestamps change nothing stored, so changing them needs no migration. Everything
is named as stored (`@storeName`), so a field renamed with `@storeName` keeping its stored name
keeps its data. Models are keyed by their GraphQL name: ids and cleanup keys carry it.

The fingerprint is a digest of the layout; the stage keeps both (chalicelib/schema_state.py), the layout
so that the next migration knows what changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalicelib.schema.registry import Field, FieldKind, Model, Registry, Storage

# Raised when this code stores the same schema differently (a new shadow attribute, a new key
# encoding): every stage then needs a migration.
FORMAT = 1

Layout = dict[str, Any]


def layout(registry: Registry) -> Layout:
    return {"format": FORMAT, "models": {model.name: _model(registry, model) for model in registry}}


def fingerprint(of: Layout) -> str:
    text = json.dumps(of, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def schema_fingerprint(registry: Registry) -> str:
    return fingerprint(layout(registry))


def edge_keys(of: Layout) -> set[str]:
    """The keys under which the layout's relations store edges (see `Relation.edge_key`)."""
    return {f["edge"] for model in of["models"].values() for f in model["fields"].values() if "edge" in f}


def _model(registry: Registry, model: Model) -> dict[str, Any]:
    return {
        "table": model.store_name,
        "fields": {field.store_name: _field(registry, field) for field in model.fields.values()},
        "sorted": [
            {
                "fields": [model.fields[name].store_name for name in index.fields],
                "sortBy": model.fields[index.sort_by].store_name,
                "shards": index.shards,
            }
            for index in model.sorted_indexes
        ],
    }


def _field(registry: Registry, field: Field) -> dict[str, Any]:
    described: dict[str, Any] = {"type": field.type_name, "kind": field.kind.value, "list": field.is_list}
    if field.required:
        described["required"] = True
    if field.item_required:
        described["itemRequired"] = True
    if field.unique:
        described["unique"] = True
    if field.indexed:
        described["indexed"] = True
    if field.kind is FieldKind.ENUM:
        described["values"] = list(registry.enums[field.type_name])
    if field.relation is not None:
        described["storage"] = field.relation.storage.value
        if field.relation.indexed:
            described["linkIndexed"] = True
        if field.relation.edge_key:
            described["edge"] = field.relation.edge_key
        if field.relation.storage is Storage.CHILDREN:
            # Its links are the pointers of the records it lists: its inverse's.
            assert field.relation.inverse is not None
            described["inverse"] = registry.model(field.type_name).fields[field.relation.inverse].store_name
    return described
