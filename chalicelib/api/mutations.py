"""Resolvers of the generated mutations."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from chalicelib.api.writes import CreatePlan
from chalicelib.errors import INTERNAL_ERROR, INVALID_INPUT, RECORD_NOT_FOUND, ApiError, not_unique
from chalicelib.schema.registry import Model, Registry
from chalicelib.store.records import RecordStore
from chalicelib.store.transaction import ConditionFailed, DuplicateItem, TooManyItems

Resolver = Any


class Mutations:
    def __init__(self, registry: Registry, store: RecordStore) -> None:
        self.registry = registry
        self.store = store

    def create(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
            plan = CreatePlan(self.registry, self.store, info.context)
            record = plan.create(model, input["data"])
            self._commit(plan)
            return payload(input, data=record)

        return resolve

    def _commit(self, plan: CreatePlan) -> None:
        try:
            self.store.write(plan.changes)
        except (ConditionFailed, DuplicateItem) as failure:
            label = failure.label
            if label.field is not None:
                raise not_unique(label.model, label.field) from failure
            if isinstance(failure, DuplicateItem):
                message = f"this mutation writes {label.model} {label.record_id} twice"
                raise ApiError(INVALID_INPUT, message) from failure
            if any(m.name == label.model and r["id"] == label.record_id for m, r in plan.changes.puts):
                raise ApiError(INTERNAL_ERROR, "Id collision; retry the request") from failure
            raise ApiError(
                RECORD_NOT_FOUND,
                f"{label.model} {label.record_id} was changed or deleted meanwhile; nothing was written",
            ) from failure
        except TooManyItems as error:
            raise ApiError(INVALID_INPUT, str(error)) from error


def payload(input: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"clientMutationId": input.get("clientMutationId"), "data": None, "unalteredData": None, **fields}
