"""Domain rules as plain functions: line decisions, rate caps, product eligibility, loss sharing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from lending.banks.eligibility import ProductRules, ineligibility
from lending.credit_lines.rules import LineState, LineTerms, add_months, available_fen, decide
from lending.money import fen_str, max_rate, to_fen
from lending.risk.sharing import FOUR_THREE_TWO_ONE, fund_payout, shares_problem, split_loss

TODAY = date(2026, 11, 25)
AAA = LineTerms(1, to_fen(Decimal("500000")), Decimal("0.20"), 24)
AA = LineTerms(1, to_fen(Decimal("300000")), Decimal("0.30"), 24)


def test_max_rate_is_benchmark_times_one_plus_markup() -> None:
    assert max_rate(Decimal("3.45"), Decimal("0.40")) == Decimal("4.83")
    assert max_rate(Decimal("3.45"), Decimal("0.30")) == Decimal("4.485")
    assert max_rate(Decimal("3.45"), Decimal("0.20")) == Decimal("4.14")


def test_money_round_trips_in_fen() -> None:
    assert to_fen(Decimal("100000.01")) == 10_000_001
    assert fen_str(10_000_001) == "100000.01"


def test_grant_raise_cut_freeze_unfreeze() -> None:
    line, change = decide(None, "AA", False, AA, TODAY)
    assert change == "granted" and line.status == "active" and line.line_fen == 30_000_000
    assert line.valid_until == date(2028, 11, 25)
    raised, change = decide(line, "AAA", False, AAA, TODAY)
    assert change == "raised" and raised.line_fen == 50_000_000 and raised.max_markup == Decimal("0.20")
    assert raised.valid_until == line.valid_until, "a raise keeps the term"
    cut, change = decide(raised, "AA", False, AA, TODAY)
    assert change == "cut" and cut.line_fen == 30_000_000
    frozen, change = decide(cut, "B", False, None, TODAY)
    assert change == "frozen" and frozen.status == "frozen" and frozen.line_fen == 30_000_000
    back, change = decide(frozen, "AAA", False, AAA, TODAY)
    assert change == "unfrozen" and back.status == "active" and back.line_fen == 50_000_000


def test_veto_freezes_even_a_good_grade_and_first_rating_below_a_gives_no_line() -> None:
    line, _ = decide(None, "AAA", False, AAA, TODAY)
    vetoed, change = decide(line, "AAA", True, AAA, TODAY)
    assert change == "frozen" and vetoed.status == "frozen"
    none, change = decide(None, "C", False, None, TODAY)
    assert change == "none" and none.status == "none" and none.line_fen == 0


def test_available_never_negative_after_a_cut_and_zero_unless_active() -> None:
    assert available_fen("active", 100, 150, None, TODAY) == 0
    assert available_fen("active", 100, 40, None, TODAY) == 60
    assert available_fen("frozen", 100, 0, None, TODAY) == 0
    assert available_fen("active", 100, 0, date(2026, 11, 24), TODAY) == 0


def test_add_months_clamps_the_day() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 25), 24) == date(2028, 11, 25)


def test_expired_line_is_renewed_on_regrade() -> None:
    old = LineState("AA", "active", 30_000_000, Decimal("0.3"), date(2026, 1, 1), 1)
    new, change = decide(old, "AA", False, AA, TODAY)
    assert change == "renewed" and new.valid_until == date(2028, 11, 25)


def test_product_eligibility_names_the_reason() -> None:
    rules = ProductRules(("AA", "AAA"), ("household",), ("fox-nut",), 1_000_000, 20_000_000, 3, 12)
    ok = {"grade": "AAA", "kind": "household", "industry": "fox-nut", "amount_fen": 5_000_000, "term_months": 12}
    assert ineligibility(rules, **ok) is None  # type: ignore[arg-type]
    assert "grade" in str(ineligibility(rules, **{**ok, "grade": "A"}))  # type: ignore[arg-type]
    assert "kind" in str(ineligibility(rules, **{**ok, "kind": "collective"}))  # type: ignore[arg-type]
    assert "industry" in str(ineligibility(rules, **{**ok, "industry": "wire-drawing"}))  # type: ignore[arg-type]
    assert "amount" in str(ineligibility(rules, **{**ok, "amount_fen": 30_000_000}))  # type: ignore[arg-type]
    assert "term" in str(ineligibility(rules, **{**ok, "term_months": 24}))  # type: ignore[arg-type]


def test_4321_split_adds_up_to_the_fen() -> None:
    assert split_loss(100_000_00, FOUR_THREE_TWO_ONE) == {
        "guarantee_company": 40_000_00, "provincial_guarantee": 30_000_00, "bank": 20_000_00, "local_government": 10_000_00}
    parts = split_loss(1_001, FOUR_THREE_TWO_ONE)  # 10.01 CNY does not divide evenly
    assert sum(parts.values()) == 1_001
    odd = split_loss(100, {"a": "33.33", "b": "33.33", "c": "33.34"})
    assert sum(odd.values()) == 100


def test_split_table_must_sum_to_100_and_fund_pays_until_exhausted() -> None:
    assert shares_problem({"a": "50", "b": "40"}) is not None
    assert shares_problem({"a": "-10", "b": "110"}) is not None
    assert shares_problem(FOUR_THREE_TWO_ONE) is None
    assert fund_payout(1000, 5000) == 1000
    assert fund_payout(1000, 300) == 300
    assert fund_payout(1000, 0) == 0
