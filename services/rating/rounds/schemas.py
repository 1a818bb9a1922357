"""Rating rounds (评级轮次) payloads."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str = Field(pattern=r"^\d{6,15}$", description="county, town, village or group code")
    kinds: list[Literal["household", "new_entity", "collective"]] = Field(
        default=["household", "new_entity", "collective"], min_length=1)


class SkippedOut(BaseModel):
    no_consent: int = Field(description="subjects without consent to rating: not rated")


class RoundSummaryOut(BaseModel):
    """What a finished round did."""

    rated: int
    skipped: SkippedOut
    grades: dict[str, int] = Field(description="subjects per grade, AAA to D")
    credit_subjects: int = Field(description="rated A or better")
    vetoed: int
    compared_with_final: dict[str, int] = Field(description="against each subject's final grade before: new, same, "
                                                            "up, down (only the moves that happened)")
    finalised: int
    publication_days: int
    villages_recomputed: int


class RoundOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "5c0f5e0e-8a53-4c1e-9d0a-6e1f7b2c9d11", "region": "341181100", "kinds": ["household"],
        "status": "done", "total": 60, "done": 60, "progress": 1.0, "summary": {
            "rated": 60, "skipped": {"no_consent": 0}, "grades": {"AAA": 10, "AA": 20, "A": 20, "B": 5, "C": 3, "D": 2},
            "credit_subjects": 50, "vetoed": 1, "compared_with_final": {"new": 60}, "finalised": 60,
            "publication_days": 0, "villages_recomputed": 2},
        "error": None, "started_by": "officer-tc", "started_at": "2026-11-25T08:00:00+00:00",
        "finished_at": "2026-11-25T08:00:09+00:00"}]})
    id: str
    region: str
    kinds: list[str]
    status: str = Field(description="running, done or failed")
    total: int
    done: int
    progress: float = Field(description="done over total, 0 to 1")
    summary: RoundSummaryOut | None = Field(description="once done")
    error: str | None
    started_by: str
    started_at: str
    finished_at: str | None
