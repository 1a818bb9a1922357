from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import DEV_LENDING_WEBHOOK_KEY
from common.webhooks.settings import WebhookSettings


class LendingSettings(WebhookSettings):
    """Lending's settings; its webhook worker's (``LENDING_RUN_WEBHOOKS``, ``LENDING_WEBHOOK_*``)
    are common.webhooks.settings'. The worker (lending.webhooks.worker) also records expiries."""

    model_config = SettingsConfigDict(env_prefix="LENDING_", extra="ignore")

    service_name: str = "lending"
    port: int = 8003
    # Lending's one key (32 random bytes, base64): it encrypts the banks' webhook secrets at rest.
    secret_keys: ClassVar[tuple[str, ...]] = ("webhook_secret_key",)
    webhook_secret_key: str = DEV_LENDING_WEBHOOK_KEY
    # The change feed: a bank hears of a household it looked up (was shown a grade of) or applied
    # for within this many days, besides those it lends to or has an open application from.
    feed_relationship_days: int = Field(default=90, ge=1, le=3660)
    # How often the webhook worker records the lines whose term ran out (kind ``expired``).
    feed_expiry_check_seconds: float = Field(default=600.0, gt=0)
