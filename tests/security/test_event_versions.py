"""A version far ahead of the current one cannot lock a subject: an event whose version lies more
than ``MAX_VERSION_STEP`` past the last applied one is refused and dead-lettered, and the subject's
real events still apply (in lending, merchant, and stats' read model)."""
from __future__ import annotations

import pytest
from kafka import KafkaProducer

from common.auth import Role
from common.broker import TansuBroker
from common.db import Database
from common.events.versions import MAX_VERSION_STEP, VersionTooFarAhead, accept_versions
from stats.readmodel.ops import rating_op
from stats.readmodel.state import SubjectState, apply_op
from tests.harness import DatabaseFactory, Keys, eventually, send_event, start_service
from tests.lending.conftest import rating_changed
from tests.lending.test_batches import dead_letters, history

FAR = MAX_VERSION_STEP * 1000


async def test_accept_versions_refuses_a_version_far_ahead(databases: DatabaseFactory, backend: str) -> None:
    db = Database(await databases.create("lending", backend))
    try:
        async with db.transaction() as session:
            assert await accept_versions(session, "s", [("a", 3)]) == {"a"}
        with pytest.raises(VersionTooFarAhead):
            async with db.transaction() as session:
                await accept_versions(session, "s", [("a", 3 + MAX_VERSION_STEP + 1), ("b", 1)])
        with pytest.raises(VersionTooFarAhead):  # a subject never seen starts from 0
            async with db.transaction() as session:
                await accept_versions(session, "s", [("new", MAX_VERSION_STEP + 1)])
        async with db.transaction() as session:  # nothing of the refused batch was kept
            assert await accept_versions(session, "s", [("a", 4), ("b", 1), ("new", MAX_VERSION_STEP)]) == \
                {"a", "b", "new"}
    finally:
        await db.dispose()


def test_stats_read_model_refuses_a_version_far_ahead() -> None:
    state = SubjectState(subject_id="hh-s")
    op = rating_op(rating_changed("hh-s", "AAA", FAR))
    with pytest.raises(VersionTooFarAhead):
        apply_op(state, op)
    applied = apply_op(state, rating_op(rating_changed("hh-s", "AA", 1)))
    assert applied is not None and applied.grade == "AA" and applied.v_rating == 1


async def test_a_forged_far_ahead_grade_is_dead_lettered_and_the_real_one_applies(
        databases: DatabaseFactory, keys: Keys, fresh_broker: TansuBroker, backend: str) -> None:
    forged = rating_changed("hh-locked", "D", FAR, vetoed=True)
    real = rating_changed("hh-locked", "AAA", 1)
    producer = KafkaProducer(bootstrap_servers=fresh_broker.bootstrap, acks="all")
    for event in (forged, real):
        send_event(producer, "rating-changed", key=event.subject.encode(), value=event.to_json())
    producer.flush(10)
    producer.close()

    url = await databases.create("lending", backend)
    async with start_service("lending", url, keys, bootstrap=fresh_broker.bootstrap) as lending:
        async def granted() -> bool:
            return await history(lending, keys, "hh-locked") == ["granted:AAA"]

        await eventually(granted, timeout=60)
        line = (await lending.client.get("/v1/credit-lines/hh-locked", headers=keys.headers(Role.admin))).json()
        assert line["grade"] == "AAA" and line["status"] == "active", line
        assert await dead_letters(fresh_broker, 1) == [(b"hh-locked", b"lending", b"rating-changed")]
