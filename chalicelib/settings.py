"""Settings, read once from the environment (Chalice stages set them in `.chalice/config.json`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from chalicelib.access.api_keys import ApiKeys
from chalicelib.accounts.settings import AccountSettings
from chalicelib.files.settings import FileSettings, bucket_name
from chalicelib.http.cors import Cors
from chalicelib.parameters import read_parameter
from chalicelib.passwords import Cost
from chalicelib.query.cursors import Cursors
from chalicelib.ratelimit.limiter import RateLimits
from chalicelib.store.tables import StoreConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAGE_CAP = 1000
# API Gateway answers 504 after 29 s: a request finishes its work well before that.
DEFAULT_DEADLINE_SECONDS = 25.0
DEFAULT_SESSION_IDLE_SECONDS = 7 * 24 * 3600
DEFAULT_SESSION_MAX_SECONDS = 30 * 24 * 3600
# Apollo's BatchHttpLink sends at most 10 operations in a batch unless told otherwise.
DEFAULT_MAX_BATCH_SIZE = 10
PRODUCTION = "prod"
# Where a deployed stage's GraphiQL page loads its libraries from (chalicelib/explorer).
NPM_MIRROR = "https://cdn.jsdelivr.net/npm/"
# Written here for all to read, so it keeps no cursor from being forged: stages other than prod only.
DEVELOPMENT_CURSOR_SECRET = b"shoreline development cursor secret"


class StartupError(Exception):
    """A stage that cannot start as it is configured; the message, one line, says what to set."""


@dataclass(frozen=True)
class Settings:
    schema_path: Path
    stage: str
    store: StoreConfig
    api_keys: ApiKeys
    # The most items one request may read from a table; more is reported, never dropped silently.
    page_cap: int = DEFAULT_PAGE_CAP
    # How long one request may work (updateMany / deleteMany stop and hand back a cursor).
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    # A session ends after this long unused, and this long after it was created or logged in.
    session_idle_seconds: int = DEFAULT_SESSION_IDLE_SECONDS
    session_max_seconds: int = DEFAULT_SESSION_MAX_SECONDS
    password_cost: Cost = field(default_factory=Cost)
    # Production guards (off in prod unless configured): schema introspection, the GraphiQL page.
    introspection: bool = True
    graphiql: bool = True
    # Where GraphiQL opens its subscriptions' WebSocket; None: the page's own host and path (as
    # `make run` serves them). A deployed stage's WebSocket API has an endpoint of its own.
    graphiql_subscriptions_url: str | None = None
    # The npm mirror GraphiQL's libraries load from (chalicelib/explorer); None: the server that
    # serves the page, as the local server does (the Lambda package carries none of them).
    graphiql_libraries_url: str | None = None
    # The deepest selection, the costliest query (fields, times the page sizes of the lists they
    # are in) and the largest body a request may have.
    max_query_depth: int = 12
    max_query_cost: int = 50_000
    max_body_bytes: int = 100_000
    # The most requests one batch (a JSON array body) may hold (chalicelib/http/batch.py).
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    # Which pages on other origins may call the API, with which headers (chalicelib/http/cors.py).
    cors: Cors = field(default_factory=Cors)
    # The SSM parameter holding the API keys' digests (deployed stages); None keeps `api_keys`.
    api_key_parameter: str | None = None
    # Signs the cursors lists hand out (query/cursors.py); every instance of a stage must have the
    # same. Deployed stages keep it in an SSM parameter instead, read at the first cursor. With
    # neither, a stage other than prod signs with a development secret, and prod does not start.
    cursor_secret: str | None = field(default=None, repr=False)
    cursor_secret_parameter: str | None = None
    # Requests per caller per window (chalicelib/ratelimit/); None: no limit (what tests build).
    rate_limits: RateLimits | None = None
    # Email (chalicelib/mail/): `ses` from `mail_from`, or `outbox`, a folder of the project.
    mail_sender: str = "outbox"
    mail_from: str | None = None
    outbox_dir: Path = PROJECT_ROOT / ".outbox"
    # Password reset and email verification (chalicelib/accounts/).
    accounts: AccountSettings = field(default_factory=AccountSettings)
    # File fields' bucket and limits (chalicelib/files/).
    files: FileSettings = field(default_factory=FileSettings)

    @property
    def bucket(self) -> str:
        """The stage's bucket of file fields: `FILES_BUCKET`, else named from the table prefix."""
        return self.files.bucket or bucket_name(self.store.table_prefix)

    @property
    def ses_from(self) -> str | None:
        """The address the stage sends from through SES, if it mails through SES (its policy grants it)."""
        return self.mail_from if self.mail_sender == "ses" else None

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        stage = env.get("STAGE", "local")
        schema = Path(env.get("SCHEMA", "schema.graphql"))
        keys = [env.get("ADMIN_API_KEY", "")]
        digests = [bytes.fromhex(h) for h in env.get("API_KEY_SHA256", "").split(",") if h.strip()]
        production = stage == PRODUCTION
        prefix = env.get("TABLE_PREFIX", f"shoreline-{stage}-")
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        endpoint = env.get("AWS_ENDPOINT_URL_DYNAMODB") or None
        return cls(
            schema_path=schema if schema.is_absolute() else PROJECT_ROOT / schema,
            stage=stage,
            store=StoreConfig.at_endpoint(prefix, region, endpoint) if endpoint else StoreConfig(prefix, region),
            api_keys=ApiKeys([*ApiKeys.from_plain(keys).digests(), *digests]),
            page_cap=int(env.get("PAGE_CAP", DEFAULT_PAGE_CAP)),
            deadline_seconds=float(env.get("DEADLINE_SECONDS", DEFAULT_DEADLINE_SECONDS)),
            session_idle_seconds=int(env.get("SESSION_IDLE_SECONDS", DEFAULT_SESSION_IDLE_SECONDS)),
            session_max_seconds=int(env.get("SESSION_MAX_SECONDS", DEFAULT_SESSION_MAX_SECONDS)),
            password_cost=Cost(
                time_cost=int(env.get("ARGON2_TIME_COST", Cost.time_cost)),
                memory_kib=int(env.get("ARGON2_MEMORY_KIB", Cost.memory_kib)),
                parallelism=int(env.get("ARGON2_PARALLELISM", Cost.parallelism)),
            ),
            introspection=_flag(env.get("INTROSPECTION"), not production),
            graphiql=_flag(env.get("GRAPHIQL"), not production),
            graphiql_subscriptions_url=env.get("GRAPHIQL_SUBSCRIPTIONS_URL") or None,
            graphiql_libraries_url=_folder_url(env.get("GRAPHIQL_LIBRARIES_URL"))
            or (None if stage == "local" else NPM_MIRROR),
            max_query_depth=int(env.get("MAX_QUERY_DEPTH", 12)),
            max_query_cost=int(env.get("MAX_QUERY_COST", 50_000)),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", 100_000)),
            max_batch_size=int(env.get("MAX_BATCH_SIZE", DEFAULT_MAX_BATCH_SIZE)),
            cors=Cors.from_lists(env.get("CORS_ALLOW_ORIGINS"), env.get("CORS_ALLOW_HEADERS")),
            api_key_parameter=env.get("API_KEY_PARAMETER") or None,
            cursor_secret=env.get("CURSOR_SECRET") or None,
            cursor_secret_parameter=env.get("CURSOR_SECRET_PARAMETER") or None,
            rate_limits=_rate_limits(env),
            # Deployed stages mail through SES; the local server keeps its mail in the outbox.
            mail_sender=env.get("MAIL_SENDER") or ("outbox" if stage == "local" else "ses"),
            mail_from=env.get("MAIL_FROM") or None,
            outbox_dir=Path(env["OUTBOX_DIR"]) if env.get("OUTBOX_DIR") else PROJECT_ROOT / ".outbox",
            accounts=_accounts(env),
            files=_files(env),
        )


def _folder_url(url: str | None) -> str | None:
    """A base URL that paths are appended to, with the slash they need."""
    return url if not url or url.endswith("/") else url + "/"


def _rate_limits(env: Mapping[str, str]) -> RateLimits | None:
    """`RATE_LIMIT` requests per caller per `RATE_LIMIT_WINDOW_SECONDS` (`RATE_LIMIT_API_KEY` for
    API keys), counted in DynamoDB every `RATE_LIMIT_SYNC_EVERY` requests; `RATE_LIMIT=0`: none."""
    default = RateLimits()
    limits = RateLimits(
        requests=int(env.get("RATE_LIMIT", default.requests)),
        api_key_requests=int(env.get("RATE_LIMIT_API_KEY", default.api_key_requests)),
        window_seconds=int(env.get("RATE_LIMIT_WINDOW_SECONDS", default.window_seconds)),
        sync_every=int(env.get("RATE_LIMIT_SYNC_EVERY", default.sync_every)),
    )
    if limits.window_seconds < 1 or limits.sync_every < 1:
        raise StartupError("RATE_LIMIT_WINDOW_SECONDS and RATE_LIMIT_SYNC_EVERY must be at least 1")
    return limits if limits.requests > 0 else None


def _accounts(env: Mapping[str, str]) -> AccountSettings:
    return AccountSettings(
        reset_seconds=int(env.get("RESET_TOKEN_SECONDS", AccountSettings.reset_seconds)),
        verify_seconds=int(env.get("VERIFY_TOKEN_SECONDS", AccountSettings.verify_seconds)),
        link_url=env.get("ACCOUNT_LINK_URL") or None,
        answer_seconds=float(env.get("ACCOUNT_ANSWER_SECONDS", AccountSettings.answer_seconds)),
        mail_limit=int(env.get("ACCOUNT_MAIL_LIMIT", AccountSettings.mail_limit)),
        mail_window_seconds=_window(env, "ACCOUNT_MAIL_WINDOW_SECONDS", AccountSettings.mail_window_seconds),
    )


def _files(env: Mapping[str, str]) -> FileSettings:
    return FileSettings(
        bucket=env.get("FILES_BUCKET") or None,
        endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or None,
        max_bytes=int(env.get("FILE_MAX_BYTES", FileSettings.max_bytes)),
        upload_seconds=int(env.get("FILE_UPLOAD_SECONDS", FileSettings.upload_seconds)),
        url_seconds=int(env.get("FILE_URL_SECONDS", FileSettings.url_seconds)),
        upload_limit=int(env.get("FILE_UPLOAD_LIMIT", FileSettings.upload_limit)),
        upload_window_seconds=_window(env, "FILE_UPLOAD_WINDOW_SECONDS", FileSettings.upload_window_seconds),
    )


def _window(env: Mapping[str, str], name: str, default: int) -> int:
    """A limit's window: a whole number of seconds, at least 1 (windows are numbered by it)."""
    seconds = int(env.get(name, default))
    if seconds < 1:
        raise StartupError(f"{name} must be at least 1")
    return seconds


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def with_secrets(settings: Settings) -> Settings:
    """`settings` with the API keys of a deployed stage, read once at start-up from SSM."""
    if settings.api_key_parameter is None:
        return settings
    from chalicelib.access.api_keys import from_parameter

    return replace(settings, api_keys=from_parameter(settings.api_key_parameter, settings.store.region))


def stage_cursors(settings: Settings) -> Cursors:
    """The cursors of the stage, signed under its secret: `cursor_secret`, else the value of
    `cursor_secret_parameter`, else, outside prod, the development secret."""
    if settings.cursor_secret:
        try:
            return Cursors(settings.cursor_secret.encode())
        except ValueError as error:
            raise StartupError(f"CURSOR_SECRET: {error}") from None
    if settings.cursor_secret_parameter:
        name, region = settings.cursor_secret_parameter, settings.store.region
        return Cursors(lambda: read_parameter(name, region).strip().encode())
    if settings.stage == PRODUCTION:
        raise StartupError(
            f"stage {PRODUCTION} has no cursor secret: set CURSOR_SECRET_PARAMETER to the SSM SecureString "
            "parameter that holds it (or CURSOR_SECRET)"
        )
    return Cursors(DEVELOPMENT_CURSOR_SECRET)
