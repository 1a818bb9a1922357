"""Money and rates: CNY kept as integer fen (分) in the database, Decimal strings in JSON; rates as
Decimal percent per year. Plain functions, no I/O."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")


def to_fen(amount: Decimal) -> int:
    """100000.00 CNY → 10000000 fen (amounts are validated to two places before they get here)."""
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def fen_str(fen: int) -> str:
    """Fen as the JSON money string, e.g. 10000000 → "100000.00"."""
    return str(from_fen(fen))


def max_rate(benchmark_percent: Decimal, markup: Decimal) -> Decimal:
    """The cap on a loan's annual rate: benchmark × (1 + markup), e.g. 3.45 % × 1.40 = 4.83 %."""
    return (benchmark_percent * (1 + markup)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def rate_str(rate: Decimal) -> str:
    """A rate or markup as a compact decimal string ("4.83", "0.2")."""
    text = format(rate.normalize(), "f")
    return text if text != "-0" else "0"
