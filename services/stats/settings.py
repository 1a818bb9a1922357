from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class StatsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STATS_", extra="ignore")

    service_name: str = "stats"
    port: int = 8005
