"""Discount maths of the credit business circle (信用商圈), as plain functions.

Every amount is a Decimal in CNY; every result is rounded to the fen (分) with ROUND_HALF_UP.
Rules: percentage off with a cap (折扣, 封顶), spend X save Y (满减, once or for every full X),
fixed-price items (特价商品), and public benefits that carry no money (e.g. a hospital green channel).
Stacking (叠加): fixed-price items first, then 满减 on what is left, then percentages; the total
never exceeds the bill.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from common.i18n import Text
from common.money import round_fen

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PercentOff:
    """``percent`` off the amount (e.g. 10 = 10 % off, 九折), at most ``cap`` per purchase."""

    percent: Decimal
    cap: Decimal | None = None


@dataclass(frozen=True)
class SpendSave:
    """满减: spend at least ``threshold`` and save ``save``; with ``repeat``, for every full threshold
    (每满), at most ``max_times`` times if given."""

    threshold: Decimal
    save: Decimal
    repeat: bool = False
    max_times: int | None = None


@dataclass(frozen=True)
class FixedPrice:
    """特价: an item sold at ``fixed_price`` instead of ``regular_price``, up to ``max_quantity`` per purchase."""

    item: str
    regular_price: Decimal
    fixed_price: Decimal
    max_quantity: int = 1


@dataclass(frozen=True)
class Benefit:
    """A public benefit with no money off (free ride recorded elsewhere, green channel...)."""

    benefit: str


Rule = PercentOff | SpendSave | FixedPrice | Benefit

# The order rules are applied in when they stack.
_ORDER = {FixedPrice: 0, SpendSave: 1, PercentOff: 2, Benefit: 3}


class DiscountError(ValueError):
    def __init__(self, field: str, message: Text) -> None:
        super().__init__(f"{field}: {message.en}")
        self.field = field
        self.message = message


def percent_off(amount: Decimal, rule: PercentOff) -> Decimal:
    discount = round_fen(amount * rule.percent / Decimal(100))
    if rule.cap is not None:
        discount = min(discount, round_fen(rule.cap))
    return min(max(discount, ZERO), round_fen(amount))


def spend_save(amount: Decimal, rule: SpendSave) -> Decimal:
    if rule.threshold <= 0 or amount < rule.threshold:
        return ZERO
    times = int(amount // rule.threshold) if rule.repeat else 1
    if rule.max_times is not None:
        times = min(times, rule.max_times)
    return min(round_fen(rule.save * times), round_fen(amount))


def fixed_price(amount: Decimal, rule: FixedPrice, quantity: int) -> Decimal:
    if quantity < 1:
        raise DiscountError("quantity", Text("must be at least 1 for a fixed-price item", "一口价商品的数量至少为 1"))
    if quantity > rule.max_quantity:
        raise DiscountError("quantity", Text(f"at most {rule.max_quantity} at the fixed price",
                                             f"按一口价最多 {rule.max_quantity} 件"))
    saving = round_fen((rule.regular_price - rule.fixed_price) * quantity)
    return min(max(saving, ZERO), round_fen(amount))


def discount_for(rule: Rule, amount: Decimal, quantity: int = 1) -> Decimal:
    """The discount one rule gives on ``amount``."""
    if isinstance(rule, PercentOff):
        return percent_off(amount, rule)
    if isinstance(rule, SpendSave):
        return spend_save(amount, rule)
    if isinstance(rule, FixedPrice):
        return fixed_price(amount, rule, quantity)
    return ZERO


@dataclass(frozen=True)
class Applied:
    key: str
    discount: Decimal


@dataclass(frozen=True)
class Priced:
    bill: Decimal
    lines: tuple[Applied, ...]
    discount: Decimal
    to_pay: Decimal


def price(bill: Decimal, offers: Sequence[tuple[str, Rule, bool]], quantity: int = 1) -> Priced:
    """Apply ``offers`` (key, rule, stackable) to ``bill``. One offer always applies; several only
    if every one of them stacks. Each rule works on what the ones before it left to pay."""
    if bill < 0:
        raise DiscountError("bill_amount", Text("must not be negative", "不能为负数"))
    bill = round_fen(bill)
    if not offers:
        raise DiscountError("offer_id", Text("at least one offer", "至少选择一项优惠"))
    if len(offers) > 1 and not all(stackable for _, _, stackable in offers):
        raise DiscountError("offer_ids", Text("these offers do not stack (不可叠加)", "这些优惠不可叠加"))
    remaining = bill
    lines: list[Applied] = []
    for key, rule, _ in sorted(offers, key=lambda o: _ORDER[type(o[1])]):
        discount = min(discount_for(rule, remaining, quantity), remaining)
        remaining -= discount
        lines.append(Applied(key, discount))
    total = bill - remaining
    return Priced(bill=bill, lines=tuple(lines), discount=total, to_pay=remaining)
