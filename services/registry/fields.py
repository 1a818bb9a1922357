"""Typed field helpers shared by the registry's schemas: money and area as exact decimals."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

Education = ("none", "primary", "junior", "senior", "college", "university")
EDUCATION_RANK = {e: i for i, e in enumerate(Education)}
POLITICAL_STATUSES = ("party_member", "probationary_member", "league_member", "masses", "other")
CONSENT_SCOPES = ("rating", "lending", "merchant", "benefits", "statistics")


def money_str(value: Decimal | None) -> str | None:
    """Decimal → "100000.00" (the event schemas' money form)."""
    return None if value is None else f"{value:.2f}"


# Money in CNY: exact, two decimals, at most 15 integer digits (the event schema's bound).
Money = Annotated[Decimal, Field(max_digits=17, decimal_places=2, ge=Decimal("-999999999999999.99")),
                  PlainSerializer(money_str, return_type=str)]
NonNegativeMoney = Annotated[Decimal, Field(max_digits=17, decimal_places=2, ge=0),
                             PlainSerializer(money_str, return_type=str)]
# Land in mu (亩): two decimals, at most 9 integer digits.
Area = Annotated[Decimal, Field(max_digits=11, decimal_places=2, ge=0), PlainSerializer(money_str, return_type=str)]
