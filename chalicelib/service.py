"""The service of one stage: schema, tables and executable API, built once per process."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from graphql import GraphQLError

from chalicelib import passwords
from chalicelib.access.context import RequestContext, authenticate
from chalicelib.access.permissions import readable
from chalicelib.accounts.api import AccountApi
from chalicelib.api.documents import Documents
from chalicelib.api.execution import GraphQLResponse, bad_request, execute
from chalicelib.api.limits import cost_limit, depth_limit
from chalicelib.api.schema import build_schema
from chalicelib.errors import ApiError, unavailable
from chalicelib.files.api import FilesApi
from chalicelib.files.service import Files
from chalicelib.hooks.api import HooksApi, Joined
from chalicelib.hooks.module import load_hooks
from chalicelib.mail.message import Sender
from chalicelib.mail.senders import MailSettingsError, sender_for
from chalicelib.query.loader import Loader
from chalicelib.ratelimit.answer import too_many_requests
from chalicelib.ratelimit.callers import caller_key
from chalicelib.ratelimit.limiter import Limiter
from chalicelib.ratelimit.quota import Quota
from chalicelib.ratelimit.windows import WindowCounts
from chalicelib.schema import load_schema_file
from chalicelib.schema.registry import SESSION_MODEL
from chalicelib.sessions.api import SessionApi
from chalicelib.sessions.store import Lifetime, SessionStore
from chalicelib.sessions.throttle import LoginThrottle
from chalicelib.settings import Settings, StartupError, stage_cursors
from chalicelib.store.backoff import GaveUp, deadline
from chalicelib.store.records import RecordStore
from chalicelib.store.tables import Tables


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # First: a stage without its secret stops here, before any other work.
        self.cursors = stage_cursors(settings)
        passwords.configure(settings.password_cost)
        self.registry = load_schema_file(settings.schema_path)
        self.tables = Tables(self.registry, settings.store)
        self.store = RecordStore(self.tables)
        self.sessions: SessionStore | None = None
        session_api: SessionApi | None = None
        if SESSION_MODEL in self.registry.models:
            lifetime = Lifetime(settings.session_idle_seconds, settings.session_max_seconds)
            self.sessions = SessionStore(self.registry, self.store, lifetime)
            session_api = SessionApi(
                self.registry, self.store, self.sessions, LoginThrottle(self.tables.throttle), settings.page_cap
            )
        # How the account lifecycle's email goes out (tests and `make run` read the outbox through it).
        self.sender: Sender | None = None
        accounts: AccountApi | None = None
        if session_api is not None:
            try:
                sender = sender_for(
                    settings.mail_sender, settings.mail_from, settings.store.region, settings.outbox_dir
                )
            except MailSettingsError as error:
                raise StartupError(str(error)) from None
            self.sender = sender
            mail_counts = WindowCounts(
                self.tables.connection.client,
                self.tables.throttle.Meta.table_name,
                settings.accounts.mail_window_seconds,
            )
            mail_limit = Quota(mail_counts, settings.accounts.mail_limit, "mail")
            accounts = AccountApi(self.registry, self.store, sender, settings.accounts, mail_limit)
        # The team's Python beside the schema: a broken module stops the start here, in one line.
        self.hooks = load_hooks(settings.schema_path, self.registry, self.store)
        # File fields' bytes are in the stage's bucket: only a schema with one has a bucket.
        self.files: Files | None = None
        files_api: FilesApi | None = None
        if self.registry.has_files:
            self.files = Files(settings.files, settings.bucket, settings.store.region, self.cursors, self.tables)
            files_api = FilesApi(self.registry, self.store, self.files)
        try:
            extension = Joined(session_api, accounts, HooksApi(self.hooks), files_api)
            self.schema = build_schema(self.registry, self.store, settings.page_cap, extension)
        except (GraphQLError, TypeError) as error:
            # Only `extend type` can get here: the generated SDL is valid by construction.
            message = error.message if isinstance(error, GraphQLError) else str(error)
            raise StartupError(f"{settings.schema_path}: extend type: {' '.join(message.split())}") from None
        self.hooks.schema = self.schema
        # Production guards: refused at validation, so a refused operation reads nothing.
        self.rules = (depth_limit(settings.max_query_depth), cost_limit(settings.max_query_cost))
        self.documents = Documents(self.schema)
        self.limiter: Limiter | None = None
        if settings.rate_limits is not None:
            counts = WindowCounts(
                self.tables.connection.client, self.tables.throttle.Meta.table_name, settings.rate_limits.window_seconds
            )
            self.limiter = Limiter(settings.rate_limits, counts)

    def handle(
        self,
        data: Any,
        headers: Mapping[str, str],
        *,
        queries_only: bool = False,
        at: float | None = None,
        address: str | None = None,
    ) -> GraphQLResponse:
        """Runs one request; `at` (a time.monotonic() value) is its deadline when it shares one
        with others (a batch), else it has `Settings.deadline_seconds` from now. `address`: the
        client's, which an anonymous request's rate limit counts by."""
        at = time.monotonic() + self.settings.deadline_seconds if at is None else at
        with deadline(at):
            try:
                return self._handle(data, headers, at, queries_only, address)
            except GaveUp:
                # Only the session lookup gets here: GraphQL execution reports it as the field's error.
                busy = unavailable()
                return bad_request(busy.message, busy.code, status=503)

    def _handle(
        self, data: Any, headers: Mapping[str, str], at: float, queries_only: bool, address: str | None
    ) -> GraphQLResponse:
        try:
            context, token = authenticate(headers, self.settings.api_keys)
        except ApiError as error:
            return bad_request(error.message, error.code, status=401)
        if token is not None and self.sessions is not None:
            session = self.sessions.authenticate(token)
            if session is not None:
                context.session = session
                context.user_id = session.get("user")
                context.roles = frozenset(session.get("roles") or ())
        # Once the caller is known, before any work: a refused request reads and writes nothing.
        caller = caller_key(context, headers, address) if self.limiter is not None else None
        if caller is not None and self.limiter is not None:
            decision = self.limiter.admit(caller)
            if not decision.admitted:
                return too_many_requests(decision.retry_after)
        return self._execute(data, context, at, queries_only)

    def handle_as(self, data: Any, context: RequestContext) -> GraphQLResponse:
        """Runs one request as a caller already known (a WebSocket connection's subscriber)."""
        at = time.monotonic() + self.settings.deadline_seconds
        with deadline(at):
            try:
                return self._execute(data, replace(context, response_headers={}), at, queries_only=False)
            except GaveUp:
                busy = unavailable()
                return bad_request(busy.message, busy.code, status=503)

    def _execute(self, data: Any, context: RequestContext, at: float, queries_only: bool) -> GraphQLResponse:
        context.loader = Loader(
            self.registry, self.store, partial(readable, context), self.settings.page_cap, self.cursors
        )
        context.deadline = at
        context.hooks = self.hooks if self.hooks.declared else None
        context.files = self.files
        if isinstance(data, dict) and isinstance(data.get("variables"), dict):
            context.variables = data["variables"]
        # The roles the request came with (an action such as logInViaEmail may change them).
        roles = tuple(sorted(context.roles))
        response = execute(
            self.schema,
            data,
            context,
            queries_only=queries_only,
            introspection=self.settings.introspection,
            rules=self.rules,
            documents=self.documents,
        )
        return replace(response, roles=roles)
