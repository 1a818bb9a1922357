"""Discount maths (折扣, 满减, 特价, 叠加): Decimal, rounded to the fen, halves up."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from merchant.offers.discounts import Benefit, DiscountError, FixedPrice, PercentOff, SpendSave, discount_for, price


def test_percent_rounds_half_up_to_the_fen() -> None:
    assert discount_for(PercentOff(D("10")), D("0.05")) == D("0.01")       # 0.005 -> 0.01
    assert discount_for(PercentOff(D("12.5")), D("99.99")) == D("12.50")   # 12.49875 -> 12.50
    assert discount_for(PercentOff(D("15")), D("33.30")) == D("5.00")      # 4.995 -> 5.00


def test_percent_is_capped() -> None:
    assert discount_for(PercentOff(D("10"), cap=D("20")), D("150")) == D("15.00")
    assert discount_for(PercentOff(D("10"), cap=D("20")), D("500")) == D("20.00")


def test_spend_save_once_or_for_every_full_threshold() -> None:
    once = SpendSave(D("100"), D("10"))
    assert discount_for(once, D("99.99")) == D("0.00")
    assert discount_for(once, D("100.00")) == D("10.00")
    assert discount_for(once, D("350")) == D("10.00")
    every = SpendSave(D("100"), D("10"), repeat=True)
    assert discount_for(every, D("350")) == D("30.00")
    assert discount_for(SpendSave(D("100"), D("10"), repeat=True, max_times=2), D("350")) == D("20.00")


def test_fixed_price_items_and_their_limit() -> None:
    rule = FixedPrice("化肥 50kg", D("160.00"), D("138.00"), max_quantity=3)
    assert discount_for(rule, D("480"), quantity=3) == D("66.00")
    with pytest.raises(DiscountError) as err:
        discount_for(rule, D("640"), quantity=4)
    assert err.value.field == "quantity"


def test_benefit_gives_no_money() -> None:
    assert discount_for(Benefit("免费乘车"), D("2.00")) == D("0.00")


def test_stacking_order_and_total_never_exceeds_bill() -> None:
    priced = price(D("300.00"), [("pct", PercentOff(D("10")), True), ("mj", SpendSave(D("200"), D("20")), True)])
    # 满减 first: 300 -> 280, then 10 % of 280 = 28
    assert [(a.key, a.discount) for a in priced.lines] == [("mj", D("20.00")), ("pct", D("28.00"))]
    assert priced.discount == D("48.00") and priced.to_pay == D("252.00")
    tiny = price(D("5.00"), [("mj", SpendSave(D("5"), D("5")), True), ("pct", PercentOff(D("50")), True)])
    assert tiny.discount == D("5.00") and tiny.to_pay == D("0.00")


def test_offers_that_do_not_stack_are_refused_together() -> None:
    with pytest.raises(DiscountError):
        price(D("100"), [("a", PercentOff(D("10")), False), ("b", SpendSave(D("50"), D("5")), True)])
    one = price(D("100"), [("a", PercentOff(D("10")), False)])
    assert one.discount == D("10.00") and one.to_pay == D("90.00")
