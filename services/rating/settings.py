from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class RatingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RATING_", extra="ignore")

    service_name: str = "rating"
    port: int = 8002
