from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from common.settings import DEV_LENDING_WEBHOOK_KEY, ServiceSettings


class LendingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LENDING_", extra="ignore")

    service_name: str = "lending"
    port: int = 8003
    # Lending's one key (32 random bytes, base64): it encrypts the banks' webhook secrets at rest.
    secret_keys: ClassVar[tuple[str, ...]] = ("webhook_secret_key",)
    webhook_secret_key: str = DEV_LENDING_WEBHOOK_KEY
    # The change feed: a bank hears of a household it looked up (was shown a grade of) or applied
    # for within this many days, besides those it lends to or has an open application from.
    feed_relationship_days: int = Field(default=90, ge=1, le=3660)
    # How often the worker below records the lines whose term ran out (kind ``expired``).
    feed_expiry_check_seconds: float = Field(default=600.0, gt=0)
    # The webhook worker (lending.webhooks.worker, which also records expiries): in this process or not (production runs it
    # in a process of its own, like the relay and the consumer).
    run_webhooks: bool = True
    # Endpoints are HTTPS; only the tests and `make run` may name http://127.0.0.1 or localhost.
    webhook_allow_http_loopback: bool = False
    webhook_poll_seconds: float = Field(default=2.0, gt=0)
    webhook_batch: int = Field(default=100, ge=1, le=1000)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Retries: the first after this many seconds, doubling up to the cap, for this many hours;
    # then the delivery is marked failed (the bank can redeliver it) and the next one goes.
    webhook_backoff_seconds: float = Field(default=30.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_hours: float = Field(default=24.0, gt=0)
    # After a rotation the old secret signs too (a second v1=) for this long.
    webhook_secret_overlap_hours: float = Field(default=24.0, ge=0)

    @model_validator(mode="after")
    def _no_plain_http_in_production(self) -> "LendingSettings":
        if self.env == "prod" and self.webhook_allow_http_loopback:
            raise ValueError(f"{self.env_name('webhook_allow_http_loopback')} is refused in production")
        return self
