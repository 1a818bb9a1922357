from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class LendingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LENDING_", extra="ignore")

    service_name: str = "lending"
    port: int = 8003
