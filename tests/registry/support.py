"""Test data for the registry: valid ID-card numbers, registration numbers, a demo region tree."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select

from common.auth import Role
from common.events.topics import lanes
from common.pii import id_check_char
from common.tables import outbox_events
from registry.subjects.schemas import uscc_check_char
from tests.harness import Keys, RunningService, start_service

COUNTY = "341181"
TOWN_A, TOWN_B = "341181100", "341181101"
VILLAGE_A, VILLAGE_A2, VILLAGE_B = "341181100201", "341181100202", "341181101201"
GROUP_A = "341181100201001"


def id_number(seq: int, birth: str = "19800101", area: str = COUNTY) -> str:
    first = f"{area}{birth}{seq % 1000:03d}"
    return first + id_check_char(first)


def uscc(seq: int) -> str:
    first = f"93341181MA{seq:07d}"
    return first + uscc_check_char(first)


def household(seq: int, village: str = VILLAGE_A, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "household", "village": village,
        "head": {"name": "张德明", "id_number": id_number(seq), "phone": "13912345678",
                 "political_status": "party_member", "education": "senior", "labour": True},
        "members": [{"name": "李秀英", "id_number": id_number(seq + 500, "19820305"), "relation": "spouse",
                     "education": "junior", "labour": True},
                    {"name": "张小军", "relation": "child", "education": "college"}],
        "assets": [{"category": "land", "quantity": "12.50", "unit": "mu", "unit_value": "1200.00"},
                   {"category": "machinery", "description": "tractor", "quantity": "1", "unit": "set",
                    "unit_value": "35000.00"}],
        "debts": [{"lender_type": "bank", "outstanding": "50000.00"},
                  {"lender_type": "private", "outstanding": "8000.00", "overdue_months": 2}],
        "profile": {"annual_income": "86000.00", "industry": "fox-nut (芡实) growing", "production_years": 8,
                    "pboc_report_clean": True},
        "consent": {"given": True, "date": "2026-03-01", "scopes": ["rating", "lending"]},
    }
    body.update(over)
    return body


ADMIN = {"role": Role.admin}


async def seed_regions(svc: RunningService, keys: Keys) -> None:
    h = keys.headers(Role.admin)
    for code, name in [(COUNTY, "天长市"), (TOWN_A, "秦栏镇"), (TOWN_B, "汊涧镇"), (VILLAGE_A, "徐集村"),
                       (VILLAGE_A2, "白塔村"), (VILLAGE_B, "新华村"), (GROUP_A, "一组")]:
        r = await svc.client.post("/v1/regions", json={"code": code, "name": name}, headers=h)
        assert r.status_code == 201, r.text


@asynccontextmanager
async def registry(url: str, keys: Keys, bootstrap: str | None = None) -> AsyncIterator[RunningService]:
    async with start_service("registry", url, keys, bootstrap) as svc:
        await seed_regions(svc, keys)
        yield svc


async def outbox(svc: RunningService, topic: str | None = None) -> list[Any]:
    """The outbox rows of ``topic`` (by whichever of its lanes); without one, every event about
    subjects (the seeded region tree's ``region-changed`` announcements left out)."""
    async with svc.db.transaction(write=False) as session:
        q = select(outbox_events).order_by(outbox_events.c.id)
        q = q.where(outbox_events.c.topic.in_(lanes(topic))) if topic else q.where(outbox_events.c.topic != "region-changed")
        return list((await session.execute(q)).all())


async def count(svc: RunningService, table: Any) -> int:
    async with svc.db.transaction(write=False) as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())
