"""Structured grade reasons: every indicator that cost points with its Chinese and English label, and
what would raise the grade (the plain function ``scoring.advice.would_raise``, tested without a
server), then through the API on SQLite and PostgreSQL: a rating, a final grade and a history show
them; a rating stored before them (English strings only) still reads; ``rating-changed`` keeps its
English ``reason`` and lending applies it as before."""
from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from common.auth import Role
from common.db import utcnow
from common.events import Event, validate_event
from lending.credit_lines.models import CreditLine, CreditLineChange
from lending.credit_lines.service import on_rating_changed
from rating.indicators.defaults import DEFAULTS, GRADE_BANDS, HOUSEHOLD
from rating.indicators.schemas import Indicator, IndicatorSystemIn, split_name
from rating.ratings.models import FINAL, Rating
from rating.scoring.advice import IndicatorScore, Raise, cost_points, next_threshold, would_raise
from rating.scoring.engine import ScoringInput, compile_system, score
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.rating.helpers import GOOD, apply, civility_event, negative_event, outbox, subject_event

D = Decimal
BANDS = [(D(b["min"]), D(b["max"]), b["grade"]) for b in GRADE_BANDS]
HH = compile_system(DEFAULTS["household"], 1)
# A household whose income, assets, land and education cost points; its civility decides the rest.
MODEST = {**GOOD, "annual_income": "30000.00", "agri_assets_value": "100000.00", "other_assets_value": None,
          "land_mu": "10"}


def ind(code: str, points: str, of: str) -> IndicatorScore:
    return IndicatorScore(code, D(points), D(of))


# --- the domain function -------------------------------------------------------------------------

def test_a_household_3_points_below_a_whose_civility_lacks_5_needs_3_points_of_civility() -> None:
    scored = [ind("civility", "20", "25"), ind("income", "11", "12"), ind("labour", "5", "5")]
    assert would_raise(scored, D("67.00"), BANDS) == [Raise("civility", D("3.00"), "A")]


def test_two_indicators_that_can_each_close_the_gap_are_both_named_the_most_room_first() -> None:
    scored = [ind("income", "6", "12"), ind("assets", "2", "10"), ind("civility", "15", "25"), ind("land", "3", "4")]
    assert would_raise(scored, D("77.50"), BANDS) == [Raise("civility", D("2.50"), "AA"), Raise("assets", D("2.50"), "AA")]


def test_exactly_the_gap_is_enough() -> None:
    assert would_raise([ind("income", "9", "12")], D("57"), BANDS) == [Raise("income", D("3.00"), "B")]


def test_when_no_single_indicator_can_two_together_do_the_first_fully_the_second_the_rest() -> None:
    scored = [ind("civility", "23", "25"), ind("income", "10.5", "12"), ind("land", "3.6", "4")]
    assert would_raise(scored, D("66.50"), BANDS) == [Raise("civility", D("2.00"), "A"), Raise("income", D("1.50"), "A")]


def test_nothing_is_named_when_two_indicators_cannot_close_the_gap_or_at_the_top() -> None:
    assert would_raise([ind("civility", "24", "25"), ind("income", "11", "12"), ind("land", "3", "4")],
                       D("65"), BANDS) == []
    assert would_raise([ind("income", "11", "12")], D("95"), BANDS) == []  # AAA has no next grade
    assert would_raise([], D("40"), BANDS) == []  # full marks yet D: a system whose weights cannot reach


def test_next_threshold_and_cost_points_order() -> None:
    assert next_threshold(D("79.99"), BANDS) == (D("80"), "AA")
    assert next_threshold(D("90"), BANDS) is None
    order = cost_points([ind("b", "1", "3"), ind("a", "1", "3"), ind("c", "5", "5"), ind("d", "0", "4")])
    assert [i.code for i in order] == ["d", "a", "b"]  # most lacking first, ties by code, full marks left out


# --- the scoring function and the indicator names -------------------------------------------------

def test_score_lists_every_indicator_that_cost_points_and_what_would_raise_it() -> None:
    result = score(HH, ScoringInput("household", MODEST, D(70)))
    assert (result.score, result.grade) == (D("72.00"), "A")
    assert [(i.code, i.points, i.of_points) for i in result.lost] == [
        ("civility", D("10.00"), D("25.00")), ("income", D("6.00"), D("12.00")), ("assets", D("5.00"), D("10.00")),
        ("land", D("2.40"), D("4.00")), ("education", D("1.60"), D("2.00"))]
    assert result.would_raise == (Raise("civility", D("8.00"), "AA"),)
    # The English strings every reader knows stay as they were: the top three.
    assert result.reasons[1] == "income (annual income 家庭年收入): 6.00 of 12 points" and len(result.reasons) == 3


def test_a_veto_raises_nothing_and_a_serious_item_shows_the_grade_it_would_really_reach() -> None:
    vetoed = score(HH, ScoringInput("household", MODEST, D(70), negative_vetoes=("dishonest_judgment_debtor",)))
    assert vetoed.grade == "D" and vetoed.lost and vetoed.would_raise == ()
    dropped = score(HH, ScoringInput("household", MODEST, D(70), grade_drop=1, drop_reasons=("fraud",)))
    assert dropped.grade == "B" and dropped.would_raise == (Raise("civility", D("8.00"), "A"),)
    floor = score(HH, ScoringInput("household", MODEST, D(70), grade_drop=5))
    assert floor.grade == "D" and floor.would_raise == ()  # a step up the score is still D


def test_every_shipped_indicator_has_a_chinese_and_an_english_name() -> None:
    for defn in DEFAULTS.values():
        for indicator in defn.indicators:
            zh, en = indicator.labels()
            assert indicator.name_zh == zh and indicator.name_en == en, indicator.code
            assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en.isascii() and en, indicator.code
    assert HH.labels["income"] == ("家庭年收入", "annual income")
    assert HH.labels["civility"] == ("乡风文明评议", "village civility")


def test_a_definition_published_before_the_names_were_split_still_has_labels() -> None:
    old = {**HOUSEHOLD, "indicators": [{k: v for k, v in i.items() if k not in ("name_zh", "name_en")}
                                       for i in HOUSEHOLD["indicators"]]}
    system = compile_system(IndicatorSystemIn.model_validate(old), 1)
    assert system.labels["land"] == ("经营土地", "land farmed (mu)")
    assert split_name("劳动力") == ("劳动力", "劳动力") and split_name("labour") == ("labour", "labour")
    own = Indicator.model_validate({"code": "x", "name": "x 某", "name_zh": "某项", "name_en": "some item",
                                    "input": "land_mu", "weight": "1",
                                    "rule": {"type": "lookup", "values": {"a": "1"}}})
    assert own.labels() == ("某项", "some item")


# --- through the API ------------------------------------------------------------------------------

@pytest.fixture
async def rating(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    async with start_service("rating", await databases.create("rating", backend), keys, publication_days=0) as svc:
        yield svc


def officer(keys: Keys) -> dict[str, str]:
    return keys.headers(Role.officer, region="341181")


def expected(result_lost: tuple[IndicatorScore, ...]) -> list[dict[str, Any]]:
    return [{"indicator": i.code, "points": f"{i.points}", "of_points": f"{i.of_points}",
             "label": {"zh": HH.labels[i.code][0], "en": HH.labels[i.code][1]}} for i in result_lost]


async def test_a_rating_its_final_grade_and_the_history_show_the_structured_reasons(
        rating: RunningService, keys: Keys) -> None:
    await apply(rating.db, rating.settings, subject_event("hh-r", MODEST), civility_event("hh-r", 70))  # type: ignore[arg-type]
    r = await rating.client.post("/v1/ratings", json={"subject_id": "hh-r"}, headers=officer(keys))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["score"], body["grade"], body["status"]) == ("72.00", "A", FINAL)
    want = score(HH, ScoringInput("household", MODEST, D(70)))
    assert body["indicator_reasons"] == expected(want.lost)
    assert body["indicator_reasons"][1]["label"] == {"zh": "家庭年收入", "en": "annual income"}
    assert body["would_raise"] == [{"indicator": "civility", "points_needed": "8.00", "next_grade": "AA",
                                    "label": {"zh": "乡风文明评议", "en": "village civility"}}]
    assert body["reasons"] == list(want.reasons)  # English-only readers see what they always saw

    grade = (await rating.client.get("/v1/subjects/hh-r/grade", headers=officer(keys))).json()["final"]
    assert (grade["grade"], grade["indicator_reasons"], grade["would_raise"]) == \
        ("A", body["indicator_reasons"], body["would_raise"])
    history = (await rating.client.get("/v1/subjects/hh-r/ratings", headers=officer(keys))).json()["items"]
    assert [h["would_raise"] for h in history] == [body["would_raise"]]
    assert (await rating.client.get(f"/v1/ratings/{body['id']}", headers=officer(keys))).json() == body

    # A veto: the reasons still say what cost points, but nothing would raise a vetoed grade.
    await apply(rating.db, rating.settings, negative_event("hh-r", "neg-1", "raised", 3))  # type: ignore[arg-type]
    vetoed = (await rating.client.get("/v1/subjects/hh-r/grade", headers=officer(keys))).json()["final"]
    assert vetoed["grade"] == "D" and vetoed["indicator_reasons"] == body["indicator_reasons"]
    assert vetoed["would_raise"] == []

    # The typed shapes are in the OpenAPI.
    schemas = (await rating.client.get("/openapi.json")).json()["components"]["schemas"]
    assert {"IndicatorReason", "WouldRaise", "Label", "RatingOut", "GradeOut"} <= set(schemas)
    assert schemas["WouldRaise"]["required"] == ["indicator", "points_needed", "next_grade", "label"]


async def test_a_rating_stored_before_structured_reasons_still_reads(rating: RunningService, keys: Keys) -> None:
    await apply(rating.db, rating.settings, subject_event("hh-old", MODEST))  # type: ignore[arg-type]
    now = utcnow()
    async with rating.db.transaction() as session:
        old = Rating(subject_id="hh-old", kind="household", county="341181", town="341181100",
                     village="341181100201", score=D("77.00"), grade="A", vetoed=False, explanation=None,
                     reasons=["civility (village civility 乡风文明评议): 15.00 of 25 points",
                              "income (annual income 家庭年收入): 6.00 of 12 points",
                              "veto: negative-list record x (一票否决)"],
                     indicator_system_version=1, status=FINAL, disputed=False, trigger="manual", round_id=None,
                     created_by="officer", created_at=now, published_at=now, publication_ends_at=now,
                     finalised_at=now)
        session.add(old)
        await session.flush()
        rating_id = old.id
    body = (await rating.client.get(f"/v1/ratings/{rating_id}", headers=officer(keys))).json()
    assert body["reasons"][0].startswith("civility")
    assert body["indicator_reasons"] == [
        {"indicator": "civility", "points": "15.00", "of_points": "25", "label": {"zh": "乡风文明评议", "en": "village civility"}},
        {"indicator": "income", "points": "6.00", "of_points": "12", "label": {"zh": "家庭年收入", "en": "annual income"}}]
    assert body["would_raise"] == []  # not known for a rating made before


async def test_rating_changed_keeps_its_english_reason_and_lending_applies_it(
        rating: RunningService, databases: DatabaseFactory, backend: str, keys: Keys) -> None:
    await apply(rating.db, rating.settings, subject_event("hh-ev", MODEST), civility_event("hh-ev", 70))  # type: ignore[arg-type]
    r = await rating.client.post("/v1/ratings", json={"subject_id": "hh-ev"}, headers=officer(keys))
    assert r.status_code == 201, r.text
    [raw] = [e for e in await outbox(rating.db) if e["subject"] == "hh-ev"]  # (its village is re-rated too)
    validate_event(raw)
    assert raw["data"]["reason"] == "manual: " + "; ".join(r.json()["reasons"])
    async with start_service("lending", await databases.create("lending", backend), keys) as lending:
        async with lending.db.transaction() as session:
            await on_rating_changed(session, [Event.from_dict(raw)])
        async with lending.db.transaction(write=False) as session:
            line = await session.get(CreditLine, "hh-ev")
            [change] = (await session.execute(select(CreditLineChange.reason)
                                              .where(CreditLineChange.subject_id == "hh-ev"))).scalars().all()
        assert line is not None and line.grade == "A"
        assert "civility (village civility" in change  # the English reason, as lending always showed it
