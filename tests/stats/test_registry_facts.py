"""The registry's facts and consent in the figures, with events from their producers' own code:
an archived subject leaves the live counts; a moved one takes its counts to the new village and
town while past month ends stay as they were, and a late grade naming the old village does not
move it back; a subject without consent to statistics is in no figure, stocks or flows, and its
figures come back (in their own months) when consent is given."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from common.broker import TansuBroker
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, start_service
from tests.registry_rows import registered, updated
from tests.stats.helpers import apply, inbox_count
from tests.stats.producers import add_bank, bank_headers, borrow, graded, grant, published
from tests.stats.test_through_broker import publish

COUNTY = "341181"
T1, T2 = "341181100", "341181101"
V1, V1B, V2 = "341181100201", "341181100202", "341181101201"
OCT = datetime(2026, 10, 10, 4, tzinfo=UTC)
NOV = datetime(2026, 11, 10, 4, tzinfo=UTC)


@pytest.fixture
async def stats(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    async with start_service("stats", await databases.create("stats", backend), keys) as svc:
        yield svc


async def summary(stats: RunningService, keys: Keys, region: str, **params: Any) -> dict[str, Any]:
    r = await stats.client.get("/v1/stats/summary", params={"region": region, **params}, headers=keys.headers("admin"))
    assert r.status_code == 200, r.text
    return dict(r.json()["figures"])


def counts(f: dict[str, Any]) -> tuple[int, int, int]:
    return f["subjects"], f["rated"], f["credit_subjects"]


async def test_archive_and_move_follow_the_registry(stats: RunningService, keys: Keys) -> None:
    await apply(stats.db, [registered("hh-a", V1, at=OCT), registered("hh-b", V1, at=OCT), registered("hh-c", V1B, at=OCT),
                           graded("hh-a", "AA", 1, V1, OCT), graded("hh-b", "A", 1, V1, OCT), graded("hh-c", "B", 1, V1B, OCT)])
    assert counts(await summary(stats, keys, V1)) == (2, 2, 2)

    # November: hh-a moves to another town's village; hh-b dies (archived); rating, late, still
    # names hh-a's old village when it confirms the grade.
    await apply(stats.db, [updated("hh-a", V2, 2, ["village"], at=NOV), updated("hh-b", V1, 2, ["status"], status="archived", at=NOV),
                           graded("hh-a", "AAA", 2, V1, NOV)])
    assert counts(await summary(stats, keys, V1)) == (0, 0, 0)
    assert counts(await summary(stats, keys, T1)) == (1, 1, 0)  # hh-c alone, graded B
    new_village = await summary(stats, keys, V2)
    assert counts(new_village) == (1, 1, 1) and new_village["grade_aaa"] == 1
    assert counts(await summary(stats, keys, T2)) == (1, 1, 1)
    assert counts(await summary(stats, keys, COUNTY)) == (2, 2, 1)
    # October's month end stays as it was.
    assert counts(await summary(stats, keys, V1, as_of="2026-10")) == (2, 2, 2)
    assert counts(await summary(stats, keys, V2, as_of="2026-10")) == (0, 0, 0)
    villages = (await stats.client.get("/v1/stats/regions", params={"level": "village", "region": COUNTY},
                                       headers=keys.headers("admin"))).json()["regions"]
    assert {v["code"]: v["figures"]["credit_subjects"] for v in villages} == {V1: 0, V1B: 0, V2: 1}


async def test_no_statistics_consent_no_figure_and_consent_moves_them_all(
        stats: RunningService, databases: DatabaseFactory, backend: str, keys: Keys) -> None:
    async with start_service("lending", await databases.create("lending", backend), keys) as lending:
        await add_bank(lending, keys)
        for subject in ("hh-yes", "hh-no"):
            await grant(lending, subject, V1)
            await borrow(lending, bank_headers(keys, f"loan-{subject}"), subject, "10000.00")
        loans = await published(lending, "loan-recorded")
    assert len(loans) == 2
    await apply(stats.db, [registered("hh-yes", V1, at=OCT),
                           registered("hh-no", V1, at=OCT, scopes=["lending", "merchant", "rating"]),
                           graded("hh-yes", "AA", 1, V1, OCT), graded("hh-no", "AAA", 1, V1, OCT), *loans])
    f = await summary(stats, keys, V1)
    assert (counts(f), f["grade_aaa"], f["loans"], f["loan_amount"]) == ((1, 1, 1), 0, 1, "10000.00")

    # Consent to statistics given in November: the subject and its loan (in the loan's own month) count.
    await apply(stats.db, [updated("hh-no", V1, 2, ["consent"], at=NOV, scopes=["lending", "statistics"])])
    f = await summary(stats, keys, V1)
    assert (counts(f), f["grade_aaa"], f["loans"], f["loan_amount"]) == ((2, 2, 2), 1, 2, "20000.00")
    # ...and withdrawn again (consent given without scopes would mean every use: named scopes are exact).
    await apply(stats.db, [updated("hh-no", V1, 3, ["consent"], at=NOV, scopes=["lending"])])
    f = await summary(stats, keys, V1)
    assert (counts(f), f["grade_aaa"], f["loans"], f["loan_amount"]) == ((1, 1, 1), 0, 1, "10000.00")
    # A consent withdrawn and given within one batch, replays and a stale event change nothing more.
    withdraw = updated("hh-yes", V1, 2, ["consent"], at=NOV, given=False)
    give = updated("hh-yes", V1, 3, ["consent"], at=NOV, scopes=[])
    await apply(stats.db, [withdraw, give, withdraw, updated("hh-no", V1, 2, ["consent"], at=NOV)])
    f = await summary(stats, keys, V1)
    assert (counts(f), f["loans"], f["loan_amount"]) == ((1, 1, 1), 1, "10000.00")


@pytest.mark.broker
async def test_through_the_broker_moves_archives_and_consent_reach_the_figures(
        databases: DatabaseFactory, keys: Keys, fresh_broker: TansuBroker) -> None:
    story = [registered("hh-m", V1, at=OCT), registered("hh-x", V1, at=OCT),
             registered("hh-s", V1, at=OCT, scopes=["lending"]),
             graded("hh-m", "AA", 1, V1, OCT), graded("hh-x", "A", 1, V1, OCT), graded("hh-s", "AAA", 1, V1, OCT),
             updated("hh-m", V2, 2, ["village"], at=NOV), updated("hh-x", V1, 2, ["status"], status="archived", at=NOV),
             graded("hh-m", "AAA", 2, V1, NOV)]
    async with start_service("stats", await databases.create("stats", "sqlite"), keys,
                             bootstrap=fresh_broker.bootstrap) as svc:
        await svc.wait_consumer_assigned()
        await asyncio.to_thread(publish, fresh_broker.bootstrap, story)

        async def all_applied() -> bool:
            return await inbox_count(svc.db) == len(story)

        await eventually(all_applied, timeout=30)
        assert counts(await summary(svc, keys, V1)) == (0, 0, 0)
        assert counts(await summary(svc, keys, V2)) == (1, 1, 1)
        assert (await summary(svc, keys, COUNTY))["grade_aaa"] == 1  # hh-m; hh-s withholds consent
