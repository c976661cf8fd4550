"""Resolvers of the generated mutations."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from chalicelib.access.permissions import Action, authorize
from chalicelib.api import ids, scalars
from chalicelib.errors import INTERNAL_ERROR, INVALID_INPUT, ApiError, not_implemented, not_unique
from chalicelib.passwords import hash_password
from chalicelib.schema.registry import Model
from chalicelib.store.records import Record, RecordStore
from chalicelib.store.transaction import ConditionFailed, TooManyItems

Resolver = Any


class Mutations:
    def __init__(self, store: RecordStore) -> None:
        self.store = store

    def create(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
            authorize(info.context, model, Action.CREATE)
            data = input["data"]
            nested = [name for name in data if model.fields[name].is_relation]
            if nested:
                raise not_implemented(f"nested writes ({model.name}.{nested[0]})")
            record = self._write(model, new_record(model, data))
            return payload(input, data=record)

        return resolve

    def _write(self, model: Model, record: Record) -> Record:
        try:
            return self.store.create(model, record)
        except ConditionFailed as failure:
            if failure.label.field is None:
                raise ApiError(INTERNAL_ERROR, "Id collision; retry the request") from failure
            raise not_unique(failure.label.model, failure.label.field) from failure
        except TooManyItems as error:
            raise ApiError(INVALID_INPUT, str(error)) from error


def new_record(model: Model, data: dict[str, Any]) -> Record:
    """A new record from create input: server id, `@default`s, timestamps, hashed passwords."""
    now = scalars.now()
    record: Record = {"id": ids.new_id(model.name)}
    for field in model.scalars():
        if field.is_id:
            continue
        if field.name in data and field.writable:
            value = data[field.name]
        elif field.timestamp is not None:
            value = now
        elif field.has_default:
            value = field.default
        else:
            continue
        if field.type_name == "Password" and value is not None:
            value = hash_password(value)
        record[field.name] = value
    return record


def payload(input: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"clientMutationId": input.get("clientMutationId"), "data": None, "unalteredData": None, **fields}
