"""Money: Decimal CNY rounded to the fen (分) with ROUND_HALF_UP; stored as integer fen."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(amount: Decimal) -> Decimal:
    """Round to the fen, halves up (四舍五入)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def as_fen_int(amount: Decimal) -> int:
    return int(to_fen(amount) * 100)


def from_fen_int(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def money_str(fen: int) -> str:
    return str(from_fen_int(fen))
