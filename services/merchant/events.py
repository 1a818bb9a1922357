"""The events merchant produces, one typed builder per event type: every emit site calls it, and
the consumers' tests (stats) build their input with it."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from common.events import Event
from common.events.payload import instant, instant_or_none, money, region

SOURCE = "merchant"
REDEMPTION_RECORDED = "redemption-recorded"


def redemption_recorded(*, redemption_id: str, merchant_id: str, offer_id: str, subject_id: str,
                        region_codes: Mapping[str, str | None] | None, bill_amount: Decimal, discount: Decimal,
                        status: str, redeemed_at: datetime, receipt_id: str, programme_id: str | None, day: date,
                        reversed_at: datetime | None) -> Event:
    """redemption-recorded: one offer applied at a POS (``recorded``) or taken back by a refund
    (``reversed``, with ``reversed_at``). ``day`` is the county's calendar day (Asia/Shanghai)."""
    data = {"redemption_id": redemption_id, "merchant_id": merchant_id, "offer_id": offer_id,
            "subject_id": subject_id, "region": region(region_codes), "bill_amount": money(bill_amount),
            "discount": money(discount), "status": status, "redeemed_at": instant(redeemed_at),
            "receipt_id": receipt_id, "programme_id": programme_id, "day": day.isoformat(),
            "reversed_at": instant_or_none(reversed_at)}
    return Event(type=REDEMPTION_RECORDED, source=SOURCE, subject=subject_id, data=data)
