"""Money: CNY as Decimal, rounded to the fen (分) half up (四舍五入), kept as integer fen in the
databases and as decimal strings ("100000.00") in JSON and events. Never float."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def round_fen(amount: Decimal) -> Decimal:
    """Round to the fen, halves up: 6.425 → 6.43."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(amount: Decimal) -> int:
    """100000.00 CNY → 10000000 fen."""
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def fen_str(fen: int) -> str:
    """Fen as the JSON money string: 10000000 → "100000.00"."""
    return str(from_fen(fen))
