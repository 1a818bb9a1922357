"""A rating round and its finalisation work chunk by chunk: over many chunks (scored in worker
processes) they give the same grades, versions and ``rating-changed`` events as in one chunk
(scored in a thread), on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from common import cpu
from common.db import utcnow
from rating.ratings import lifecycle
from rating.ratings.lifecycle import finalise_due
from rating.ratings.models import CurrentGrade
from rating.rounds import service as rounds
from rating.settings import RatingSettings
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.rating.helpers import GOOD, POOR, VILLAGE, apply, civility_event, loan_defaulted, loan_recorded, outbox, subject_event

VILLAGE_B = "341181100202"
HOUSEHOLDS = 47          # more than four chunks of ten
PROFILES = [GOOD, POOR, {**GOOD, "annual_income": "30000.00"}, {**POOR, "pboc_report_clean": True}]


@pytest.fixture
async def pair(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[list[RunningService]]:
    """The same county twice: rounds and finalisations in chunks of ten subjects scored in worker
    processes (as a county round is, ``common.cpu``), and in one chunk scored in a thread."""
    async with AsyncExitStack() as stack:
        services = []
        for chunk, workers_from in ((10, 0), (2000, 10000)):
            url = await databases.create("rating", backend)
            services.append(await stack.enter_async_context(start_service(
                "rating", url, keys, publication_days=7, round_chunk_size=chunk, finalise_chunk_size=chunk,
                cpu_workers_from=workers_from)))
        yield services


async def round_and_finalise(svc: RunningService, after_days: int) -> dict[str, Any]:
    settings = svc.settings
    assert isinstance(settings, RatingSettings)
    async with svc.db.transaction() as session:
        rnd = await rounds.start(session, "341181", ["household"], "test", utcnow())
    summary = await rounds.run(svc.db, settings, rnd.id)
    finalised = await finalise_due(svc.db, settings, utcnow() + timedelta(days=after_days))
    assert finalised == summary["rated"]
    return summary


async def state(svc: RunningService) -> tuple[list[Any], list[dict[str, Any]]]:
    """Every current grade, and every rating-changed event's data (but the instant it took effect)."""
    async with svc.db.transaction(write=False) as session:
        grades = [(g.subject_id, g.grade, g.score, g.version, g.reason, g.credit_village) for g in (await session.execute(
            select(CurrentGrade).order_by(CurrentGrade.subject_id))).scalars()]
    events = [{k: v for k, v in e["data"].items() if k != "effective_at"} for e in await outbox(svc.db)]
    return grades, events


async def test_a_round_over_many_chunks_rates_and_announces_as_one_chunk_does(
        pair: list[RunningService], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "WRITE_BATCH", 7)   # a finalisation chunk's rows written seven at a time
    feed = [subject_event(f"hh-c{i:03d}", PROFILES[i % 4], village=VILLAGE if i % 3 else VILLAGE_B)
            for i in range(HOUSEHOLDS)]
    feed += [civility_event(f"hh-c{i:03d}", 50 + (i * 7) % 50) for i in range(0, HOUSEHOLDS, 2)]
    feed += [loan_recorded("hh-c004", "loan-4"), loan_defaulted("hh-c004", "loan-4")]
    for svc in pair:
        await apply(svc.db, svc.settings, *feed)  # type: ignore[arg-type]
    before = len((await state(pair[0]))[1])   # the defaulted loan's veto has rated hh-c004 already

    first = [await round_and_finalise(svc, 8) for svc in pair]
    assert cpu.running()   # the chunked round was scored in worker processes
    assert first[0] == first[1] and first[0]["rated"] == HOUSEHOLDS
    chunked, whole = [await state(svc) for svc in pair]
    assert chunked == whole
    households = [e for e in chunked[1][before:] if e["kind"] == "household"]
    assert len(households) == HOUSEHOLDS and {e["subject_id"] for e in households} == \
        {f"hh-c{i:03d}" for i in range(HOUSEHOLDS)}
    assert all(e["version"] == (2 if e["subject_id"] == "hh-c004" else 1) for e in households)
    assert sum(1 for e in households if e["old_grade"] is None) == HOUSEHOLDS - 1

    # Some households' civility falls: the second round moves them and confirms the others.
    moved = [civility_event(f"hh-c{i:03d}", 10, version=2) for i in range(0, HOUSEHOLDS, 5)]
    for svc in pair:
        await apply(svc.db, svc.settings, *moved)  # type: ignore[arg-type]
    second = [await round_and_finalise(svc, 16) for svc in pair]
    assert second[0] == second[1]
    chunked, whole = [await state(svc) for svc in pair]
    assert chunked == whole
    again = [e for e in chunked[1][before:] if e["kind"] == "household"][HOUSEHOLDS:]
    # One event per subject and round: a new grade, or a confirmation of the same one (lending renews from it).
    assert len(again) == HOUSEHOLDS and len({e["subject_id"] for e in again}) == HOUSEHOLDS
    assert all(e["version"] == (3 if e["subject_id"] == "hh-c004" else 2) for e in again)
    changed = [e for e in again if e["old_grade"] != e["new_grade"]]
    confirmed = [e for e in again if e["old_grade"] == e["new_grade"]]
    assert changed and confirmed
    assert all(e["reason"].startswith("round: ") for e in changed)
    assert all(e["reason"].startswith(f"confirmed {e['new_grade']} (round): ") for e in confirmed)
    assert second[0]["compared_with_final"].get("same", 0) == len(confirmed)
    # Villages and towns announce only a change of their own grade.
    levels = [e for e in chunked[1] if e["kind"] in ("village", "town")]
    assert levels and all(e["old_grade"] != e["new_grade"] for e in levels)


async def test_a_round_whose_scoring_fails_is_recorded_failed_with_nothing_left_waiting(
        pair: list[RunningService], monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk whose scoring raises (a worker that died, a bad indicator) fails the round: it is
    recorded failed with the error, the chunks read ahead are dropped, and the call returns
    (the reader, blocked on a full queue of chunks, does not keep it waiting)."""
    svc = pair[0]
    settings = svc.settings
    assert isinstance(settings, RatingSettings)
    await apply(svc.db, settings, *[subject_event(f"hh-f{i:03d}", GOOD) for i in range(HOUSEHOLDS)])
    scored = 0
    real = rounds.score_chunk

    def failing(*args: Any) -> Any:
        nonlocal scored
        scored += 1
        if scored == 2:
            time.sleep(0.5)   # (a thread) meanwhile the reader fills the queue with the next chunks
            raise RuntimeError("the scoring of the second chunk failed")
        return real(*args)

    monkeypatch.setattr(rounds, "score_chunk", failing)
    monkeypatch.setattr(settings, "cpu_workers_from", 10_000)   # a thread: the patched function runs
    async with svc.db.transaction() as session:
        rnd = await rounds.start(session, "341181", ["household"], "test", utcnow())
    with pytest.raises(RuntimeError, match="second chunk"):
        await asyncio.wait_for(rounds.run(svc.db, settings, rnd.id), 30)
    async with svc.db.transaction(write=False) as session:
        failed = await rounds.get(session, rnd.id)
    assert failed.status == "failed" and "second chunk" in (failed.error or "")
    assert failed.done == 10   # the first chunk only
