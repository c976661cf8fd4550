"""Resolvers of the generated single-record mutations: create, update, upsert, delete.

A mutation is planned from what it reads, then written as one transaction that holds only if
what was read is unchanged. If a concurrent write got there first, the mutation is planned
again from a fresh read, after a wait of the store's retry policy (a few times at most, and
never past the request's deadline). When the client's `conditions` fail, nothing is
written: `data` is null and `unalteredData` is the stored record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from graphql import GraphQLResolveInfo

from chalicelib.access.context import request
from chalicelib.access.permissions import Action, authorize, owned_only, owns, unrestricted, visible
from chalicelib.api import ids
from chalicelib.api.unique import unique_keys
from chalicelib.api.writes import NeedsRead, WritePlan, simple_update
from chalicelib.errors import (
    INVALID_INPUT,
    INVALID_TOKEN,
    UNAVAILABLE,
    ApiError,
    not_found,
    not_unique,
    permission_denied,
)
from chalicelib.hooks.events import UPDATE
from chalicelib.query import where as where_grammar
from chalicelib.query.conditions import compile_where
from chalicelib.schema.registry import Model, Registry
from chalicelib.store.backoff import GaveUp
from chalicelib.store.changes import SPENT, Changes
from chalicelib.store.records import Record, RecordStore, to_record
from chalicelib.store.sizes import ItemTooLarge
from chalicelib.store.transaction import ConditionFailed, Conflict, DuplicateItem, Label, TooManyItems

Resolver = Any
T = TypeVar("T")


class _Retry(Exception):
    """What was read changed before the write landed: plan again."""


class _ConditionsFailed(Exception):
    def __init__(self, record: Record) -> None:
        super().__init__("conditions failed")
        self.record = record


class Mutations:
    def __init__(self, registry: Registry, store: RecordStore, page_cap: int) -> None:
        self.registry = registry
        self.store = store
        self.page_cap = page_cap

    def create(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
            def attempt() -> Record:
                plan = WritePlan(self.registry, self.store, request(info))
                record = plan.create(model, input["data"])
                self.commit(plan.finish())
                plan.committed()
                return record

            return self._run(info, model, input, attempt)

        return resolve

    def update(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
            context = request(info)
            authorize(context, model, Action.UPDATE)
            keys = unique_keys(model, input["where"])
            data, conditions = input["data"], input.get("conditions")
            where_grammar.validate(model, conditions, self.registry)
            simple = set(keys) == {"id"} and simple_update(model, data) and compile_where(model, conditions).exact
            # Without a read, the update cannot tell a record the caller may not read from any other.
            blind = unrestricted(context, model, Action.UPDATE) and unrestricted(context, model, Action.READ)
            # Only a team's step that uses the stored record needs it read.
            reads = context.hooks is not None and context.hooks.reads(model, UPDATE)

            def attempt() -> Record:
                plan = WritePlan(self.registry, self.store, request(info))
                record = self._existing(info, model, keys, Action.UPDATE)
                return self._update(plan, model, record, data, conditions)

            if simple and blind and not reads:
                if ids.model_of(keys["id"]) != model.name:
                    raise not_found(model.name, f"id {keys['id']!r}", "update")

                def unread() -> Record:
                    try:
                        return self._simple_update(info, model, keys["id"], data, conditions)
                    except NeedsRead:
                        return attempt()

                return self._run(info, model, input, unread)
            return self._run(info, model, input, attempt)

        return resolve

    def upsert(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
            try:
                authorize(request(info), model, Action.UPDATE)
            except ApiError:
                authorize(request(info), model, Action.CREATE)
            keys = unique_keys(model, input["where"])
            conditions = input.get("conditions")
            where_grammar.validate(model, conditions, self.registry)

            def attempt() -> Record:
                plan = WritePlan(self.registry, self.store, request(info))
                record = self._target(info, model, keys, Action.UPDATE, required=False)
                if record is None:
                    # Conditions apply to the update only.
                    created = plan.create(model, input["create"])
                    self.commit(plan.finish())
                    plan.committed()
                    return created
                return self._update(plan, model, record, input["update"], conditions)

            return self._run(info, model, input, attempt)

        return resolve

    def delete(self, model: Model) -> Resolver:
        def resolve(_obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
            authorize(request(info), model, Action.DELETE)
            keys = unique_keys(model, input["where"])
            conditions = input.get("conditions")
            where_grammar.validate(model, conditions, self.registry)

            def attempt() -> Record:
                plan = WritePlan(self.registry, self.store, request(info))
                record = self._existing(info, model, keys, Action.DELETE)
                self._check_conditions(plan, model, record, conditions)
                plan.delete(model, record)
                self.commit(plan.finish(), model, record, conditions)
                plan.committed()
                return record

            return self._run(info, model, input, attempt)

        return resolve

    def _target(
        self, info: GraphQLResolveInfo, model: Model, keys: dict[str, Any], action: Action, *, required: bool = True
    ) -> Record | None:
        """The record a mutation acts on. To a caller who may act only on its own records, a record
        it does not own and a record that does not exist are the same: a denial, so that neither
        reveals the other; when ownership is the id itself, it is decided without a read."""
        mine_only = owned_only(request(info), model, action) is not None
        if mine_only and model.access.owner_field == "id" and "id" in keys and keys["id"] != request(info).user_id:
            raise permission_denied(action.value, model.name)
        plan = WritePlan(self.registry, self.store, request(info))
        record = plan.find(model, keys) if (mine_only or not required) else plan.need(model, keys, action.value)
        if mine_only and (record is None or not owns(model, record, request(info).user_id or "")):
            if record is None and not required and model.access.owner_field != "id":
                return None
            raise permission_denied(action.value, model.name)
        return record

    def _update(self, plan: WritePlan, model: Model, record: Record, data: dict[str, Any], conditions: Any) -> Record:
        """Plan and commit an update of `record` (as read), its conditions held with the write."""
        self._check_conditions(plan, model, record, conditions)
        new = plan.update(model, record, data)
        self.commit(plan.finish(), model, record, conditions)
        plan.committed()
        return new

    def _existing(self, info: GraphQLResolveInfo, model: Model, keys: dict[str, Any], action: Action) -> Record:
        record = self._target(info, model, keys, action)
        assert record is not None
        return record

    def _simple_update(
        self, info: GraphQLResolveInfo, model: Model, record_id: str, data: dict[str, Any], conditions: Any
    ) -> Record:
        """One UpdateItem, its conditions in its condition expression, returning the new record."""
        plan = WritePlan(self.registry, self.store, request(info))
        plan.update_unread(model, record_id, data).condition = compile_where(model, conditions).condition
        try:
            record = self.store.write(plan.finish())
        except ConditionFailed as failure:
            # The failed write says how the record stood: no record, or one its conditions failed on.
            if failure.item is None:
                raise not_found(model.name, f"id {record_id!r}", "update") from failure
            raise _ConditionsFailed(to_record(model, failure.item)) from failure
        except ItemTooLarge as error:
            raise ApiError(INVALID_INPUT, str(error)) from error
        assert record is not None
        # The record as the write answered it (its `after` steps' record; there is no previous).
        plan.wrote(model, UPDATE, record, None)
        plan.committed()
        return record

    def _check_conditions(self, plan: WritePlan, model: Model, record: Record, conditions: Any) -> None:
        """Conditions DynamoDB can evaluate go into the write; those through relations are evaluated
        here, and the write then holds only if every record they looked at is unchanged. The resolvers
        have validated them, before reading anything."""
        if not compile_where(model, conditions).exact and not plan.holds(model, record, conditions, self.page_cap):
            raise _ConditionsFailed(record)

    def commit(
        self, changes: Changes, model: Model | None = None, record: Record | None = None, conditions: Any = None
    ) -> None:
        if model is not None and record is not None:
            compiled = compile_where(model, conditions)
            if compiled.exact and compiled.condition is not None:
                target = changes.updates.get((model.name, record["id"])) or changes.deletes.get(
                    (model.name, record["id"])
                )
                if target is not None:
                    target.condition = compiled.condition
        try:
            self.store.write(changes)
        except (DuplicateItem, ConditionFailed) as failure:
            if failure.label.model == SPENT:
                raise ApiError(INVALID_TOKEN, "this upload token was used already; ask for another") from failure
            if isinstance(failure, ConditionFailed):
                raise self._explain(failure.label, model, record, conditions) from failure
            label = failure.label
            if label.field is not None:
                raise not_unique(label.model, label.field) from failure
            raise ApiError(INVALID_INPUT, f"this mutation changes {label.model} {label.record_id} twice") from failure
        except Conflict as conflict:
            raise _Retry() from conflict
        except (TooManyItems, ItemTooLarge) as error:
            raise ApiError(INVALID_INPUT, str(error)) from error

    def _explain(self, label: Label, model: Model | None, record: Record | None, conditions: Any) -> Exception:
        """Why a transaction was cancelled: a taken unique value, failed conditions, or a race to retry."""
        if label.field is not None and label.record_id is None:
            return not_unique(label.model, label.field)
        if label.record_id is not None and (model is None or record is None or label.record_id != record["id"]):
            other = self.registry.model(label.model)
            if self.store.get(other, label.record_id) is None:
                return not_found(label.model, f"id {label.record_id!r}", "write to; nothing was written")
            return _Retry()
        if model is not None and record is not None and label.model == model.name and label.record_id == record["id"]:
            current = self.store.get(model, record["id"])
            if current is None:
                return not_found(model.name, f"id {record['id']!r}", "write to: it was deleted meanwhile")
            compiled = compile_where(model, conditions)
            if (
                compiled.exact
                and compiled.condition is not None
                and not where_grammar.matches(model, conditions, current, self.registry, lambda *_: [])
            ):
                return _ConditionsFailed(current)
        return _Retry()

    def _run(
        self, info: GraphQLResolveInfo, model: Model, input: dict[str, Any], attempt: Callable[[], Record]
    ) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            try:
                return payload(input, data=visible(request(info), model, attempt()))
            except _ConditionsFailed as failed:
                return payload(input, unalteredData=visible(request(info), model, failed.record))

        return self.retrying(info, once)

    def retrying(self, info: GraphQLResolveInfo, attempt: Callable[[], T]) -> T:
        """`attempt`, planned and sent again while what it read changes before its write lands."""
        try:
            tries = 0
            while True:
                try:
                    return attempt()
                except _Retry:
                    tries += 1
                try:
                    # Jittered: racing writers spread out instead of colliding again in step.
                    self.store.backoff.wait(tries, "a mutation")
                except GaveUp as gave_up:
                    message = "The records changed repeatedly while this mutation ran; nothing was written"
                    raise ApiError(UNAVAILABLE, message) from gave_up
        finally:
            # What the request had read may be out of date now: its payload and later fields read afresh.
            request(info).loader = request(info).loader.fresh()


def payload(input: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"clientMutationId": input.get("clientMutationId"), "data": None, "unalteredData": None, **fields}
