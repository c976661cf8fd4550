"""`Caller`: what the team's functions get of the request: who calls, with which roles, and the
generated API's store and permission checks (chalicelib/access/permissions.py decides, as for
every generated resolver)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import graphql_sync

from chalicelib.access import permissions
from chalicelib.access.context import RequestContext
from chalicelib.errors import ApiError
from chalicelib.hooks.events import Refusal
from chalicelib.schema.registry import Registry
from chalicelib.store.records import Record, RecordStore

if TYPE_CHECKING:
    from chalicelib.hooks.installed import Installed


class OperationFailed(RuntimeError):
    """`Caller.execute` of an operation that did not validate: a mistake in the team's code."""


class Caller:
    def __init__(self, context: RequestContext, installed: Installed) -> None:
        self.context = context
        self._installed = installed

    @property
    def user_id(self) -> str | None:
        """The signed-in user's id, if any."""
        return self.context.user_id

    @property
    def session(self) -> dict[str, Any] | None:
        return self.context.session

    @property
    def roles(self) -> frozenset[str]:
        """The roles in force: `unauthenticated`, `signed-in`, `system-admin`, and the user's own."""
        return self.context.roles

    @property
    def is_admin(self) -> bool:
        return self.context.is_admin

    @property
    def registry(self) -> Registry:
        return self._installed.registry

    @property
    def store(self) -> RecordStore:
        """The records as stored, with no permission check: check with `allowed` first."""
        return self._installed.store

    def allowed(self, model: str, action: str, record: dict[str, Any] | None = None) -> bool:
        """Whether the caller may do `action` (read, create, update, delete, bulk) to `record`, or
        to some record of `model`."""
        return permissions.allowed(self.context, self.registry.model(model), permissions.Action(action), record)

    def authorize(self, model: str, action: str, record: dict[str, Any] | None = None) -> None:
        """GGT_PERMISSION_DENIED unless `allowed`."""
        permissions.authorize(self.context, self.registry.model(model), permissions.Action(action), record)

    def record(self, model: str, record_id: str) -> Record | None:
        """The record of `model` with `record_id`, if it exists for the caller (it may read it)."""
        found = self.context.loader.load(self.registry.model(model), [record_id]).get(record_id)
        return permissions.visible(self.context, self.registry.model(model), found)

    def records(self, model: str, record_ids: list[str]) -> list[Record]:
        """The records of `model` with these ids that exist for the caller, in the order given."""
        of = self.registry.model(model)
        found = self.context.loader.load(of, record_ids)
        return [r for i in record_ids if (r := permissions.visible(self.context, of, found.get(i))) is not None]

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a GraphQL operation of the API as the caller (its permissions, hooks and all): its
        data. A client's error (e.g. GGT_PERMISSION_DENIED) is raised as it is, to become this
        operation's error in turn."""
        schema = self._installed.schema
        assert schema is not None, "the API is built before any request runs"
        result = graphql_sync(schema, query, variable_values=variables, context_value=self.context)
        for error in result.errors or ():
            if isinstance(error.original_error, ApiError):
                raise error.original_error
            raise OperationFailed(f"{error.message} (in {query.strip()[:60]!r})")
        return result.data or {}

    def refuse(self, field: str, message: str) -> Refusal:
        """`raise caller.refuse("title", "...")`: GGT_INVALID_RECORD naming `field`."""
        return Refusal(field, message)
