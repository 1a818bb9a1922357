"""Settings: one pydantic-settings class per service, read from the environment.

Each service subclasses `ServiceSettings` with its own env prefix (``REGISTRY_``, ``LENDING_`` ...),
so one process environment can configure all five without clashes.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common import REPO_ROOT
from common.clock import CLOCK_FILE_ENV

# Published on purpose: these only protect a developer's laptop. Outside dev they are refused.
DEV_PII_KEY = "ZGV2LW9ubHktcGlpLWtleS1kby1ub3QtdXNlLTMyYiE="
DEV_PII_INDEX_KEY = "ZGV2LW9ubHktYmxpbmQtaW5kZXgta2V5LWRvLW5vdCE="
DEV_SERVICE_TOKEN_NOTE = "tokens are minted from var/keys in dev"


def var_dir() -> Path:
    """Where the embedded run keeps its SQLite files, keys and tokens (``CV_VAR_DIR`` overrides)."""
    return Path(os.environ.get("CV_VAR_DIR", REPO_ROOT / "var"))


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CV_", extra="ignore")

    service_name: str = "service"
    env: Literal["dev", "test", "prod"] = "dev"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = ""
    # SQLite only (the embedded run): FULL syncs every commit to disk before the 2xx, so an
    # acknowledged loan, redemption, grade or file survives a power loss. Registry, rating,
    # lending and merchant answer callers' writes and keep FULL; stats lowers it (see StatsSettings).
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # The county's Ed25519 public key (PEM text, or a file holding it) that every service verifies.
    auth_public_key: str = ""
    auth_public_key_file: str = ""
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
    pii_key: str = DEV_PII_KEY
    pii_index_key: str = DEV_PII_INDEX_KEY
    run_relay: bool = True
    run_consumer: bool = True
    consumer_max_attempts: int = 3
    log_level: str = "INFO"
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
        if self.env == "prod":
            if self.pii_key == DEV_PII_KEY or self.pii_index_key == DEV_PII_INDEX_KEY:
                raise ValueError("pii_key and pii_index_key must be set outside dev (the defaults are public)")
            if self.database_url.startswith("sqlite"):
                raise ValueError("database_url must name a PostgreSQL database outside dev")
            if os.environ.get(CLOCK_FILE_ENV):
                raise ValueError(f"{CLOCK_FILE_ENV} (the tests' movable clock) is refused in production")
            if not self.event_keys_dir:
                raise ValueError("event_keys_dir must name the directory of the event keys outside dev")
        return self

    def public_key_pem(self) -> bytes:
        if self.auth_public_key:
            return self.auth_public_key.encode()
        return Path(self.auth_public_key_file).read_bytes()
