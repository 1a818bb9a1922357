"""The registry's events cross a real broker: the relay publishes the outbox rows, keyed by the
subject, valid by their schema, without personal data, in per-subject version order."""
from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer

from common.auth import Role
from common.broker import TansuBroker
from common.events import validate_event
from common.events.topics import event_type_of, lanes
from tests.harness import DatabaseFactory, Keys, eventually
from tests.registry.support import TOWN_A, household, id_number, outbox, registry

pytestmark = pytest.mark.broker
TYPES = ["subject-registered", "subject-updated", "negative-record-changed"]
TOPICS = [lane for t in TYPES for lane in lanes(t)]


def read_all(bootstrap: str, want: int, timeout: float = 20.0) -> list[Any]:
    consumer = KafkaConsumer(*TOPICS, bootstrap_servers=bootstrap, group_id=f"reader-{uuid.uuid4().hex[:6]}",
                             auto_offset_reset="earliest", session_timeout_ms=6000, heartbeat_interval_ms=1000,
                             fetch_max_wait_ms=50)
    got: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            for records in consumer.poll(200).values():
                got.extend(records)
    finally:
        consumer.close()
    return got


async def test_events_reach_the_broker_valid_and_without_personal_data(
        databases: DatabaseFactory, backend: str, keys: Keys, fresh_broker: TansuBroker) -> None:
    url = await databases.create("registry", backend)
    officer = keys.headers(Role.officer, region=TOWN_A)
    async with registry(url, keys, fresh_broker.bootstrap) as svc:
        sid = (await svc.client.post("/v1/subjects", json=household(1), headers=officer)).json()["id"]
        r = await svc.client.patch(f"/v1/subjects/{sid}", json={"profile": {"annual_income": "70000.00"}}, headers=officer)
        assert r.status_code == 200
        r = await svc.client.post("/v1/negative-records", headers=officer, json={
            "subject_id": sid, "agency": "pboc", "record_kind": "malicious_default", "effective_from": "2026-01-01",
            "evidence_ref": "PBOC-2026-001"})
        assert r.status_code == 201

        async def all_sent() -> bool:
            rows = await outbox(svc)
            return len(rows) == 3 and all(row.sent_at is not None for row in rows)

        await eventually(all_sent, timeout=20)
    messages = await asyncio.to_thread(read_all, fresh_broker.bootstrap, 3)
    assert len(messages) == 3
    # A negative-list record goes by its urgent lane (it re-grades the household at once, even
    # during a county round); the rest by their own topics.
    assert {m.topic for m in messages} == {"subject-registered", "subject-updated", "negative-record-changed.urgent"}
    versions = {}
    for m in messages:
        assert m.key == sid.encode()
        event = orjson.loads(m.value)
        validate_event(event)
        versions[event_type_of(m.topic)] = event["data"]["version"]
        for secret in (b"13912345678", id_number(1).encode(), "张德明".encode()):
            assert secret not in m.value
    assert versions == {"subject-registered": 1, "subject-updated": 2, "negative-record-changed": 3}
