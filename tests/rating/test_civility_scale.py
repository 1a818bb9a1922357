"""Civility moves a score the way its items point (issue 12, point 1), through the real services:
the registry's own evaluation procedure (record, review by another, publish) sends
``civility-evaluated`` over a real broker, rating consumes it and rates. Praise never lowers a
household's score, a negative item never raises it, and an unevaluated household is not better off
than an evaluated good one (it sits at the base of the 0–100 civility scale)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from common.auth import Role
from common.broker import TansuBroker
from common.db import utcnow
from rating.indicators.defaults import DEFAULTS
from rating.scoring.engine import ScoringInput, compile_system
from rating.settings import RatingSettings
from rating.subjects.models import CivilityResult, Subject
from rating.subjects.repository import scoring_inputs
from registry.civility.scoring import DEFAULT_BASE
from tests.e2e.flow import STRONG_PROFILE
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, start_service
from tests.rating.helpers import GOOD, apply, civility_event, subject_event
from tests.registry.support import TOWN_A, household, registry


def officer(keys: Keys, who: str) -> dict[str, str]:
    return keys.headers(Role.officer, region=TOWN_A, sub=who)


async def in_rating(svc: RunningService, model: Any, subject_id: str) -> bool:
    async with svc.db.transaction(write=False) as session:
        return await session.get(model, subject_id, populate_existing=True) is not None


async def publish_evaluation(reg: RunningService, keys: Keys, subject_id: str, items: list[str]) -> dict[str, Any]:
    """Record, review (by someone else) and publish, the registry's procedure (三议两审一公开)."""
    r = await reg.client.post("/v1/civility/evaluations", headers=officer(keys, "a"), json={
        "subject_id": subject_id, "evaluated_on": "2026-11-20", "evaluators": ["评议组 1"],
        "items": [{"code": c, "times": 1} for c in items]})
    assert r.status_code == 201, r.text
    ev = r.json()
    r = await reg.client.post(f"/v1/civility/evaluations/{ev['id']}/review", json={"approved": True},
                              headers=officer(keys, "b"))
    assert r.status_code == 200, r.text
    r = await reg.client.post(f"/v1/civility/evaluations/{ev['id']}/publish", headers=officer(keys, "b"))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def rate(svc: RunningService, keys: Keys, subject_id: str) -> dict[str, Any]:
    r = await svc.client.post("/v1/ratings", json={"subject_id": subject_id},
                              headers=keys.headers(Role.officer, region="341181"))
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.mark.broker
async def test_praise_never_lowers_blame_never_raises_and_unevaluated_sits_at_the_base(
        databases: DatabaseFactory, backend: str, keys: Keys, fresh_broker: TansuBroker) -> None:
    reg_url = await databases.create("registry", backend)
    rating_url = await databases.create("rating", backend)
    async with registry(reg_url, keys, fresh_broker.bootstrap) as reg, \
            start_service("rating", rating_url, keys, bootstrap=fresh_broker.bootstrap, publication_days=0) as svc:
        ids = []
        for seq in (1, 2, 3):
            body = household(seq, members=[], assets=[], debts=[], profile=STRONG_PROFILE)
            r = await reg.client.post("/v1/subjects", json=body, headers=officer(keys, "a"))
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        praised, blamed, unevaluated = ids
        for sid in ids:
            await eventually(lambda sid=sid: in_rating(svc, Subject, sid), timeout=30)
        before = {sid: await rate(svc, keys, sid) for sid in ids}
        assert before[praised]["grade"] == "AA", before[praised]  # the AA household

        good = await publish_evaluation(reg, keys, praised, ["P101"])        # 5 points of praise
        bad = await publish_evaluation(reg, keys, blamed, ["N601"])          # 5 points of blame
        assert (good["base"], good["score"], bad["score"]) == (80, 85, 75)
        for sid in (praised, blamed):
            await eventually(lambda sid=sid: in_rating(svc, CivilityResult, sid), timeout=30)

        after = {sid: await rate(svc, keys, sid) for sid in ids}
        score = {sid: Decimal(after[sid]["score"]) for sid in ids}
        assert score[praised] >= Decimal(before[praised]["score"]), (before[praised], after[praised])
        assert after[praised]["grade"] in ("AA", "AAA")
        assert score[blamed] <= Decimal(before[blamed]["score"]), (before[blamed], after[blamed])
        # Still unevaluated: at the base, so exactly where it was, and not above the praised one.
        assert score[unevaluated] == Decimal(before[unevaluated]["score"])
        assert score[unevaluated] <= score[praised]
        # The same files: only civility tells them apart now.
        assert score[blamed] < score[unevaluated] < score[praised]


async def test_an_unevaluated_household_is_scored_at_the_latest_announced_base(
        databases: DatabaseFactory, backend: str, keys: Keys) -> None:
    """Rating never recomputes the scale: it reads the registry's score, and for a household with
    no evaluation the base of the registry's current catalogue (80 until one says otherwise)."""
    url = await databases.create("rating", backend)
    async with start_service("rating", url, keys, publication_days=0) as svc:
        settings = svc.settings
        assert isinstance(settings, RatingSettings)
        await apply(svc.db, settings, subject_event("hh-none", GOOD), subject_event("hh-seen", GOOD))

        async def inputs() -> dict[str, ScoringInput]:
            async with svc.db.transaction(write=False) as session:
                rows = [await session.get(Subject, s) for s in ("hh-none", "hh-seen")]
                return await scoring_inputs(session, rows, utcnow())

        assert {k: v.civility_score for k, v in (await inputs()).items()} == {"hh-none": 80, "hh-seen": 80}
        # A catalogue whose base is 70: the evaluated household has its score, the other the new base.
        await apply(svc.db, settings, civility_event("hh-seen", 74, base=70))
        assert {k: v.civility_score for k, v in (await inputs()).items()} == {"hh-none": 70, "hh-seen": 74}


def test_the_default_household_system_gives_the_base_what_it_gives_a_missing_result() -> None:
    """Indicator systems published before the scale score a missing result with ``missing``; the
    default's bands give the base the same share, so the two never disagree."""
    system = compile_system(DEFAULTS["household"], 1)
    [civility] = [i for i in system.indicators if i[0] == "civility"]
    share = civility[4]
    assert share(Decimal(DEFAULT_BASE)) == share(None)
    assert share(Decimal(DEFAULT_BASE + 5)) > share(Decimal(DEFAULT_BASE)) > share(Decimal(DEFAULT_BASE - 5))
