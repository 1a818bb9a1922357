from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class RatingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RATING_", extra="ignore")

    service_name: str = "rating"
    port: int = 8002
    # Publication (公示) before a grade becomes final; 0 finalises at once (tests, demo).
    publication_days: float = Field(default=7, ge=0)
    # Objections (异议) are answered in writing within this many days.
    objection_answer_days: int = Field(default=20, ge=1)
    # How often the finaliser looks for publications that have ended.
    finalise_interval_seconds: float = Field(default=60, gt=0)
    # Rating rounds work in chunks of this many subjects (bounded memory, one transaction each).
    round_chunk_size: int = Field(default=2000, ge=10, le=20000)
    # A chunk of at least this many subjects (a round's scoring, a finalisation's events) is worked
    # out in worker processes (``common.cpu``: other cores, and the event loop keeps serving a veto
    # meanwhile); a smaller one, not worth the pickling, in a thread.
    cpu_workers_from: int = Field(default=1000, ge=0)
    # Finalising ended publications reads and works out chunks of this many ratings ahead of the
    # writer, which writes each in transactions of lifecycle.WRITE_BATCH (1,000): a veto raised
    # meanwhile waits for one of those (SQLite's one writer, taken in turns). Measured in
    # bench/county_round.py, chunks of 2,000 took finalisation from 24 s to 43 s for no better p99.
    finalise_chunk_size: int = Field(default=5000, ge=10, le=20000)
    # Credit village (信用村) and credit town (信用镇) policy (DOMAIN.md defaults).
    credit_village_household_share: Decimal = Decimal("0.70")
    credit_village_on_time_share: Decimal = Decimal("0.85")
    credit_village_max_npl_share: Decimal = Decimal("0.05")
    credit_town_village_share: Decimal = Decimal("0.50")
    points_base: int = 1000
