"""Helpers for the merchant tests: events made by the producers' own builders, a county set-up."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from common.auth import Role
from common.db import Database
from common.events import Event, apply_events, validate_event
from merchant.handlers import HANDLERS
from rating.ratings import events as rating_events
from registry import events as registry_events
from tests.harness import Keys

REGION = {"county": "341181", "town": "341181100", "village": "341181100201"}


def subject_event(subject_id: str, version: int = 1, *, name: str = "张*", scopes: list[str] | None = None,
                  given: bool = True, kind: str = "household", updated: bool = False, status: str = "active") -> Event:
    """subject-registered / subject-updated by the registry's builders; no ``scopes`` is what the
    registry sends for a consent given without listing its uses (an empty list)."""
    consent: dict[str, Any] = {"given": given, "date": None, "scopes": scopes or []}
    fields: dict[str, Any] = {"subject_id": subject_id, "kind": kind, "region_codes": REGION, "version": version,
                              "masked_name": name, "profile": {"members_count": 4}, "consent": consent}
    when = datetime(2026, 11, 25, 8, tzinfo=UTC)
    if updated:
        event = registry_events.updated(**fields, status=status, changed_fields=["consent"], updated_at=when)
    else:
        event = registry_events.registered(**fields, registered_at=when)
    validate_event(event.to_dict())
    return event


def rating_event(subject_id: str, new: str, version: int, old: str | None = None, vetoed: bool = False) -> Event:
    event = rating_events.rating_changed(
        subject_id=subject_id, kind="household", county=REGION["county"], town=REGION["town"],
        village=REGION["village"], old_grade=old, new_grade=new, score=Decimal(85), version=version,
        effective_at=datetime(2026, 11, 25, 8, tzinfo=UTC), reason="test", vetoed=vetoed)
    validate_event(event.to_dict())
    return event


async def apply(db: Database, *events: Event) -> None:
    """Apply events the way the consumer does (one transaction), without a broker."""
    async with db.transaction() as session:
        for event in events:
            await apply_events(HANDLERS[event.type], session, [event])


async def household(db: Database, grade: str = "AA", **kw: Any) -> str:
    subject_id = f"hh-{uuid.uuid4().hex[:8]}"
    await apply(db, subject_event(subject_id, **kw), rating_event(subject_id, grade, 1))
    return subject_id


class County:
    """The county's calls (admin), and POS calls bound to one merchant."""

    def __init__(self, client: httpx.AsyncClient, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.admin = keys.headers(Role.admin)

    async def merchant(self, kind: str = "shop", **kw: Any) -> str:
        r = await self.client.post("/v1/merchants", json={"name": "供销超市", "kind": kind,
                                                          "region_code": REGION["village"], **kw}, headers=self.admin)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def offer(self, merchant_id: str, rule: dict[str, Any], grades: list[str] | None = None, **terms: Any) -> str:
        body = {"title": "信用户优惠", "rule": rule, "eligible_grades": grades or ["AAA", "AA", "A"], **terms}
        r = await self.client.post(f"/v1/merchants/{merchant_id}/offers", json=body, headers=self.admin)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def code(self, subject_id: str) -> str:
        r = await self.client.post(f"/v1/households/{subject_id}/codes", headers=self.admin)
        assert r.status_code == 201, r.text
        return str(r.json()["code"])

    def pos(self, merchant_id: str, key: str | None = None) -> dict[str, str]:
        headers = self.keys.headers(Role.merchant, merchant_id=merchant_id)
        headers["Idempotency-Key"] = key or uuid.uuid4().hex
        return headers

    async def verify(self, merchant_id: str, code: str) -> dict[str, Any]:
        r = await self.client.post("/v1/pos/verify", json={"code": code}, headers=self.pos(merchant_id))
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def redeem(self, merchant_id: str, code: str, offer: str | list[str], bill: str, key: str | None = None,
                     **extra: Any) -> httpx.Response:
        body: dict[str, Any] = {"code": code, "bill_amount": bill, **extra}
        body["offer_ids" if isinstance(offer, list) else "offer_id"] = offer
        return await self.client.post("/v1/pos/redemptions", json=body, headers=self.pos(merchant_id, key))
