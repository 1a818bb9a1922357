"""The settings of a service that sends webhooks (lending, merchant), under its own prefix:
``<SERVICE>_RUN_WEBHOOKS``, ``<SERVICE>_WEBHOOK_SECRET_KEY`` (the service's own key for its
endpoints' secrets at rest; each service names its dev default) ..."""
from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from common.settings import ServiceSettings


class WebhookSettings(ServiceSettings):
    webhook_secret_key: str
    # The webhook worker: in this process or not (production runs it in a process of its own, like
    # the relay and the consumer; one per database).
    run_webhooks: bool = True
    # Endpoints are HTTPS; only the tests and `make run` may name http://127.0.0.1 or localhost.
    webhook_allow_http_loopback: bool = False
    webhook_poll_seconds: float = Field(default=2.0, gt=0)
    webhook_batch: int = Field(default=100, ge=1, le=1000)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Retries: the first after this many seconds, doubling up to the cap, for this many hours;
    # then the delivery is marked failed (the owner can redeliver it) and the next one goes.
    webhook_backoff_seconds: float = Field(default=30.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_hours: float = Field(default=24.0, gt=0)
    # After a rotation the old secret signs too (a second v1=) for this long.
    webhook_secret_overlap_hours: float = Field(default=24.0, ge=0)

    @model_validator(mode="after")
    def _no_plain_http_in_production(self) -> Self:
        if self.env == "prod" and self.webhook_allow_http_loopback:
            raise ValueError(f"{self.env_name('webhook_allow_http_loopback')} is refused in production")
        return self
