from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    service_name: str = "registry"
    port: int = 8001
    # The neutral base of the 0–100 civility scale (乡风文明评分) for the shipped catalogue and for a
    # new catalogue that does not state its own; each catalogue version keeps the base it was made with.
    civility_base: int = Field(80, ge=0, le=100)
    # How often the expiry job lifts negative-list records whose expires_on has come.
    expire_interval_seconds: float = Field(default=300, gt=0)
