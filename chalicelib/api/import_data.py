"""Genie's `importData`: records as raw JSON (each with `__typename`, or `defaultTypename`).

- `merge: false`: every object becomes a new record with a new id; relations between the imported
  objects are rebuilt between the new records, and relations to ids outside the import connect
  existing records.
- `merge: true`: objects whose id exists update that record (fields given replace, relations given
  are connected); others are created, keeping their id when it is a valid id of their type.
- `conditions: [{id, conditions}]` (Genie's list; one object is taken as a list of one): the merge of
  those ids happens only if the stored record matches `conditions`, relation filters included, as
  the caller sees it, and atomically with the write; those that do not are returned in `unalteredData`.
- Referenced ids that exist nowhere are left out and listed in `missingData`.

One call is one transaction: all of it is written, or nothing. Large data goes through the
command line (`python -m chalicelib import`), which streams.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLInputObjectType, GraphQLResolveInfo, coerce_input_value, validate_input_value

from chalicelib.access.context import request
from chalicelib.access.permissions import Action, authorize, visible
from chalicelib.api import ids
from chalicelib.api.mutations import Mutations
from chalicelib.api.queries import raw_data
from chalicelib.api.raw_records import check_values, missing_required
from chalicelib.api.writes import WritePlan
from chalicelib.errors import INVALID_INPUT, ApiError, permission_denied
from chalicelib.query.where import Where, validate
from chalicelib.schema.naming import Names
from chalicelib.schema.registry import Model, Registry
from chalicelib.store.records import Record, RecordStore, linked_model
from chalicelib.store.sizes import ItemTooLarge


class ImportData:
    def __init__(self, registry: Registry, store: RecordStore, mutations: Mutations, page_cap: int) -> None:
        self.registry = registry
        self.store = store
        self.mutations = mutations
        self.page_cap = page_cap

    def resolve(
        self,
        _obj: Any,
        info: GraphQLResolveInfo,
        data: list[Any],
        merge: bool = False,
        defaultTypename: str | None = None,  # noqa: N803 (Genie's argument name)
        conditions: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The import, planned again if what it read changed before it landed (a conflict)."""
        return self.mutations.retrying(info, lambda: self._import(info, data, merge, defaultTypename, conditions))

    def _import(
        self,
        info: GraphQLResolveInfo,
        data: list[Any],
        merge: bool,
        default_typename: str | None,
        conditions: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        if not any(request(info).is_admin or request(info).roles & m.access.bulk for m in self.registry.crud_models()):
            raise permission_denied("use", "data import")
        if len(data) > self.page_cap:
            raise ApiError(INVALID_INPUT, f"importData takes at most {self.page_cap} objects; import more from the CLI")
        objects = [self._object(index, item, default_typename) for index, item in enumerate(data)]
        for name in dict.fromkeys(model.name for model, _ in objects):
            authorize(request(info), self.registry.model(name), Action.BULK)
        plan = WritePlan(self.registry, self.store, request(info))
        # Genie's shape: a list of {id: [ids], conditions: where}; an id under several must meet all.
        raw: dict[str, list[Any]] = {}
        for entry in conditions or []:
            for record_id in entry["id"]:
                raw.setdefault(record_id, []).append(entry["conditions"])
        wheres = {
            item["id"]: {"and": [self._where(info, model, where) for where in raw[item["id"]]]}
            for model, item in objects
            if item.get("id") in raw
        }
        stored = self._read(info, objects, merge)
        # The record of each object (None where conditions kept it unaltered), and by the object's id.
        records: list[Record | None] = []
        by_id: dict[str, Record] = {}
        unaltered: list[dict[str, Any]] = []
        for index, (model, item) in enumerate(objects):
            old_id = item.get("id")
            # A record the caller may not read does not exist for it: it is neither merged nor shown.
            existing = (
                visible(request(info), model, stored.get((model.name, old_id)))
                if merge and isinstance(old_id, str)
                else None
            )
            if (
                existing is not None
                and old_id in wheres
                and not plan.holds(model, existing, wheres[old_id], self.page_cap)
            ):
                unaltered.append(raw_data(request(info), model, existing))
                records.append(None)
                continue
            scalars = {k: v for k, v in item.items() if k != "id" and not model.fields[k].is_relation}
            if existing is not None:
                update = {k: {"set": v} if model.fields[k].is_list and v is not None else v for k, v in scalars.items()}
                updated = plan.update(model, existing, update)
                records.append(updated)
                by_id[existing["id"]] = updated
                continue
            absent = missing_required(model, scalars, filled_in=True)
            if absent:
                raise _row(index, absent)
            record = plan.create(model, scalars)
            if merge and isinstance(old_id, str) and ids.is_id_of(old_id, model.name):
                record["id"] = old_id
            records.append(record)
            if isinstance(old_id, str):
                by_id[old_id] = record
        missing = self._relations(plan, objects, records, by_id, stored)
        self._check_sizes(objects, records)
        self.mutations.commit(plan.finish())
        plan.committed()
        # What the request had read may be out of date now: the payload reads afresh, each model's
        # records one group, so that their links load together.
        context = request(info)
        context.loader = context.loader.fresh()
        written = [(model, r) for (model, _), r in zip(objects, records, strict=True) if r]
        for name in {model.name for model, _ in written}:
            context.loader.group(self.registry.model(name), [r for model, r in written if model.name == name])
        return {
            "data": [raw_data(context, model, r) for model, r in written],
            "unalteredData": unaltered,
            "missingData": missing,
        }

    def _check_sizes(self, objects: list[tuple[Model, dict[str, Any]]], records: list[Record | None]) -> None:
        """Each record as it will be stored, relations included, measured against DynamoDB's item
        limit before anything is written, so that the error names the object at fault."""
        for index, ((model, _), record) in enumerate(zip(objects, records, strict=True)):
            try:
                if record is not None:
                    self.store.check_size(model, record)
            except ItemTooLarge as error:
                raise _row(index, str(error)) from error

    def _relations(
        self,
        plan: WritePlan,
        objects: list[tuple[Model, dict[str, Any]]],
        records: list[Record | None],
        by_id: dict[str, Record],
        stored: dict[tuple[str, str], Record],
    ) -> list[dict[str, Any]]:
        missing: list[dict[str, Any]] = []
        for (model, item), record in zip(objects, records, strict=True):
            if record is None:
                continue
            for field in model.relations():
                linked = item.get(field.name)
                for other_id in (linked if field.is_list else [linked]) if linked else []:
                    # Through an interface or union, the model is the one of the set the id names
                    # (for an object of the import, its record's id).
                    other = by_id.get(other_id)
                    target = linked_model(self.registry, field, other["id"] if other else other_id)
                    if target is None:
                        missing.append({"__typename": field.type_name, "id": other_id})
                        continue
                    # A record the caller may not read is missing for it, like one that does not exist.
                    other = other or visible(plan.context, target, stored.get((target.name, other_id)))
                    if other is None:
                        missing.append({"__typename": target.name, "id": other_id})
                    elif field.is_list or record.get(field.name) != other["id"]:
                        # Linking again what is linked writes nothing new (see `WritePlan.attach`);
                        # a merged record's to-one moves, and its previous partner lets go.
                        current = None if field.is_list else record.get(field.name)
                        replaced = None if current is None else {"id": current}
                        plan.attach(model, record, self.registry.narrowed(field, target), other, replaced=replaced)
        return missing

    def _object(self, index: int, item: Any, default: str | None) -> tuple[Model, dict[str, Any]]:
        if not isinstance(item, dict):
            raise _row(index, "every item must be an object")
        typename = item.get("__typename") or default
        model = self.registry.models.get(typename) if isinstance(typename, str) else None
        if model is None or model.is_session:
            raise _row(index, f"unknown type {typename!r}")
        fields = {k: v for k, v in item.items() if k != "__typename"}
        unknown = [k for k in fields if k not in model.fields or (not model.fields[k].writable and k != "id")]
        if unknown:
            raise _row(index, f"{model.name} has no writable field {unknown[0]}")
        try:
            return model, check_values(self.registry, model, fields, stored_files=False)
        except ValueError as error:
            raise _row(index, str(error)) from None

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

    def _read(
        self, info: GraphQLResolveInfo, objects: list[tuple[Model, dict[str, Any]]], merge: bool
    ) -> dict[tuple[str, str], Record]:
        """Every stored record the import refers to (the objects' own ids when merging, and the ids
        they link to), read once each, 100 to a BatchGetItem, by (model name, id)."""
        wanted: dict[str, set[Any]] = {}
        for model, item in objects:
            if merge:
                wanted.setdefault(model.name, set()).add(item.get("id"))
            for field in model.relations():
                linked = item.get(field.name)
                for other_id in (linked if field.is_list else [linked]) if linked else []:
                    target = linked_model(self.registry, field, other_id) if isinstance(other_id, str) else None
                    if target is not None:
                        wanted.setdefault(target.name, set()).add(other_id)
        found: dict[tuple[str, str], Record] = {}
        for name, record_ids in wanted.items():
            model = self.registry.model(name)
            valid = [i for i in record_ids if isinstance(i, str) and ids.is_id_of(i, model.name)]
            found.update({(name, i): r for i, r in request(info).loader.load(model, valid).items()})
        return found


def _row(index: int, problem: str) -> ApiError:
    """An error in `data[index]`, named so that the client finds the object at fault."""
    return ApiError(INVALID_INPUT, f"importData: data[{index}]: {problem}")
