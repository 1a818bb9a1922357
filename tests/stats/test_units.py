"""The read model's rules without a database: contributions, versions, facts, months, suppression."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.errors import ProblemError
from stats.figures import params, render
from stats.figures.suppression import decide
from stats.readmodel.ops import BadEvent, fen, month_of, rating_op
from stats.readmodel.projector import plan
from stats.readmodel.state import FlowOp, StateOp, SubjectState, apply_op, contribution, state_delta
from tests.stats import factory
from tests.stats.factory import COUNTY, TOWN_1, V_11


def op(stream: str, version: int, **changes: object) -> StateOp:
    return StateOp("hh-1", stream, version, "2026-10", dict(changes))


def test_contribution_counts_a_rated_granted_household_in_its_village_town_and_county() -> None:
    state = SubjectState("hh-1", kind="household", county=COUNTY, town=TOWN_1, village=V_11, registered=True,
                         grade="AA", line_status="active", line_fen=30_000_000, drawn_fen=5_000_000)
    assert contribution(state) == {"subjects": 1, "rated": 1, "grade_aa": 1, "lines": 1, "line_amount": 30_000_000,
                                   "borrowers": 1, "drawn": 5_000_000}
    assert sorted(state.region.cells("household")) == [(COUNTY, "county", "household"), (TOWN_1, "town", "household"),
                                                        (V_11, "village", "household")]
    archived = apply_op(state, op("registry", 2, archived=True))
    assert archived is not None and contribution(archived) == {}


def test_a_grade_change_moves_one_count_from_the_old_grade_to_the_new() -> None:
    old = SubjectState("hh-1", kind="household", county=COUNTY, town=TOWN_1, village=V_11, grade="A", v_rating=1)
    new = apply_op(old, op("rating", 2, grade="B"))
    assert new is not None
    delta = state_delta(old, new)
    assert delta[(V_11, "village", "household")] == {"grade_a": -1, "grade_b": 1}
    assert apply_op(new, op("rating", 2, grade="AAA")) is None  # same version: stale
    assert apply_op(new, op("rating", 1, grade="AAA")) is None  # older: stale


def test_plan_applies_ops_in_order_and_counts_a_fact_once() -> None:
    cells = ((V_11, "village", "household"),)
    loan = FlowOp("loan:1", "2026-10", cells, {"loans": 1, "loan_amount": 100})
    ops = [op("registry", 1, kind="household", county=COUNTY, town=TOWN_1, village=V_11, registered=True),
           op("rating", 1, grade="A"), op("rating", 1, grade="D"), loan, loan]
    changes = plan(ops, {}, set())
    assert changes.current[cells[0]] == {"subjects": 1, "rated": 1, "grade_a": 1, "loans": 1, "loan_amount": 100}
    assert changes.states["hh-1"].grade == "A"
    assert plan([loan], {}, {"loan:1"}).current == {}


def test_negative_records_are_tracked_by_id() -> None:
    state = SubjectState("hh-1", kind="household", county=COUNTY)
    for version, (record, active) in enumerate([("r1", True), ("r2", True), ("r1", False)], start=1):
        nxt = apply_op(state, StateOp("hh-1", "negative", version, "2026-10", {}, record=(record, active)))
        assert nxt is not None
        state = nxt
    assert state.negative_ids == "r2" and contribution(state)["negative_subjects"] == 1


def test_amounts_months_and_credit_village_flags() -> None:
    assert fen("100000.00") == 10_000_000 and fen("0.5") == 50 and fen(None) == 0
    with pytest.raises(BadEvent):
        fen("1.005")
    # Months end at midnight Beijing time: 16:30 UTC on 31 October is already November there.
    assert month_of(datetime(2026, 10, 31, 16, 30, tzinfo=UTC)) == "2026-11"
    assert month_of("2026-10-31T15:59:00+00:00") == "2026-10"
    village_rated_a = rating_op(factory.rated("v", V_11, "A", 1, kind="village"))
    assert village_rated_a.changes["credit_unit"] is True
    not_designated = rating_op(factory.rated("v", V_11, "AA", 1, kind="village", credit_village=False))
    assert not_designated.changes["credit_unit"] is False


def test_as_of_and_region_parameters() -> None:
    assert params.as_of_month("2026-10") == "2026-10"
    assert params.as_of_month("2026-10-31") == "2026-10"
    assert params.as_of_month("2026-10-30") == "2026-09"
    assert params.as_of_month(None) is None
    for bad in ("2026-13", "yesterday", "2999-01-31"):
        with pytest.raises(ProblemError):
            params.as_of_month(bad)
    assert params.level_of("341181100") == "town" and params.level_of(None) == "province"
    with pytest.raises(ProblemError):
        params.region_code("3411")


def test_small_counts_are_suppressed_with_a_complement_among_siblings() -> None:
    villages = {"341181100201": 3, "341181100202": 40, "341181100203": 25, "341181100204": 0}
    hidden = decide({code: {"all": {"subjects": n}} for code, n in villages.items()}, 5, 9)
    # 3 alone would be the town total minus the others: the smallest other non-zero cell goes too.
    assert "subjects" in hidden[("341181100201", "all")] and "subjects" in hidden[("341181100203", "all")]
    assert "subjects" not in hidden[("341181100202", "all")]
    assert "subjects" not in hidden[("341181100204", "all")]  # a true zero reveals no one and stays 0


def test_a_suppressed_grade_takes_another_grade_with_it_and_money_follows_its_count() -> None:
    row = {"rated": 60, "grade_aaa": 2, "grade_aa": 30, "grade_a": 28, "credit_subjects": 60, "lines": 2,
           "line_amount": 800_000}
    hidden = decide({"341181": {"all": row}}, 5)[("341181", "all")]
    assert {"grade_aaa", "grade_a"} <= hidden and "grade_aa" not in hidden and "rated" not in hidden
    assert {"lines", "line_amount", "used_share"} <= hidden


def test_siblings_are_grouped_by_the_parent_code() -> None:
    # Two towns' villages: the one small village of the second town has no sibling to hide with it.
    table = {"341181100201": {"all": {"subjects": 3}}, "341181100202": {"all": {"subjects": 9}},
             "341181101201": {"all": {"subjects": 2}}}
    hidden = decide(table, 5, 9)
    assert "subjects" in hidden[("341181100202", "all")] and "subjects" in hidden[("341181101201", "all")]


def test_money_and_shares_are_exact_strings() -> None:
    assert render.money(10_000_000) == "100000.00" and render.money(-5) == "-0.05" and render.money(0) == "0.00"
    assert render.ratio(1, 6) == "0.1667" and render.ratio(1, 3) == "0.3333" and render.ratio(5, 5) == "1.0000"
    assert render.ratio(1, 20_000) == "0.0000"  # 0.00005: half to even
    assert render.ratio(3, 20_000) == "0.0002"  # 0.00015: half to even
    assert render.ratio(3, 0) is None
