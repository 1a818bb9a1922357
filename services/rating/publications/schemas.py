"""Shapes of the publication list (公示名单), in JSON and as a printable CSV with Chinese headers."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.clock import BEIJING

# published: on publication now (公示中); final: the subject's current final grade (已生效);
# disputed: an objection was filed (有异议), so it does not become final until answered.
PublicationStatus = Literal["published", "final", "disputed"]
STATUS_ZH = {"published": "公示中", "final": "已生效", "disputed": "有异议"}
KIND_ZH = {"household": "农户", "new_entity": "新型农业经营主体", "collective": "村集体经济组织"}


class PublicationItem(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rating_id": 1042, "subject_id": "hh-3a9f", "kind": "household", "masked_name": "张*", "county": "341181",
        "town": "341181100", "village": "341181100201", "grade": "AA", "score": "86.50", "vetoed": False,
        "status": "published", "publication_starts_at": "2026-11-25T08:00:00Z",
        "publication_ends_at": "2026-12-02T08:00:00Z", "objection_deadline": "2026-12-02T08:00:00Z",
        "finalised_at": None, "open_objections": 0, "answer_due": None}]})
    rating_id: int
    subject_id: str
    kind: str
    masked_name: str = Field(description="the head of household's (or entity's) masked name; never an ID number")
    county: str | None
    town: str | None
    village: str | None
    grade: str
    score: str = Field(description="two decimals, e.g. \"82.50\"")
    vetoed: bool
    status: PublicationStatus
    publication_starts_at: datetime | None
    publication_ends_at: datetime | None
    objection_deadline: datetime | None = Field(
        description="objections are invited until the publication ends (they are still recorded after it)")
    finalised_at: datetime | None
    open_objections: int
    answer_due: datetime | None = Field(description="the earliest written answer due on an open objection (disputed)")


class PublicationPage(BaseModel):
    region: str
    status: PublicationStatus
    items: list[PublicationItem]
    next_after: int | None = Field(description="pass as ``after`` for the next page; null on the last page")
    next: str | None = Field(description="the next page's URL; null on the last page")


CSV_HEADER = ["村(社区)代码", "户主(脱敏)", "主体类型", "等级", "得分", "公示开始", "公示截止", "异议截止", "状态",
              "答复期限"]


def _beijing(moment: datetime | None) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if moment else ""


def csv_row(item: PublicationItem) -> list[str]:
    """One printable line; times in Beijing time (北京时间)."""
    return [item.village or item.town or "", item.masked_name, KIND_ZH.get(item.kind, item.kind), item.grade,
            item.score, _beijing(item.publication_starts_at), _beijing(item.publication_ends_at),
            _beijing(item.objection_deadline), STATUS_ZH[item.status], _beijing(item.answer_due)]


def score_text(value: Decimal) -> str:
    return f"{value:.2f}"
