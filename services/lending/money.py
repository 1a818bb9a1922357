"""Rates: Decimal percent per year, and the cap on a loan's rate. Money itself is common.money
(re-exported here for the service's modules). Plain functions, no I/O."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from common.money import fen_str, from_fen, to_fen

__all__ = ["fen_str", "from_fen", "max_rate", "rate_str", "to_fen"]

RATE_PLACES = Decimal("0.0001")


def max_rate(benchmark_percent: Decimal, markup: Decimal) -> Decimal:
    """The cap on a loan's annual rate: benchmark × (1 + markup), e.g. 3.45 % × 1.40 = 4.83 %."""
    return (benchmark_percent * (1 + markup)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def rate_str(rate: Decimal) -> str:
    """A rate or markup as a compact decimal string ("4.83", "0.2")."""
    text = format(rate.normalize(), "f")
    return text if text != "-0" else "0"
