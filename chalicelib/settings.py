"""Settings, read once from the environment (Chalice stages set them in `.chalice/config.json`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from chalicelib.access.api_keys import ApiKeys
from chalicelib.passwords import Cost
from chalicelib.store.tables import StoreConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAGE_CAP = 1000
# API Gateway answers 504 after 29 s: a request finishes its work well before that.
DEFAULT_DEADLINE_SECONDS = 25.0
DEFAULT_SESSION_IDLE_SECONDS = 7 * 24 * 3600
DEFAULT_SESSION_MAX_SECONDS = 30 * 24 * 3600


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
    # The deepest selection, the costliest query (fields, times the page sizes of the lists they
    # are in) and the largest body a request may have.
    max_query_depth: int = 12
    max_query_cost: int = 50_000
    max_body_bytes: int = 100_000
    # The SSM parameter holding the API keys' digests (deployed stages); None keeps `api_keys`.
    api_key_parameter: str | None = None

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        stage = env.get("STAGE", "local")
        schema = Path(env.get("SCHEMA", "schema.graphql"))
        keys = [env.get("ADMIN_API_KEY", "")]
        digests = [bytes.fromhex(h) for h in env.get("API_KEY_SHA256", "").split(",") if h.strip()]
        production = stage == "prod"
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
            max_query_depth=int(env.get("MAX_QUERY_DEPTH", 12)),
            max_query_cost=int(env.get("MAX_QUERY_COST", 50_000)),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", 100_000)),
            api_key_parameter=env.get("API_KEY_PARAMETER") or None,
        )


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
