from typing import Literal

from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class StatsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STATS_", extra="ignore")

    service_name: str = "stats"
    port: int = 8005
    # A read model: it acknowledges no caller's write, and its consumer positions commit in the
    # same transaction as its rows, so the few commits a power loss can take under NORMAL are read
    # again from the broker (from the stored positions). NORMAL spares an fsync per batch.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "NORMAL"
    # Small-area suppression (小区域抑制): counts below this are shown as suppressed, never as 0.
    suppression_threshold: int = 5
    # Suppress for every caller unless the token or the request asks (a token claim can only add it).
    suppress_by_default: bool = False
    # Keep rendered answers until the read model's generation moves (one small query per request).
    answer_cache: bool = True
