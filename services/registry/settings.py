from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    service_name: str = "registry"
    port: int = 8001
    # How often the expiry job lifts negative-list records whose expires_on has come.
    expire_interval_seconds: float = Field(default=300, gt=0)
