"""Settings: one pydantic-settings class per service, read from the environment.

Each service subclasses `ServiceSettings` with its own env prefix (``REGISTRY_``, ``LENDING_`` ...),
so one process environment can configure all five without clashes.
"""
from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common import REPO_ROOT
from common.clock import CLOCK_FILE_ENV

# Published on purpose: these only protect a developer's laptop. In production they are refused.
# The registry's ID-number keys (encryption, blind index), the merchant's household-code keys
# (encryption at rest, rotating codes), lending's and the merchant's webhook-secret keys (the banks'
# and merchants' signing secrets at rest); no other service holds a key.
DEV_PII_KEY = "ZGV2LW9ubHktcGlpLWtleS1kby1ub3QtdXNlLTMyYiE="
DEV_PII_INDEX_KEY = "ZGV2LW9ubHktYmxpbmQtaW5kZXgta2V5LWRvLW5vdCE="
DEV_MERCHANT_CODE_KEY = "ZGV2LW9ubHktbWVyY2hhbnQtY29kZS1rZXktMzJiISE="
DEV_MERCHANT_ROTATING_CODE_KEY = "ZGV2LW9ubHktcm90YXRpbmctY29kZS1rZXktMzJiISE="
DEV_LENDING_WEBHOOK_KEY = "ZGV2LW9ubHktbGVuZGluZy13ZWJob29rLWtleS0zMiE="
DEV_MERCHANT_WEBHOOK_KEY = "ZGV2LW9ubHktbWVyY2hhbnQtd2ViaG9vay1rZXktMzI="
DEV_KEYS = frozenset({DEV_PII_KEY, DEV_PII_INDEX_KEY, DEV_MERCHANT_CODE_KEY, DEV_MERCHANT_ROTATING_CODE_KEY,
                      DEV_LENDING_WEBHOOK_KEY, DEV_MERCHANT_WEBHOOK_KEY})
KEY_BYTES = 32
DEV_SERVICE_TOKEN_NOTE = "tokens are minted from var/keys in dev"


def var_dir() -> Path:
    """Where the embedded run keeps its SQLite files, keys and tokens (``CV_VAR_DIR`` overrides)."""
    return Path(os.environ.get("CV_VAR_DIR", REPO_ROOT / "var"))


def key_problem(value: str) -> str | None:
    """Why ``value`` is not a key (32 bytes, base64-encoded), or None if it is."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "is not base64"
    return None if len(raw) == KEY_BYTES else f"must decode to {KEY_BYTES} bytes, not {len(raw)}"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CV_", extra="ignore")
    # The fields that hold this service's keys (each 32 bytes, base64). A service that holds no
    # personal data holds no key.
    secret_keys: ClassVar[tuple[str, ...]] = ()

    service_name: str = "service"
    env: Literal["dev", "test", "prod"] = "dev"
    host: str = "127.0.0.1"
    port: int = 8000
    # When set, /metrics, /docs, /redoc, /openapi.json and the detailed /readyz are served on this
    # port (bound to internal_host) and the public port answers them 404 (common.internal).
    # Production sets it; unset, one port serves everything (the embedded run, the tests).
    internal_port: int | None = Field(default=None, ge=1, le=65535)
    internal_host: str = "127.0.0.1"
    database_url: str = ""
    # SQLite only (the embedded run): FULL syncs every commit to disk before the 2xx, so an
    # acknowledged loan, redemption, grade or file survives a power loss. Registry, rating,
    # lending and merchant answer callers' writes and keep FULL; stats lowers it (see StatsSettings).
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    # PostgreSQL only: the connections a process keeps open, and how many more a burst may open
    # (closed again as soon as they are returned). A request holds one at a time (the caller gate's
    # read, the Idempotency-Key claim and its own transaction come one after the other), and the
    # relay, the consumer, the disclosure log and the webhook sender one each: a pool smaller than
    # the requests in flight plus those opened and closed a connection per request under load (a
    # backend started, a TLS try, type introspection; 10 did so at 16 bank and POS requests in
    # flight). Pods times (pool + overflow) must stay under the server's max_connections.
    db_pool_size: int = Field(default=24, ge=1)
    db_max_overflow: int = Field(default=16, ge=0)
    kafka_bootstrap: str = "127.0.0.1:9092"
    # The county's Ed25519 public key (PEM text, or a file holding it) that every service verifies.
    auth_public_key: str = ""
    auth_public_key_file: str = ""
    # The console's household-issuer public key (PEM text or file): trusted for household tokens only.
    # Default: var/keys/household-issuer-public.pem when it exists (the embedded run makes it).
    auth_household_issuer_key: str = ""
    auth_household_issuer_key_file: str = ""
    # The producers' event keys (common.events.signing): this service's private key if it produces
    # events, every producer's public key. Default: var/keys/events, made for the embedded run.
    event_keys_dir: str = ""
    # Tokens: the clock difference tolerated, the longest lifetime accepted, and the denylist of
    # revoked token ids (a file the county keeps, read again within refresh seconds of a change).
    auth_leeway_seconds: int = 30
    auth_max_token_seconds: int = 12 * 3600
    auth_denylist_file: str = ""
    auth_denylist_refresh_seconds: float = 1.0
    # This service's own identity when it calls another one (a service token, kept fresh in the file).
    service_token: str = ""
    service_token_file: str = ""
    run_relay: bool = True
    run_consumer: bool = True
    consumer_max_attempts: int = 3
    log_level: str = "INFO"
    # The language of problem documents for a caller whose Accept-Language names neither zh-CN nor
    # en (common.i18n): the county's own, Chinese in the demo county.
    language: Literal["zh-CN", "en"] = "zh-CN"
    # A stored Idempotency-Key (and its response) counts for this long, then it is deleted (checked
    # every ``idempotency_purge_interval_seconds``); a key older than this is a new request.
    idempotency_ttl_hours: float = Field(default=24, gt=0)
    idempotency_purge_interval_seconds: float = Field(default=600, gt=0)
    # Base URLs of the other services, for the few questions that must be asked over HTTP.
    registry_url: str = "http://127.0.0.1:8001"
    rating_url: str = "http://127.0.0.1:8002"
    lending_url: str = "http://127.0.0.1:8003"
    merchant_url: str = "http://127.0.0.1:8004"
    stats_url: str = "http://127.0.0.1:8005"

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{var_dir() / (self.service_name + '.db')}"
        if not self.event_keys_dir and self.env != "prod":
            self.event_keys_dir = str(var_dir() / "keys" / "events")
        if not self.auth_public_key and not self.auth_public_key_file:
            self.auth_public_key_file = str(var_dir() / "keys" / "county-public.pem")
        if not self.auth_denylist_file:
            self.auth_denylist_file = str(var_dir() / "keys" / "revoked-tokens.txt")
        if not self.service_token and not self.service_token_file:
            self.service_token_file = str(var_dir() / "tokens" / f"{self.service_name}.token")
        if self.internal_port is not None and self.internal_port == self.port:
            raise ValueError(f"{self.env_name('internal_port')} must differ from {self.env_name('port')}")
        self._check_keys()
        if self.env == "prod":
            if self.database_url.startswith("sqlite"):
                raise ValueError("database_url must name a PostgreSQL database outside dev")
            if os.environ.get(CLOCK_FILE_ENV):
                raise ValueError(f"{CLOCK_FILE_ENV} (the tests' movable clock) is refused in production")
            if not self.event_keys_dir:
                raise ValueError("event_keys_dir must name the directory of the event keys outside dev")
        return self

    def pool_options(self) -> dict[str, int]:
        """The engine's pool for ``common.db.Database`` (SQLite keeps its own defaults)."""
        if self.database_url.startswith("sqlite"):
            return {}
        return {"pool_size": self.db_pool_size, "max_overflow": self.db_max_overflow}

    def env_name(self, field: str) -> str:
        """The environment variable that sets ``field`` (what an operator looks for in an error)."""
        return f"{self.model_config.get('env_prefix', '')}{field}".upper()

    def _check_keys(self) -> None:
        """Every key decodes to 32 bytes; in production none is a published default and no two are
        the same (one key per purpose: a leak or a rotation of one leaves the others)."""
        published = {base64.b64decode(key) for key in DEV_KEYS}
        seen: dict[bytes, str] = {}
        for field in self.secret_keys:
            value: str = getattr(self, field)
            problem = key_problem(value)
            if problem:
                raise ValueError(f"{self.env_name(field)} {problem} (32 random bytes, base64-encoded)")
            if self.env != "prod":
                continue
            raw = base64.b64decode(value)
            if raw in published:
                raise ValueError(f"{self.env_name(field)} is a published development key: set a key of its own")
            if raw in seen:
                raise ValueError(f"{self.env_name(field)} is the same key as {seen[raw]}: each purpose has its own key")
            seen[raw] = self.env_name(field)

    def public_key_pem(self) -> bytes:
        if self.auth_public_key:
            return self.auth_public_key.encode()
        return Path(self.auth_public_key_file).read_bytes()

    def household_issuer_pem(self) -> bytes:
        """The console's household-issuer public key, or nothing (no household page then)."""
        if self.auth_household_issuer_key:
            return self.auth_household_issuer_key.encode()
        path = Path(self.auth_household_issuer_key_file or var_dir() / "keys" / "household-issuer-public.pem")
        return path.read_bytes() if path.is_file() else b""
