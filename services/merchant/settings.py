from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class MerchantSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MERCHANT_", extra="ignore")

    service_name: str = "merchant"
    port: int = 8004
    # How often the in-memory disclosure queue is written (seconds).
    disclosure_flush_seconds: float = 0.1
    # Lifetime of a rotating code shown by a phone app (seconds).
    rotating_code_seconds: int = 60
