"""Request and response shapes of ratings."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rating.ratings.models import CurrentGrade, Rating


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_id: str = Field(min_length=1, max_length=80)
    publish: bool = Field(default=True, description="publish (公示) at once; false leaves it proposed")


def rating_out(r: Rating) -> dict[str, Any]:
    return {"id": r.id, "subject_id": r.subject_id, "kind": r.kind,
            "region": {"county": r.county, "town": r.town, "village": r.village},
            "score": f"{r.score:.2f}", "grade": r.grade, "vetoed": r.vetoed, "reasons": r.reasons,
            "indicator_system_version": r.indicator_system_version, "status": r.status, "disputed": r.disputed,
            "trigger": r.trigger, "round_id": r.round_id, "created_at": r.created_at.isoformat(),
            "published_at": r.published_at.isoformat() if r.published_at else None,
            "publication_ends_at": r.publication_ends_at.isoformat() if r.publication_ends_at else None,
            "finalised_at": r.finalised_at.isoformat() if r.finalised_at else None}


def grade_out(g: CurrentGrade) -> dict[str, Any]:
    return {"subject_id": g.subject_id, "kind": g.kind, "grade": g.grade, "score": f"{g.score:.2f}",
            "vetoed": g.vetoed, "credit_village": g.credit_village, "version": g.version, "reason": g.reason,
            "rating_id": g.rating_id, "metrics": g.metrics, "effective_at": g.effective_at.isoformat(),
            "region": {"county": g.county, "town": g.town, "village": g.village}}
