"""Genie's `importData`: records as raw JSON (each with `__typename`, or `defaultTypename`).

- `merge: false`: every object becomes a new record with a new id; relations between the imported
  objects are rebuilt between the new records, and relations to ids outside the import connect
  existing records.
- `merge: true`: objects whose id exists update that record (fields given replace, relations given
  are connected); others are created, keeping their id when it is a valid id of their type.
- `conditions: {id, conditions}`: the merge of those ids happens only if the stored record matches
  `conditions`; those that do not are returned in `unalteredData`.
- Referenced ids that exist nowhere are left out and listed in `missingData`.

One call is one transaction: all of it is written, or nothing. Large data goes through the
command line (`python -m chalicelib import`), which streams.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLInputObjectType, GraphQLResolveInfo, coerce_input_value, validate_input_value

from chalicelib.access.permissions import Action, authorize
from chalicelib.api import ids
from chalicelib.api.scalars import PARSERS
from chalicelib.api.writes import WritePlan
from chalicelib.errors import INVALID_INPUT, ApiError, permission_denied
from chalicelib.query.where import Where, matches, validate
from chalicelib.schema.naming import Names
from chalicelib.schema.registry import Model, Registry
from chalicelib.store.records import Record, RecordStore
from chalicelib.transfer import to_line


class ImportData:
    def __init__(self, registry: Registry, store: RecordStore, commit: Any, page_cap: int) -> None:
        self.registry = registry
        self.store = store
        self.commit = commit
        self.page_cap = page_cap

    def resolve(
        self,
        _obj: Any,
        info: GraphQLResolveInfo,
        data: list[Any],
        merge: bool = False,
        defaultTypename: str | None = None,  # noqa: N803 (Genie's argument name)
        conditions: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if not any(info.context.is_admin or info.context.roles & m.access.bulk for m in self.registry.crud_models()):
            raise permission_denied("use", "data import")
        if len(data) > self.page_cap:
            raise ApiError(INVALID_INPUT, f"importData takes at most {self.page_cap} objects; import more from the CLI")
        objects = [self._object(item, defaultTypename) for item in data]
        for name in dict.fromkeys(model.name for model, _ in objects):
            authorize(info.context, self.registry.model(name), Action.BULK)
        plan = WritePlan(self.registry, self.store, info.context)
        guarded = set((conditions or {}).get("id") or ())
        wheres = {
            model.name: self._where(info, model, (conditions or {}).get("conditions"))
            for model, item in objects
            if item.get("id") in guarded
        }
        # The record of each object (None where conditions kept it unaltered), and by the object's id.
        records: list[Record | None] = []
        by_id: dict[str, Record] = {}
        unaltered: list[dict[str, Any]] = []
        for model, item in objects:
            old_id = item.get("id")
            existing = self._existing(model, old_id) if merge else None
            if (
                existing is not None
                and old_id in guarded
                and not matches(model, wheres[model.name], existing, self.registry, _none)
            ):
                unaltered.append(to_line(model, existing))
                records.append(None)
                continue
            scalars = {k: v for k, v in item.items() if k != "id" and not model.fields[k].is_relation}
            if existing is not None:
                update = {k: {"set": v} if model.fields[k].is_list and v is not None else v for k, v in scalars.items()}
                updated = plan.update(model, existing, update)
                records.append(updated)
                by_id[existing["id"]] = updated
                continue
            absent = [
                f.name
                for f in model.scalars()
                if f.required and f.writable and not f.has_default and scalars.get(f.name) is None
            ]
            if absent:
                raise ApiError(INVALID_INPUT, f"importData: {model.name}.{absent[0]} is required")
            record = plan.create(model, scalars)
            if merge and isinstance(old_id, str) and _valid_id(old_id, model):
                record["id"] = old_id
            records.append(record)
            if isinstance(old_id, str):
                by_id[old_id] = record
        missing = self._relations(plan, objects, records, by_id)
        self.commit(plan.changes)
        return {
            "data": [to_line(model, r) for (model, _), r in zip(objects, records, strict=True) if r is not None],
            "unalteredData": unaltered,
            "missingData": missing,
        }

    def _relations(
        self,
        plan: WritePlan,
        objects: list[tuple[Model, dict[str, Any]]],
        records: list[Record | None],
        by_id: dict[str, Record],
    ) -> list[dict[str, Any]]:
        missing: list[dict[str, Any]] = []
        for (model, item), record in zip(objects, records, strict=True):
            if record is None:
                continue
            for field in model.relations():
                linked = item.get(field.name)
                for other_id in (linked if isinstance(linked, list) else [linked]) if linked else []:
                    target = self.registry.model(field.type_name)
                    other = by_id.get(other_id) or self._existing(target, other_id)
                    if other is None:
                        missing.append({"__typename": target.name, "id": other_id})
                    elif other["id"] not in _related(record, field.name):
                        plan.attach(model, record, field, other)
        return missing

    def _object(self, item: Any, default: str | None) -> tuple[Model, dict[str, Any]]:
        if not isinstance(item, dict):
            raise ApiError(INVALID_INPUT, "importData: every item must be an object")
        typename = item.get("__typename") or default
        model = self.registry.models.get(typename or "")
        if model is None or model.is_session:
            raise ApiError(INVALID_INPUT, f"importData: unknown type {typename!r}")
        fields = {k: v for k, v in item.items() if k != "__typename"}
        unknown = [k for k in fields if k not in model.fields or (not model.fields[k].writable and k != "id")]
        if unknown:
            raise ApiError(INVALID_INPUT, f"importData: {model.name} has no writable field {unknown[0]}")
        for name, value in fields.items():
            field = model.fields[name]
            parse = PARSERS.get(field.type_name)
            if parse is None or field.is_relation or value is None:
                continue
            try:
                fields[name] = [parse(v) for v in value] if field.is_list else parse(value)
            except (ValueError, TypeError) as error:
                raise ApiError(INVALID_INPUT, f"importData: {model.name}.{name}: {error}") from None
        return model, fields

    def _where(self, info: GraphQLResolveInfo, model: Model, where: Any) -> Where:
        """The conditions (raw JSON) as a where-clause of `model`: checked and coerced as GraphQL
        checks a `where` argument, and bounded like one, before anything is read."""
        kind = info.schema.get_type(Names(model).where)
        assert isinstance(kind, GraphQLInputObjectType)
        problems: list[str] = []
        validate_input_value(
            where,
            kind,
            lambda error, path: problems.append(".".join(["conditions", *map(str, path)]) + f": {error.message}"),
        )
        if problems:
            raise ApiError(INVALID_INPUT, f"importData: {problems[0]}")
        coerced: Where = coerce_input_value(where, kind)
        validate(model, coerced, self.registry)
        return coerced

    def _existing(self, model: Model, record_id: Any) -> Record | None:
        if not isinstance(record_id, str) or not _valid_id(record_id, model):
            return None
        return self.store.get(model, record_id)


def _none(*_: Any) -> list[Record]:
    return []


def _valid_id(record_id: str, model: Model) -> bool:
    try:
        return ids.model_of(record_id) == model.name
    except ApiError:
        return False


def _related(record: Record, name: str) -> list[str]:
    value = record.get(name)
    return list(value) if isinstance(value, list) else [value] if value else []
