from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import DEV_PII_INDEX_KEY, DEV_PII_KEY, ServiceSettings
from registry.imports.parsing import Limits


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    service_name: str = "registry"
    port: int = 8001
    # The ID-number keys, the registry's alone: AES-256-GCM of the files' personal data and the
    # HMAC blind index that finds a subject by ID number (32 random bytes each, base64).
    secret_keys: ClassVar[tuple[str, ...]] = ("pii_key", "pii_index_key")
    pii_key: str = DEV_PII_KEY
    pii_index_key: str = DEV_PII_INDEX_KEY
    # The neutral base of the 0–100 civility scale (乡风文明评分) for the shipped catalogue and for a
    # new catalogue that does not state its own; each catalogue version keeps the base it was made with.
    civility_base: int = Field(80, ge=0, le=100)
    # How often the expiry job lifts negative-list records whose expires_on has come.
    expire_interval_seconds: float = Field(default=300, gt=0)
    # What one import of household files may hold (``POST /v1/imports``, the CLI): checked while the
    # file is first read, before anything is built from it.
    import_max_bytes: int = Field(default=64 << 20, gt=0)
    import_max_rows: int = Field(default=200_000, gt=0)
    import_max_columns: int = Field(default=64, gt=0)
    import_max_cells: int = Field(default=8_000_000, gt=0)
    import_max_unzipped_bytes: int = Field(default=512 << 20, gt=0)
    # A finished import job (and the rows it refused) is kept this long, then purged by the expiry
    # job: the county reads a job's outcome within days, and every import must not stay for ever.
    import_job_ttl_days: int = Field(default=90, gt=0)

    def import_limits(self) -> Limits:
        return Limits(max_bytes=self.import_max_bytes, max_rows=self.import_max_rows,
                      max_columns=self.import_max_columns, max_cells=self.import_max_cells,
                      max_unzipped_bytes=self.import_max_unzipped_bytes)
