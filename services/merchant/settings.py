from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import DEV_MERCHANT_CODE_KEY, DEV_MERCHANT_ROTATING_CODE_KEY, DEV_MERCHANT_WEBHOOK_KEY
from common.webhooks.settings import WebhookSettings


class MerchantSettings(WebhookSettings):
    """The merchant's settings; its webhook worker's (``MERCHANT_RUN_WEBHOOKS``, ``MERCHANT_WEBHOOK_*``)
    are common.webhooks.settings'."""

    model_config = SettingsConfigDict(env_prefix="MERCHANT_", extra="ignore")

    service_name: str = "merchant"
    port: int = 8004
    # The merchant's own keys (32 random bytes each, base64), never the registry's ID-number keys:
    # code_key encrypts the stored household codes (AES-256-GCM), rotating_code_key seals the
    # rotating codes a phone shows, webhook_secret_key encrypts the merchants' webhook secrets.
    secret_keys: ClassVar[tuple[str, ...]] = ("code_key", "rotating_code_key", "webhook_secret_key")
    code_key: str = DEV_MERCHANT_CODE_KEY
    rotating_code_key: str = DEV_MERCHANT_ROTATING_CODE_KEY
    webhook_secret_key: str = DEV_MERCHANT_WEBHOOK_KEY
    # How often the in-memory disclosure queue is written (seconds).
    disclosure_flush_seconds: float = 0.1
    # The grade-change feed: a merchant hears of the households it served (redeemed at it, or was
    # shown their grade) within this many days.
    grade_feed_relationship_days: int = Field(default=90, ge=1, le=3660)
    # Lifetime of a rotating code shown by a phone app (seconds).
    rotating_code_seconds: int = 60
