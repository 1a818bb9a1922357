"""Loss sharing (风险分担): split a loss by a programme's table, to the fen. Plain functions."""
from __future__ import annotations

from decimal import Decimal

from common.i18n import Text

FOUR_THREE_TWO_ONE = {"guarantee_company": "40", "provincial_guarantee": "30", "bank": "20", "local_government": "10"}


def shares_problem(shares: dict[str, str]) -> Text | None:
    """Why a split table is unusable, or None: non-negative percents summing to exactly 100."""
    try:
        values = [Decimal(v) for v in shares.values()]
    except ArithmeticError:
        return Text("every share must be a decimal percent", "每一方的分担比例须为十进制百分数")
    if not values or any(v < 0 for v in values):
        return Text("shares must be non-negative percents", "分担比例不能为负数")
    if sum(values) != 100:
        return Text(f"shares must sum to 100, not {sum(values)}", f"各方分担比例之和须为 100，现为 {sum(values)}")
    return None


def split_loss(loss_fen: int, shares: dict[str, str]) -> dict[str, int]:
    """Each party's part of ``loss_fen``. Parts are floored to the fen and the fen left over go
    to the parties with the largest remainders, so the parts always add up to the loss exactly."""
    exact = {party: Decimal(loss_fen) * Decimal(pct) / 100 for party, pct in shares.items()}
    parts = {party: int(value) for party, value in exact.items()}
    left = loss_fen - sum(parts.values())
    for party in sorted(exact, key=lambda p: (-(exact[p] - parts[p]), p))[:left]:
        parts[party] += 1
    return parts


def fund_payout(government_share_fen: int, balance_fen: int) -> int:
    """The fund pays the government's share until it runs out."""
    return max(min(government_share_fen, balance_fen), 0)
