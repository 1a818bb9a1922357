"""The typed pieces every producer's event builders share: money, instants, days and regions as the
JSON Schemas in ``schemas/`` write them. Builders take Python values (Decimal, datetime, date) and
call these, so no emit site ever spells an event's JSON by hand."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from common.money import round_fen

REGION_LEVELS = ("county", "town", "village", "group")


def money(amount: Decimal) -> str:
    """CNY to the fen as the schemas' decimal string: Decimal("100000") → "100000.00"."""
    return f"{round_fen(Decimal(amount)):.2f}"


def money_or_none(amount: Decimal | None) -> str | None:
    return None if amount is None else money(amount)


def instant(when: datetime) -> str:
    """An aware instant in ISO 8601; a naive one is a bug at the producer, refused here."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime in an event: {when.isoformat()}")
    return when.isoformat()


def instant_or_none(when: datetime | None) -> str | None:
    return None if when is None else instant(when)


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def region(codes: Mapping[str, str | None] | None) -> dict[str, str | None]:
    """The region object of every event: county, town, village and village group, each a code or
    null (never absent, so a consumer can rely on every key)."""
    codes = codes or {}
    return {level: codes.get(level) or None for level in REGION_LEVELS}
