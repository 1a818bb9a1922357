"""The events rating consumes, each made by its producer's own builder (the registry's and
lending's), and a way to apply one through the service's own handlers without a broker."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from common.db import Database, utcnow
from common.events import Event, apply_events, validate_event
from common.events.topics import lanes
from common.tables import outbox_events
from lending import events as lending_events
from rating.settings import RatingSettings
from rating.subjects.handlers import make_handlers
from registry import events as registry_events
from registry.civility.scoring import DEFAULT_BASE, civility_score

COUNTY, TOWN, VILLAGE = "341181", "341181100", "341181100201"
GOOD = {"members_count": 4, "labour_count": 2, "party_members": 1, "max_education": "senior",
        "annual_income": "120000.00", "land_mu": "30", "agri_assets_value": "400000.00",
        "other_assets_value": "200000.00", "production_years": 12, "private_borrowing": "0",
        "overdue_count": 0, "pboc_report_clean": True}
POOR = {"members_count": 2, "labour_count": 0, "party_members": 0, "max_education": "none",
        "annual_income": "8000.00", "land_mu": "1", "agri_assets_value": "5000.00", "production_years": 1,
        "overdue_count": 4, "pboc_report_clean": False, "private_borrowing": "300000.00"}


def region(village: str = VILLAGE) -> dict[str, Any]:
    return {"county": village[:6], "town": village[:9], "village": village}


CONSENT = {"given": True, "date": None, "scopes": ["rating", "lending", "merchant", "statistics"]}


def checked(event: Event) -> Event:
    validate_event(event.to_dict())
    return event


def subject_event(subject_id: str, profile: dict[str, Any], version: int = 1, kind: str = "household",
                  village: str = VILLAGE, status: str = "active") -> Event:
    """subject-registered (version 1) or subject-updated, by the registry's builders."""
    fields: dict[str, Any] = {"subject_id": subject_id, "kind": kind, "region_codes": region(village),
                              "version": version, "masked_name": "张*", "profile": profile, "consent": CONSENT}
    if version == 1:
        return checked(registry_events.registered(**fields, registered_at=utcnow(), status=status))
    return checked(registry_events.updated(**fields, status=status, changed_fields=sorted(profile),
                                           updated_at=utcnow()))


def civility_event(subject_id: str, score: int, version: int = 1, veto_items: list[str] | None = None,
                   base: int = DEFAULT_BASE) -> Event:
    """A published evaluation whose items move the catalogue's base to ``score`` (0–100), scored
    by the registry's own function and announced by its builder."""
    positive, negative = max(score - base, 0), min(score - base, 0)
    assert civility_score(base, positive, negative) == score
    return checked(registry_events.civility_evaluated(
        subject_id=subject_id, evaluation_id=f"ev-{uuid.uuid4().hex[:8]}", catalogue_version=1,
        score=civility_score(base, positive, negative), base=base, positive_points=positive,
        negative_points=negative, veto=bool(veto_items), veto_items=veto_items or [],
        aspects={"public_spirit": positive + negative}, version=version, published_at=utcnow()))


def negative_event(subject_id: str, record_id: str, status: str, version: int) -> Event:
    return checked(registry_events.negative_record_changed(
        record_id=record_id, subject_id=subject_id, agency="court", record_kind="dishonest_judgment_debtor",
        status=status, veto=True, effective_from=utcnow().date(), expires_on=None, version=version,
        changed_at=utcnow()))


def loan_recorded(subject_id: str, loan_id: str, amount: str = "100000.00", village: str = VILLAGE) -> Event:
    return checked(lending_events.loan_recorded(
        loan_id=loan_id, subject_id=subject_id, bank_id="bank-1", region_codes=region(village), kind="household",
        amount=Decimal(amount), annual_rate=Decimal("4.35"), term_months=12, product=None, drawn_at=utcnow()))


def loan_defaulted(subject_id: str, loan_id: str, loss: str = "100000.00", village: str = VILLAGE) -> Event:
    return checked(lending_events.loan_defaulted(
        loan_id=loan_id, subject_id=subject_id, bank_id="bank-1", region_codes=region(village), kind="household",
        loss_amount=Decimal(loss), shares={"bank": Decimal(loss)}, fund_paid=Decimal(0), defaulted_at=utcnow()))


async def apply(db: Database, settings: RatingSettings, *events: Event) -> None:
    """Apply events with the service's own handlers, one transaction each (as the consumer does)."""
    handlers = make_handlers(settings)
    for event in events:
        async with db.transaction() as session:
            await apply_events(handlers[event.type], session, [event])


async def outbox(db: Database, topic: str = "rating-changed") -> list[dict[str, Any]]:
    import orjson

    async with db.transaction(write=False) as session:
        rows = (await session.execute(select(outbox_events.c.payload).where(outbox_events.c.topic.in_(lanes(topic)))
                                      .order_by(outbox_events.c.id))).scalars().all()
    return [orjson.loads(r) for r in rows]
