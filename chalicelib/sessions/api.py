"""Resolvers of the session API.

Gadget's actions act on the caller's current session and answer `{success errors session}`;
beachfront's operations answer `{detail}` or `{success}`. A session is readable and changeable
only by its bearer or by `system-admin`: for anyone else it does not exist (`detail: null`).
Whenever a session's token is created or rotated (a new session, a login, a logout, a password
change), the response carries it in `x-set-authorization: Session <token>`.
"""

from __future__ import annotations

from typing import Any

from ariadne import InterfaceType, MutationType, ObjectType, QueryType, ScalarType
from graphql import GraphQLResolveInfo

from chalicelib.access.context import RequestContext, request
from chalicelib.access.roles import SYSTEM_ADMIN, UNAUTHENTICATED
from chalicelib.api import scalars
from chalicelib.api.unique import find_unique
from chalicelib.api.writes import WritePlan
from chalicelib.errors import INVALID_INPUT, INVALID_RECORD, ApiError, permission_denied
from chalicelib.passwords import hash_password, needs_rehash, verify_password
from chalicelib.query.reader import ListArgs, Reader
from chalicelib.schema.registry import USER_MODEL, Registry
from chalicelib.sessions import domains
from chalicelib.sessions.sdl import SESSION_SDL
from chalicelib.sessions.store import EPOCH, Account, SessionEnded, SessionStore
from chalicelib.sessions.throttle import LoginThrottle
from chalicelib.store.changes import VERSION, Changes, Update
from chalicelib.store.records import Record, RecordStore
from chalicelib.store.sizes import ItemTooLarge
from chalicelib.store.transaction import ConditionFailed

SET_AUTHORIZATION = "x-set-authorization"
INVALID_EMAIL_PASSWORD = "GGT_INVALID_EMAIL_PASSWORD"
TOO_MANY_REQUESTS = "GGT_TOO_MANY_REQUESTS"
PERMISSION_DENIED = "GGT_PERMISSION_DENIED"
RECORD_NOT_FOUND = "GGT_RECORD_NOT_FOUND"
WRONG = "Invalid email or password"
PAGE = 100
Options = dict[str, Any] | None
Result = dict[str, Any]


class SessionApi:
    sdl = SESSION_SDL

    def __init__(
        self, registry: Registry, store: RecordStore, sessions: SessionStore, throttle: LoginThrottle, page_cap: int
    ) -> None:
        self.registry = registry
        self.store = store
        self.sessions = sessions
        self.throttle = throttle
        self.page_cap = page_cap
        self.user = registry.model(USER_MODEL)

    def bindables(self) -> list[Any]:
        query, mutation = QueryType(), MutationType()
        query.set_field("currentSession", self.current_session)
        query.set_field("session", self.session)
        query.set_field("sessions", self.list_sessions)
        mutation.set_field("logInViaEmail", self.log_in_via_email)
        mutation.set_field("logOut", self.log_out)
        mutation.set_field("signUp", self.sign_up)
        mutation.set_field("changePassword", self.change_password)
        mutation.set_field("endSessions", self.end_sessions)
        mutation.set_field("createSession", self.create_session)
        mutation.set_field("updateSession", self.update_session)
        mutation.set_field("deleteSession", self.delete_session)
        session = ObjectType("Session")
        session.set_field("userId", lambda obj, *_: obj.get("user"))
        session.set_field("shopId", lambda obj, *_: obj.get("shop"))
        session.set_field("_all", self._all)
        errors = InterfaceType("ExecutionError", lambda obj, *_: obj["__typename"])
        email = ScalarType("LogInViaEmailEmailInput", serializer=lambda v: v, value_parser=scalars.parse_email)
        return [query, mutation, session, errors, email]

    # Gadget.

    def current_session(self, _obj: Any, info: GraphQLResolveInfo) -> Record:
        context = request(info)
        if context.session is None:
            record, token = self.sessions.create({})
            self._adopt(context, record, token)
        assert context.session is not None
        return context.session

    def log_in_via_email(
        self, _obj: Any, info: GraphQLResolveInfo, email: str | None = None, password: str | None = None
    ) -> dict[str, Any]:
        if not email or not password:
            return _failure(INVALID_EMAIL_PASSWORD, WRONG)
        if not self.throttle.attempt(email):
            return _failure(TOO_MANY_REQUESTS, "Too many failed logins for this account; try again later")
        found = self.store.find_unique(self.user, self.user.fields["email"], email)
        # The password and the session epoch of one read: a password changed after it ends this login too.
        account = self.sessions.account(found["id"]) if found is not None else None
        stored = account.user.get("password") if account is not None else None
        if account is None or not verify_password(password, stored):
            return _failure(INVALID_EMAIL_PASSWORD, WRONG)
        self.throttle.succeeded(email)
        assert stored is not None
        if needs_rehash(stored):
            self._set_password(account.user, password)
        return {"success": True, "errors": None, "session": self._log_in(request(info), account)}

    def log_out(self, _obj: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
        context = request(info)
        if context.session is None:
            return _failure(PERMISSION_DENIED, "There is no session to log out of")
        try:
            record, token = self.sessions.rotate(context.session, None)
        except SessionEnded:
            return _failure(PERMISSION_DENIED, "This session has ended")
        self._adopt(context, record, token)
        return {"success": True, "errors": None, "session": record}

    def sign_up(
        self,
        _obj: Any,
        info: GraphQLResolveInfo,
        email: str,
        password: str,
        name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        try:
            data = {"email": scalars.parse_email(email), "password": scalars.parse_password(password)}
        except ValueError as error:
            return _invalid("email" if "email" in str(error) else "password", str(error), {"email": email})
        data.update({k: v for k, v in (("name", name), ("username", username)) if v is not None})
        # Signing up is the one way a caller creates a user without the right to create users.
        caller = request(info)
        admin = RequestContext(
            roles=frozenset({SYSTEM_ADMIN}),
            hooks=caller.hooks,
            _loader=caller.loader,
            files=caller.files,
            acting_for=caller,
        )
        plan = WritePlan(self.registry, self.store, admin)
        shown = {k: v for k, v in data.items() if k != "password"}
        try:
            user = plan.create(self.user, data)
        except ApiError as error:
            # A `before` step's refusal (chalicelib/hooks) is the action's answer, as a taken email is.
            field = error.extensions.get("field")
            if error.code != INVALID_RECORD or not isinstance(field, str):
                raise
            return _invalid(field, error.extensions["validationErrors"][0]["message"], shown)
        try:
            self.store.write(plan.finish())
        except ConditionFailed as failure:
            field = failure.label.field or "email"
            return _invalid(field, "is already taken", shown)
        plan.committed()
        return {"success": True, "errors": None, "session": self._log_in(request(info), Account(user, 0))}

    def change_password(
        self,
        _obj: Any,
        info: GraphQLResolveInfo,
        currentPassword: str,  # noqa: N803 (the GraphQL argument names)
        newPassword: str,  # noqa: N803
    ) -> dict[str, Any]:
        context = request(info)
        account = self.sessions.account(context.user_id) if context.user_id else None
        if account is None:
            return _failure(PERMISSION_DENIED, "Log in to change your password")
        user = account.user
        if not verify_password(currentPassword, user.get("password")):
            return _failure(INVALID_EMAIL_PASSWORD, "The current password is wrong")
        try:
            scalars.parse_password(newPassword)
        except ValueError as error:
            return _invalid("password", str(error), {"id": user["id"]})
        # The password first, then the epoch: a login that read the old password ends with the others.
        self._set_password(user, newPassword)
        epoch = self.sessions.end_all(user["id"])
        if epoch is None:
            return _failure(PERMISSION_DENIED, "Log in to change your password")
        # Every other session of the user has ended; this one goes on, logged in again under a new token.
        return {"success": True, "errors": None, "session": self._log_in(context, Account(user, epoch))}

    def end_sessions(self, _obj: Any, info: GraphQLResolveInfo, userId: str) -> dict[str, Any]:  # noqa: N803
        """End every session of a user: system-admin for anyone, a user for itself (keeping this one)."""
        context = request(info)
        if not context.is_admin and userId != context.user_id:
            return _failure(PERMISSION_DENIED, "Only system-admin ends the sessions of another user")
        epoch = self.sessions.end_all(userId)
        if epoch is None:
            return _failure(RECORD_NOT_FOUND, f"User not found: no User with id {userId!r} exists")
        session = None
        if userId == context.user_id and context.session is not None:
            user = self.store.get(self.user, userId)
            session = self._log_in(context, Account(user, epoch)) if user is not None else None
        return {"success": True, "errors": None, "session": session}

    # beachfront.

    def create_session(
        self, _obj: Any, info: GraphQLResolveInfo, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        context = request(info)
        fields = self._changes(context, options or {})
        # The new session keeps the caller's login, if any; the caller's previous session stays valid.
        user = self.store.get(self.user, context.user_id) if context.user_id else None
        # At the epoch of the caller's own session: ending that one's sessions ends this one too.
        epoch = (context.session or {}).get(EPOCH) or 0
        try:
            record, token = self.sessions.create(fields, Account(user, epoch) if user is not None else None)
        except ItemTooLarge as error:
            raise ApiError(INVALID_INPUT, str(error)) from error
        self._adopt(context, record, token)
        return {"detail": record}

    def session(self, _obj: Any, info: GraphQLResolveInfo, options: Options = None) -> Result:
        return {"detail": self._own(request(info), (options or {}).get("id"))}

    def list_sessions(
        self, _obj: Any, info: GraphQLResolveInfo, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        context = request(info)
        if not context.is_admin:
            raise permission_denied("list", "sessions")
        options = options or {}
        first = options.get("first")
        if first is not None and first < 0:
            raise ApiError(INVALID_INPUT, "`first` cannot be negative")
        where = {"match": {"customer": [options["customer"]]}} if options.get("customer") else None
        args = ListArgs(
            where=where, first=min(first if first is not None else PAGE, self.page_cap), after=options.get("after")
        )
        page = Reader(self.registry, self.store, context.loader, self.page_cap).read(self.sessions.model, args)
        return {"detail": page.records, "cursor": page.end_cursor if page.has_next else None}

    def update_session(
        self,
        _obj: Any,
        info: GraphQLResolveInfo,
        changes: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        context = request(info)
        record = self._own(context, (options or {}).get("id"))
        if record is None:
            return {"detail": None}
        fields = self._changes(context, changes or {})
        update = Update(self.sessions.model, record["id"])
        stamp = scalars.now()
        for field in self.sessions.model.scalars():
            if field.timestamp is not None and field.timestamp.on_update:
                fields[field.name] = stamp
        update.assign.update(fields)
        update.version = record.get(VERSION) or 0
        batch = Changes()
        batch.updates[(self.sessions.model.name, record["id"])] = update
        try:
            self.store.write(batch)
        except ConditionFailed:
            raise ApiError(INVALID_INPUT, "The session changed meanwhile; nothing was written") from None
        except ItemTooLarge as error:
            raise ApiError(INVALID_INPUT, str(error)) from error
        updated = {**record, **fields, VERSION: update.version + 1}
        if context.session is not None and context.session["id"] == record["id"]:
            context.session = updated
        return {"detail": updated}

    def delete_session(
        self, _obj: Any, info: GraphQLResolveInfo, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        context = request(info)
        record = self._own(context, (options or {}).get("id"))
        if record is None:
            return {"success": False}
        self.sessions.delete(record["id"])
        return {"success": True}

    # Shared.

    def _own(self, context: RequestContext, session_id: str | None) -> Record | None:
        """The session `session_id` (the caller's own when None), if the caller may see it."""
        if session_id is None:
            return context.session
        if context.session is not None and context.session["id"] == session_id:
            return context.session
        return self.sessions.get(session_id) if context.is_admin else None

    def _changes(self, context: RequestContext, changes: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if "cart" in changes:
            fields["cart"] = self._cart(changes["cart"])
        if "customer" in changes:
            customer = changes["customer"]
            if customer is not None and not context.is_admin and customer != context.user_id:
                raise permission_denied("set the customer of", "a session to another user")
            if customer is not None and find_unique(self.store, self.user, {"id": customer}) is None:
                raise ApiError(INVALID_INPUT, f"customer: no User with id {customer!r}")
            fields["customer"] = customer
        return fields

    def _cart(self, cart: list[Any] | None) -> list[str] | None:
        if cart is None:
            return None
        names = []
        for entry in cart:
            try:
                names.append(domains.normalize(entry))
            except ValueError as error:
                raise ApiError(
                    INVALID_RECORD,
                    f"cart: {error}",
                    validationErrors=[{"apiIdentifier": "cart", "message": str(error)}],
                ) from None
        return names

    def _log_in(self, context: RequestContext, account: Account) -> Record:
        try:
            if context.session is None:
                raise SessionEnded()
            record, token = self.sessions.rotate(context.session, account)
        except SessionEnded:
            record, token = self.sessions.create({}, account)
        self._adopt(context, record, token)
        return record

    def _adopt(self, context: RequestContext, record: Record, token: str) -> None:
        """Make `record` the caller's session for the rest of the request, and hand out its token."""
        context.session = record
        context.user_id = record.get("user")
        context.roles = frozenset(record.get("roles") or [UNAUTHENTICATED]) | (
            {SYSTEM_ADMIN} if context.is_admin else set()
        )
        context.response_headers[SET_AUTHORIZATION] = f"Session {token}"

    def _set_password(self, user: Record, password: str) -> None:
        changes = Changes()
        update = changes.update(self.user, user["id"])
        update.assign["password"] = hash_password(password)
        self.store.write(changes)

    def _all(self, obj: Record, *_: Any) -> dict[str, Any]:
        readable = (f for f in self.sessions.model.fields.values() if f.readable)
        return {f.name: obj.get(f.name) for f in readable}


def _failure(code: str, message: str) -> dict[str, Any]:
    return {
        "success": False,
        "errors": [{"__typename": "SimpleError", "code": code, "message": message}],
        "session": None,
    }


def _invalid(field: str, message: str, record: dict[str, Any]) -> dict[str, Any]:
    error = {
        "__typename": "InvalidRecordError",
        "code": INVALID_RECORD,
        "message": f"{field} {message}" if not message.startswith(field) else message,
        "validationErrors": [{"apiIdentifier": field, "message": message}],
        "record": record,
        "model": {"apiIdentifier": "user"},
    }
    return {"success": False, "errors": [error], "session": None}
