"""The pure scoring function and the indicator-system rules, tested without a server."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating.grades import RANK, is_credit
from rating.indicators.defaults import DEFAULTS, HOUSEHOLD
from rating.indicators.schemas import IndicatorSystemIn, check_definition
from rating.scoring.engine import ScoringInput, compile_system, score
from rating.villages.policy import VillageMetrics, VillagePolicy, rate_town, rate_village
from tests.rating.helpers import GOOD, POOR

SYSTEMS = {kind: compile_system(defn, 1) for kind, defn in DEFAULTS.items()}
HH = SYSTEMS["household"]

money = st.integers(min_value=0, max_value=2_000_000).map(lambda n: f"{n}.00")
profiles = st.fixed_dictionaries({
    "labour_count": st.none() | st.integers(0, 6), "party_members": st.none() | st.integers(0, 3),
    "max_education": st.sampled_from([None, "none", "primary", "junior", "senior", "college", "university"]),
    "annual_income": st.none() | money, "agri_assets_value": st.none() | money, "other_assets_value": st.none() | money,
    "land_mu": st.none() | st.integers(0, 200).map(str), "production_years": st.none() | st.integers(0, 40),
    "overdue_count": st.none() | st.integers(0, 10), "pboc_report_clean": st.none() | st.booleans(),
    "private_borrowing": st.none() | money,
})
inputs = st.builds(lambda p, c, late, dflt: ScoringInput("household", p, c, on_time_repayments=0,
                                                       late_repayments=late, loan_defaults=dflt),
                   profiles, st.none() | st.decimals(0, 100, places=1), st.integers(0, 5), st.integers(0, 2))


def test_a_good_file_is_a_credit_household_and_a_poor_one_is_not() -> None:
    good = score(HH, ScoringInput("household", GOOD, Decimal(95)))
    poor = score(HH, ScoringInput("household", POOR, Decimal(30)))
    assert good.grade == "AAA" and good.score == Decimal("99.60")
    assert not is_credit(poor.grade)
    assert any("credit_report" in r for r in poor.reasons), "the reasons name what cost the most"


@settings(max_examples=150, deadline=None)
@given(inputs, st.integers(1, 500_000))
def test_more_income_never_lowers_the_grade(inp: ScoringInput, extra: int) -> None:
    base = Decimal(inp.profile.get("annual_income") or 0)
    richer = ScoringInput(inp.kind, {**inp.profile, "annual_income": f"{base + extra:.2f}"}, inp.civility_score,
                          late_repayments=inp.late_repayments, loan_defaults=inp.loan_defaults)
    if inp.profile.get("annual_income") is None:
        return
    assert score(HH, richer).score >= score(HH, inp).score
    assert RANK[score(HH, richer).grade] <= RANK[score(HH, inp).grade]


@settings(max_examples=150, deadline=None)
@given(inputs, st.decimals(0, 50, places=1))
def test_better_civility_and_fewer_overdue_loans_never_lower_the_grade(inp: ScoringInput, more: Decimal) -> None:
    if inp.civility_score is not None:
        better = ScoringInput(inp.kind, inp.profile, inp.civility_score + more, late_repayments=inp.late_repayments,
                              loan_defaults=inp.loan_defaults)
        assert RANK[score(HH, better).grade] <= RANK[score(HH, inp).grade]
    if inp.profile.get("overdue_count"):
        fewer = ScoringInput(inp.kind, {**inp.profile, "overdue_count": inp.profile["overdue_count"] - 1},
                             inp.civility_score, late_repayments=inp.late_repayments, loan_defaults=inp.loan_defaults)
        assert RANK[score(HH, fewer).grade] <= RANK[score(HH, inp).grade]


@settings(max_examples=150, deadline=None)
@given(inputs, st.sampled_from(["negative", "civility"]))
def test_a_veto_always_gives_a_grade_below_a(inp: ScoringInput, source: str) -> None:
    vetoed = ScoringInput(inp.kind, inp.profile, inp.civility_score,
                          negative_vetoes=("dishonest_judgment_debtor",) if source == "negative" else (),
                          civility_veto_items=("illegal_banquet",) if source == "civility" else ())
    result = score(HH, vetoed)
    assert result.vetoed and not is_credit(result.grade)
    assert result.reasons[0].startswith("veto:")


@settings(max_examples=100, deadline=None)
@given(inputs)
def test_the_same_input_gives_the_same_output(inp: ScoringInput) -> None:
    again = compile_system(DEFAULTS["household"], 1)
    assert score(HH, inp) == score(again, inp)
    assert Decimal(0) <= score(HH, inp).score <= Decimal(100)


def test_serious_items_drop_the_grade_directly() -> None:
    plain = score(HH, ScoringInput("household", GOOD, Decimal(95)))
    dropped = score(HH, ScoringInput("household", GOOD, Decimal(95), grade_drop=2, drop_reasons=("fraud",)))
    assert (plain.grade, dropped.grade) == ("AAA", "A")
    assert dropped.score == plain.score


def definition(**changes: Any) -> IndicatorSystemIn:
    raw = {**HOUSEHOLD, **changes}
    return IndicatorSystemIn.model_validate(raw)


def test_defaults_are_sound() -> None:
    for defn in DEFAULTS.values():
        assert check_definition(defn) == []


def test_overlapping_and_gapped_bands_are_named() -> None:
    indicators = [dict(i) for i in HOUSEHOLD["indicators"]]  # type: ignore[attr-defined]
    income = next(i for i in indicators if i["code"] == "income")
    income["rule"] = {**income["rule"], "bands": [{"min": None, "max": "20000", "share": "0.2"},
                                                  {"min": "15000", "max": "50000", "share": "0.5"},
                                                  {"min": "60000", "max": None, "share": "1"}]}
    errors = check_definition(definition(indicators=indicators))
    at = indicators.index(income)
    fields = {e["field"]: str(e["message"]) for e in errors}
    assert "overlaps" in fields[f"indicators[{at}].rule.bands[1].min"]
    assert "gap" in fields[f"indicators[{at}].rule.bands[2].min"]


def test_weights_must_add_up_and_grade_bands_must_cover_0_to_100() -> None:
    indicators = [dict(i) for i in HOUSEHOLD["indicators"]]  # type: ignore[attr-defined]
    indicators[0] = {**indicators[0], "weight": "4"}
    bands = [dict(b) for b in HOUSEHOLD["grade_bands"]]  # type: ignore[attr-defined]
    bands[1] = {**bands[1], "min": "82"}    # AA 82-90 leaves 80-82 uncovered
    errors = {e["field"]: str(e["message"]) for e in check_definition(definition(indicators=indicators, grade_bands=bands))}
    assert "add up to 99" in errors["indicators"]
    assert "gap after grade A" in errors["grade_bands[1].min"]


def test_falling_shares_on_a_higher_better_indicator_are_refused() -> None:
    indicators = [dict(i) for i in HOUSEHOLD["indicators"]]  # type: ignore[attr-defined]
    land = next(i for i in indicators if i["code"] == "land")
    land["rule"] = {**land["rule"], "bands": [{"min": None, "max": "5", "share": "1"}, {"min": "5", "max": None, "share": "0.1"}]}
    errors = check_definition(definition(indicators=indicators))
    assert any("must not fall" in str(e["message"]) for e in errors)


@pytest.mark.parametrize(("credit", "households", "arrears", "npl", "expected"), [
    (7, 10, 0, "0", (True, "A")), (6, 10, 0, "0", (False, "B")), (9, 10, 0, "0", (True, "AAA")),
    (8, 10, 2, "0", (False, "B")), (8, 10, 0, "6000", (False, "B")),
])
def test_credit_village_line(credit: int, households: int, arrears: int, npl: str, expected: tuple[bool, str]) -> None:
    m = VillageMetrics(households, credit, borrowers=10, borrowers_in_arrears=arrears,
                       loan_amount=Decimal(100000), npl_amount=Decimal(npl))
    r = rate_village(m, VillagePolicy())
    assert (r.credit, r.grade) == expected


def test_credit_town_line() -> None:
    assert rate_town(10, 5, VillagePolicy()).credit
    assert not rate_town(10, 4, VillagePolicy()).credit
    assert rate_town(0, 0, VillagePolicy()).grade == "D"
