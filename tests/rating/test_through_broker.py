"""End to end through a real broker: the registry's events (made by the registry's own builders)
reach rating's consumer; a grade becomes final and ``rating-changed`` arrives on
the broker for lending and merchant; a veto raised there re-rates at once."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from common.auth import Role
from common.broker import TansuBroker
from common.events import Event, validate_event
from common.events.topics import lanes
from rating.subjects.models import Subject
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, send_event, start_service, topic_of
from tests.rating.helpers import GOOD, civility_event, negative_event, subject_event

pytestmark = pytest.mark.broker


def publish(broker: TansuBroker, *events: Event) -> None:
    """Sent by the lane the producer's outbox puts each event on (a negative record: the urgent one)."""
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for e in events:
        send_event(producer, topic_of(e), key=e.subject.encode(), value=e.to_json()).get(10)
    producer.close()


async def known(svc: RunningService, subject_id: str) -> bool:
    async with svc.db.transaction(write=False) as session:
        return await session.get(Subject, subject_id) is not None


async def read_topic(broker: TansuBroker, topic: str, want: int, subject: str) -> list[dict[str, Any]]:
    """``subject``'s events on ``topic`` (each lane in its order, the main lane's first), and in
    ``lane_of`` by event id the lane each came by."""
    consumer = KafkaConsumer(*lanes(topic), bootstrap_servers=broker.bootstrap, group_id=f"reader-{uuid.uuid4().hex[:6]}",
                             auto_offset_reset="earliest", session_timeout_ms=6000, heartbeat_interval_ms=1000,
                             fetch_max_wait_ms=50)
    found: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + 30
    try:
        while len(found) < want and asyncio.get_running_loop().time() < deadline:
            for tp, records in (await asyncio.to_thread(consumer.poll, 500)).items():
                for m in records:
                    if m.key == subject.encode():
                        found.append(orjson.loads(m.value))
                        lane_of[found[-1]["id"]] = tp.topic
    finally:
        consumer.close()
    return sorted(found, key=lambda e: (lane_of[e["id"]], e["data"]["version"]))


lane_of: dict[str, str] = {}


async def test_registry_event_to_final_grade_to_rating_changed_on_the_broker(
        databases: DatabaseFactory, backend: str, keys: Keys, fresh_broker: TansuBroker) -> None:
    url = await databases.create("rating", backend)
    async with start_service("rating", url, keys, bootstrap=fresh_broker.bootstrap, publication_days=0) as svc:
        await asyncio.to_thread(publish, fresh_broker, subject_event("hh-b1", GOOD), civility_event("hh-b1", 92))
        await eventually(lambda: known(svc, "hh-b1"), timeout=30)

        officer = keys.headers(Role.officer, region="341181100")
        r = await svc.client.post("/v1/ratings", json={"subject_id": "hh-b1"}, headers=officer)
        assert r.status_code == 201 and r.json()["status"] == "final" and r.json()["grade"] == "AAA"

        events = await read_topic(fresh_broker, "rating-changed", 1, "hh-b1")
        assert len(events) == 1
        first = events[0]
        validate_event(first)
        assert first["source"] == "rating" and first["subject"] == "hh-b1"
        data = first["data"]
        assert (data["kind"], data["old_grade"], data["new_grade"], data["version"], data["vetoed"]) == \
            ("household", None, "AAA", 1, False)
        assert data["region"]["village"] == "341181100201" and data["indicator_system_version"] == 1
        assert data["score"] == r.json()["score"]

        # The joint review lists the household (一票否决): re-rated at once, announced on the broker.
        await asyncio.to_thread(publish, fresh_broker, negative_event("hh-b1", "court-7", "raised", 1))

        async def vetoed() -> bool:
            body = (await svc.client.get("/v1/subjects/hh-b1/grade", headers=officer)).json()
            return body["final"]["grade"] == "D"

        await eventually(vetoed, timeout=30)
        events = await read_topic(fresh_broker, "rating-changed", 2, "hh-b1")
        assert [(e["data"]["old_grade"], e["data"]["new_grade"], e["data"]["version"], e["data"]["vetoed"])
                for e in events] == [(None, "AAA", 1, False), ("AAA", "D", 2, True)]
        # The veto went by the urgent lane: it overtakes whatever a running round has queued.
        assert [lane_of[e["id"]] for e in events] == ["rating-changed", "rating-changed.urgent"]

        villages = await read_topic(fresh_broker, "rating-changed", 1, "village-341181100201")
        assert villages and villages[0]["data"]["kind"] == "village" and villages[0]["data"]["credit_village"] is True
