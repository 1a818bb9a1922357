"""Through the real broker: events of a test county move the figures exactly; the same events
delivered again (same ids, or re-published under new ids) move nothing; a rebuild from zero gives
the same read model as the live one."""
from __future__ import annotations

import asyncio

import pytest
from kafka import KafkaProducer

from common.broker import TansuBroker
from common.db import Database
from common.events import Event
from stats.rebuild import read_model, rebuild
from tests.harness import DatabaseFactory, Keys, eventually, send_event, session_keys, start_service, topic_of
from tests.stats import factory
from tests.stats.helpers import figures, inbox_count, renewed

pytestmark = pytest.mark.broker


def publish(bootstrap: str, events: list[Event]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_in_flight_requests_per_connection=1)
    try:
        for event in events:
            send_event(producer, topic_of(event), key=event.subject.encode(), value=event.to_json())
        producer.flush(10)
    finally:
        producer.close(1)


async def test_county_events_move_the_figures_replays_do_not_and_a_rebuild_matches(
        databases: DatabaseFactory, backend: str, keys: Keys, fresh_broker: TansuBroker) -> None:
    live_url = await databases.create("stats", backend)
    story = factory.county_story()
    async with start_service("stats", live_url, keys, bootstrap=fresh_broker.bootstrap) as svc:
        await svc.wait_consumer_assigned()
        await asyncio.to_thread(publish, fresh_broker.bootstrap, story)

        async def all_applied() -> bool:
            return await inbox_count(svc.db) == len(story)

        await eventually(all_applied, timeout=30)
        county = keys.headers("admin")  # exact figures: the platform gets small areas suppressed
        body = (await svc.client.get("/v1/stats/summary", params={"region": factory.COUNTY}, headers=county)).json()
        got = figures(body)
        assert {k: got[k] for k in ("subjects", "rated", "grade_aaa", "grade_aa", "grade_a", "grade_b",
                                    "credit_subjects", "credit_units", "lines", "borrowers", "loans",
                                    "repayments", "redemptions", "evaluated", "negative_subjects")} == {
            "subjects": 5, "rated": 5, "grade_aaa": 1, "grade_aa": 2, "grade_a": 1, "grade_b": 1,
            "credit_subjects": 4, "credit_units": 1, "lines": 3, "borrowers": 1, "loans": 1, "repayments": 1,
            "redemptions": 1, "evaluated": 1, "negative_subjects": 1}
        assert (got["line_amount"], got["drawn"], got["used_share"]) == ("900000.00", "150000.00", "0.1667")
        assert (got["loan_amount"], got["repaid_amount"], got["discount_amount"]) == ("200000.00", "50000.00", "30.00")
        assert got["credit_village_share"] == "1.0000"
        villages = (await svc.client.get("/v1/stats/regions", params={"level": "village", "region": factory.COUNTY},
                                         headers=county)).json()["regions"]
        assert {v["code"]: v["figures"]["subjects"] for v in villages} == {factory.V_11: 3, factory.V_12: 1, factory.V_21: 1}
        before = await read_model(svc.db)

        # At-least-once: the very same events again, and the same facts under new event ids.
        await asyncio.to_thread(publish, fresh_broker.bootstrap, story + [renewed(e) for e in story])
        marker = factory.civility("hh-marker", 1)
        await asyncio.to_thread(publish, fresh_broker.bootstrap, [marker])

        async def marker_applied() -> bool:
            return await inbox_count(svc.db) == 2 * len(story) + 1

        await eventually(marker_applied, timeout=30)
        after = await read_model(svc.db)
        assert after["cells"] == before["cells"]
        assert after["monthly"] == before["monthly"]
        assert after["facts"] == before["facts"]
        assert [s for s in after["subjects"] if s[0] != "hh-marker"] == before["subjects"]
        again = (await svc.client.get("/v1/stats/summary", params={"region": factory.COUNTY}, headers=county)).json()
        assert again["figures"] == body["figures"]

        # Rebuild from zero into a fresh read model: the same figures as the live one.
        rebuilt_db = Database(await databases.create("stats", backend))
        try:
            report = await rebuild(rebuilt_db, fresh_broker.bootstrap, session_keys().verifier("stats"), idle_seconds=2.0, expect=2 * len(story) + 1)
            assert report.events == len(story) * 2 + 1  # every message was seen; the inbox kept duplicates out
            assert await read_model(rebuilt_db) == await read_model(svc.db)
        finally:
            await rebuilt_db.dispose()
