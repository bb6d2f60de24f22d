"""Settings from the environment. Nothing else in shipgraph reads ``os.environ``.

Every name is in ARCHITECTURE.md's configuration table, prefixed ``SHIPGRAPH_``.
pydantic-settings validates them at start-up; ``load_settings`` turns a bad value
into one readable ``ConfigError`` that names the variable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "SHIPGRAPH_"


class ConfigError(Exception):
    """A setting is missing or has a bad value; the message names the variable."""


def parse_api_keys(raw: str) -> dict[str, str]:
    """``tenant:key,tenant2:key2`` -> {key: tenant}. Keys must be unique.

    Errors say which entry is wrong (its position) but never echo it: an entry
    without a colon may well be a bare key, and the message goes to stderr and logs.
    """
    keys: dict[str, str] = {}
    for position, entry in enumerate(raw.split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        tenant, sep, key = entry.partition(":")
        tenant, key = tenant.strip(), key.strip()
        if not sep or not tenant or not key:
            raise ValueError(f"entry {position} is not tenant:key")
        if key in keys:
            raise ValueError(
                f"entry {position}: the key of tenant {tenant!r} is also the key of {keys[key]!r}"
            )
        keys[key] = tenant
    return keys


class _Masked(str):
    """Shown as is by repr(): a description standing in for a secret value."""

    def __repr__(self) -> str:
        return f"<{self}>"


def _hide_password(url: str) -> str:
    """``redis://user:secret@host/0`` -> ``redis://user:**********@host/0``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:**********@{host}"))


DEFAULT_DATABASE_FILE = "shipgraph.sqlite3"
"""Where `shipgraph serve` keeps its records when SHIPGRAPH_DATABASE_URL is unset."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    redis_url: str | None = None
    redis_max_connections: int = Field(default=50, ge=2, le=10_000)
    """Redis connections per gateway process, one pool shared by the cache, the event
    bus (which keeps one for pub/sub), the breakers and the rate budgets."""
    redis_pool_wait_s: float = Field(default=5.0, gt=0, le=60)
    """How long a command waits for a pooled connection to come free; past it the
    request is answered SERVICE_UNAVAILABLE, "connection pool is exhausted"."""
    redis_timeout_s: float = Field(default=2.0, gt=0, le=60)
    """How long one Redis command (or connect) may take before Redis counts as down."""
    database_url: str | None = None
    """The SQL database of record: ``postgresql+asyncpg://...`` in production, or
    ``sqlite+aiosqlite:///path/to/file.db`` embedded (``sqlite+aiosqlite:///:memory:``
    keeps it in the process's memory). Unset: the SQLite file DEFAULT_DATABASE_FILE in
    the working directory (`shipgraph dev`: in memory). Its schema is made and kept
    current by ``shipgraph db upgrade``."""
    database_max_connections: int = Field(default=20, ge=1, le=1_000)
    """Database connections per gateway process (one pool; a SQLite database in memory
    has one). Mind PostgreSQL's max_connections across all replicas."""
    database_pool_wait_s: float = Field(default=5.0, gt=0, le=60)
    """How long a request waits for a pooled database connection; past it the request
    is answered SERVICE_UNAVAILABLE (a webhook 503 with Retry-After)."""
    api_keys: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """Bearer key -> tenant."""

    envio_base_url: AnyHttpUrl = AnyHttpUrl("https://api.envio.co.id/sandbox")
    envio_api_key: SecretStr | None = None
    envio_webhook_token: SecretStr | None = None

    borzo_base_url: AnyHttpUrl = AnyHttpUrl(
        "https://robotapitest-id.borzodelivery.com/api/business/1.6"
    )
    borzo_auth_token: SecretStr | None = None
    borzo_callback_secret: SecretStr | None = None

    entrego_base_url: AnyHttpUrl = AnyHttpUrl("https://api-sandbox.entrego.org")
    entrego_core_url: AnyHttpUrl = AnyHttpUrl("https://api-core-staging.entrego.org")
    entrego_access_key: SecretStr | None = None
    entrego_secret_key: SecretStr | None = None
    entrego_webhook_token: SecretStr | None = None

    envoy_base_url: AnyHttpUrl = AnyHttpUrl("https://api.envoy.one")
    envoy_access_token: SecretStr | None = None
    envoy_webhook_secret: SecretStr | None = None

    carrier_timeout_s: float = Field(default=10.0, gt=0, le=300)
    courier_poll_s: float = Field(default=5.0, gt=0, le=300)
    """How often courierLocation asks the carrier, per shipment watched."""
    location_cache_ttl_s: float = Field(default=86_400, gt=0)
    """How long Location API answers are kept (a stale copy is kept 7 times longer)."""
    breaker_failures: int = Field(default=5, ge=1, le=1000)
    """Failures in a row (no answer, 5xx) that open a carrier's circuit breaker."""
    breaker_reset_s: float = Field(default=30.0, gt=0, le=3600)
    """How long an open breaker refuses calls before it lets a probe through."""
    otel_enabled: bool = False
    """OpenTelemetry spans per GraphQL operation and carrier call (extra ``otel``)."""
    poll_s: float = Field(default=300.0, ge=0, le=86_400)
    """How often each active shipment is refreshed from its carrier when no webhook
    said anything for that long (one poll per interval across all replicas sharing
    the database); 0 turns the tracking poller off."""

    http_keep_alive_s: int = Field(default=5, ge=1, le=300)
    """How long an idle keep-alive connection stays open between requests."""
    http_request_read_s: float = Field(default=10.0, gt=0, le=300)
    """How long a client has to send a whole request (headers and body) once it
    connects or starts one; a connection idle or half-sent that long is closed."""
    http_max_header_bytes: int = Field(default=65_536, ge=1_024, le=1_048_576)
    """The most a request line and headers may take (431 past it)."""
    ws_init_wait_s: float = Field(default=10.0, gt=0, le=300)
    """How long a WebSocket may stay open without ``connection_init`` (closed 4408)."""

    max_body_bytes: int = Field(default=1_000_000, gt=0)
    max_query_depth: int = Field(default=12, gt=0)
    max_aliases: int = Field(default=30, gt=0)
    max_tokens: int = Field(default=2_000, gt=0)
    max_fields: int = Field(default=2_000, gt=0)
    """Fields of one operation once its fragments are expanded (schema/limits.py)."""
    graphiql: bool = False
    log_level: str = "INFO"

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite:///")):
            raise ValueError("must start with postgresql+asyncpg:// or sqlite+aiosqlite:///")
        query = parse_qs(urlsplit(value).query)
        if value.startswith("postgresql") and "sslmode" in query:
            # asyncpg takes no libpq sslmode: SQLAlchemy would hand it on, and it fails
            raise ValueError("asyncpg takes ssl=require (or ssl=verify-full), not sslmode=")
        return value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _api_keys(cls, value: object) -> object:
        return parse_api_keys(value) if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """repr() and str() show no secret: API keys (plain dict keys, for lookups)
        and a password in the Redis or database URL are masked like the SecretStr fields."""
        for name, value in super().__repr_args__():
            if name == "api_keys" and isinstance(value, dict):
                yield name, _Masked(f"{len(value)} keys for {sorted(set(value.values()))}")
            elif name in ("redis_url", "database_url") and isinstance(value, str):
                yield name, _hide_password(value)
            else:
                yield name, value

    def database(self) -> str:
        """The database URL in use: SHIPGRAPH_DATABASE_URL, or the embedded file."""
        return self.database_url or f"sqlite+aiosqlite:///{DEFAULT_DATABASE_FILE}"

    def base_url(self, url: AnyHttpUrl) -> str:
        """A configured base URL without a trailing slash, ready to append paths."""
        return str(url).rstrip("/")


def load_settings(**overrides: object) -> Settings:
    """Read the environment (plus explicit overrides) or raise ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ENV_PREFIX + "_".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError("bad configuration:\n  " + "\n  ".join(problems)) from None
