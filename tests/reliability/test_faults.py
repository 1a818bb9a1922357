"""Faults, with every service a process and the real broker in between; after each, nothing is lost
and nothing is applied twice:

- the same event delivered twice and two events of one subject out of order (raw envelopes);
- a poison message: it goes to ``<topic>.dlq`` and the events behind it flow;
- the broker unreachable while writes keep succeeding (the outbox holds their events; they arrive
  once it answers again);
- a consumer process (lending) killed with SIGKILL in the middle of a stream of events, restarted;
- a service (lending) restarted while bank requests are in flight: no 5xx beyond connection
  errors, and every line's drawn sum still equals what its loans owe.
"""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from common.auth import Role
from common.db import utcnow
from rating.ratings import events as rating_events
from tests.e2e.cluster import Cluster
from tests.e2e.flow import (
    COUNTY,
    TOWN,
    Caller,
    households,
    idem,
    make_village,
    money,
    poll,
    rate_region,
    register_household,
)
from tests.harness import PG_URL, Keys, send_event
from tests.lending.conftest import subject_event

pytestmark = [pytest.mark.broker, pytest.mark.slow]
BANK = "bank-faults"
VILLAGE = f"{TOWN}201"
LINES = {"A": Decimal("100000"), "AA": Decimal("300000"), "AAA": Decimal("500000")}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("faults"), keys, backend="postgres" if PG_URL else "sqlite",
                extra_env={"RATING_PUBLICATION_DAYS": "0"})
    c.start()
    Caller(c, Role.admin).ok("lending", "POST", "/v1/banks", json={"id": BANK, "name": "故障测试银行"}, expect=(201, 409))
    yield c
    c.stop()


@pytest.fixture
def producer(cluster: Cluster) -> Iterator[KafkaProducer]:
    p = KafkaProducer(bootstrap_servers=cluster.broker.bootstrap, acks="all", max_in_flight_requests_per_connection=1)
    yield p
    p.close()


def rating_changed(subject_id: str, version: int, new: str, old: str | None = None) -> dict[str, Any]:
    """The envelope rating publishes, made by rating's own builder."""
    return rating_events.rating_changed(
        subject_id=subject_id, kind="household", county=COUNTY, town=TOWN, village=VILLAGE, old_grade=old,
        new_grade=new, score=Decimal("85.00"), version=version, effective_at=utcnow(),
        reason="reliability test").to_dict()


def send(producer: KafkaProducer, *envelopes: dict[str, Any] | bytes, topic: str = "rating-changed") -> None:
    for env in envelopes:
        value = env if isinstance(env, bytes) else orjson.dumps(env)
        key = (env["subject"] if isinstance(env, dict) else "poison").encode()
        send_event(producer, topic, key=key, value=value)
    producer.flush(10)


def line_of(caller: Caller, subject_id: str) -> dict[str, Any] | None:
    r = caller("lending", "GET", f"/v1/credit-lines/{subject_id}")
    return r.json() if r.status_code == 200 and r.json().get("grade") else None


def test_a_duplicate_is_applied_once_and_a_stale_event_changes_nothing(cluster: Cluster, producer: KafkaProducer) -> None:
    admin = Caller(cluster, Role.admin)
    subject = f"dup-{uuid.uuid4().hex[:12]}"
    first = rating_changed(subject, 1, "A")
    newer = rating_changed(subject, 3, "AA", old="A")
    stale = rating_changed(subject, 2, "B", old="A")
    send(producer, first, first, newer, newer, stale)
    line = poll(lambda: (lambda b: b if b and b["grade"] == "AA" else None)(line_of(admin, subject)))
    sentinel = rating_changed(f"after-{subject}", 1, "A")  # once it is in, everything before it was handled
    send(producer, sentinel)
    poll(lambda: line_of(admin, sentinel["subject"]))
    line = line_of(admin, subject)
    assert line is not None and line["grade"] == "AA" and money(line["line_amount"]) == LINES["AA"], line
    history = admin.ok("lending", "GET", f"/v1/credit-lines/{subject}/history")
    assert len(history) == 2, history  # granted at A, raised to AA; neither the replay nor the stale B


def test_a_poison_message_goes_to_the_dlq_and_the_rest_flows(cluster: Cluster, producer: KafkaProducer) -> None:
    admin = Caller(cluster, Role.admin)
    marker = uuid.uuid4().hex
    not_json = f"not json {marker}".encode()
    bad_event = {**rating_changed("x", 1, "A"), "data": {"marker": marker}}  # fails the schema
    good = rating_changed(f"after-poison-{marker[:8]}", 1, "AAA")
    send(producer, not_json, orjson.dumps(bad_event), good)
    line = poll(lambda: line_of(admin, good["subject"]))
    assert money(line["line_amount"]) == LINES["AAA"]

    consumer = KafkaConsumer("rating-changed.dlq", bootstrap_servers=cluster.broker.bootstrap,
                             group_id=f"dlq-reader-{marker}", auto_offset_reset="earliest",
                             session_timeout_ms=6000, heartbeat_interval_ms=1000, fetch_max_wait_ms=50)
    try:
        found: list[bytes] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(found) < 4:  # lending, merchant, rating? each dead-letter it
            for records in consumer.poll(timeout_ms=500).values():
                found += [r.value for r in records if marker.encode() in r.value]
            if not_json in found and any(b'"marker"' in v for v in found) and len(found) >= 4:
                break
        assert not_json in found and any(b'"marker"' in v for v in found), found
    finally:
        consumer.close()


def test_writes_succeed_while_the_broker_is_down_and_their_events_arrive_after(cluster: Cluster) -> None:
    officer = Caller(cluster, Role.officer, region=COUNTY)
    admin = Caller(cluster, Role.admin)
    village = make_village(officer, 11, 11)
    hs = households(seed=11, count=4, village=village)
    warm = register_household(officer, village, hs[0])
    poll(lambda: admin("merchant", "GET", f"/v1/households/{warm}").status_code == 200)  # consumers caught up

    # Frozen, not stopped: Tansu's memory engine would forget its logs on a restart, and consumers
    # resuming at their offsets in a new, shorter log would be a fault no Kafka broker has.
    broker = cluster.broker.process
    assert broker is not None
    os.kill(broker.pid, signal.SIGSTOP)
    try:
        written = [register_household(officer, village, h) for h in hs[1:]]  # 201 with no broker
        time.sleep(1.0)  # the relay retries against the silent broker meanwhile
        assert all(admin("merchant", "GET", f"/v1/households/{s}").status_code == 404 for s in written)
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    for s in written:
        poll(lambda s=s: admin("merchant", "GET", f"/v1/households/{s}").status_code == 200, timeout=60)
    # Rating received every file too: a round over the village counts each household once.
    done = rate_region(admin, village, 4, timeout=60)
    assert done["total"] == 4, done


def test_a_consumer_killed_mid_stream_loses_nothing_and_applies_nothing_twice(
        cluster: Cluster, producer: KafkaProducer) -> None:
    admin = Caller(cluster, Role.admin)
    tag = uuid.uuid4().hex[:8]
    subjects = [f"kill-{tag}-{i:03d}" for i in range(120)]
    grades = ["A", "AA", "AAA"]
    for i, s in enumerate(subjects):
        send_event(producer, "rating-changed", key=s.encode(), value=orjson.dumps(rating_changed(s, 1, grades[i % 3])))
    producer.flush(10)
    poll(lambda: line_of(admin, subjects[0]), timeout=60)  # lending is in the middle of the stream
    cluster.stop_service("lending", kill=True)
    for i, s in enumerate(subjects):  # and more arrive while it is down: a newer grade for each
        send_event(producer, "rating-changed", key=s.encode(),
                      value=orjson.dumps(rating_changed(s, 2, grades[(i + 1) % 3], old=grades[i % 3])))
    producer.flush(10)
    cluster.start_service("lending")
    for i, s in enumerate(subjects):
        want = grades[(i + 1) % 3]
        line = poll(lambda s=s, want=want: (lambda b: b if b and b["grade"] == want else None)(line_of(admin, s)),
                    timeout=60)
        assert money(line["line_amount"]) == LINES[want], line
    for s in subjects[::10]:
        assert len(admin.ok("lending", "GET", f"/v1/credit-lines/{s}/history")) == 2, s


def test_a_service_restarted_with_requests_in_flight_keeps_lines_and_loans_consistent(
        cluster: Cluster, producer: KafkaProducer) -> None:
    bank = Caller(cluster, Role.bank, bank_id=BANK)
    tag = uuid.uuid4().hex[:8]
    subjects = [f"busy-{tag}-{i}" for i in range(4)]
    # Their files (with consent to lending use) and their grades: a bank sees a line once both are in.
    send(producer, *[subject_event(s, village=VILLAGE).to_dict() for s in subjects], topic="subject-registered")
    send(producer, *[rating_changed(s, 1, "AAA") for s in subjects])
    for s in subjects:
        poll(lambda s=s: bank("lending", "GET", f"/v1/credit-lines/{s}").status_code == 200 or None, timeout=30)
    cap = money(bank.ok("lending", "GET", f"/v1/credit-lines/{subjects[0]}")["max_rate"])

    statuses: list[int | str] = []
    keys: list[tuple[str, dict[str, Any]]] = []
    stop = threading.Event()

    def worker(n: int) -> None:
        with httpx.Client(timeout=10, headers=bank.headers) as client:
            i = 0
            while not stop.is_set():
                body = {"subject_id": subjects[(n + i) % len(subjects)], "amount": "1000.00",
                        "annual_rate": str(cap), "term_months": 12}
                key = idem()
                keys.append((key["Idempotency-Key"], body))
                try:
                    r = client.post(cluster.url("lending") + "/v1/loans", json=body, headers=key)
                    statuses.append(r.status_code)
                except httpx.TransportError as exc:
                    statuses.append(type(exc).__name__)
                    time.sleep(0.05)
                i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    cluster.stop_service("lending")  # SIGTERM: a graceful stop with requests in flight
    cluster.start_service("lending")
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()

    codes = [s for s in statuses if isinstance(s, int)]
    assert codes and not [c for c in codes if c >= 500], statuses
    assert set(codes) <= {201, 409}, sorted(set(codes))  # 409: a key still in flight or the line used up
    # Retry every request with its own key: a replay returns the first answer or applies it now, once.
    with httpx.Client(timeout=30, headers=bank.headers) as client:
        for key, body in keys:
            for _ in range(3):  # a busy shared machine can be slow to answer; the key makes a retry safe
                try:
                    r = client.post(cluster.url("lending") + "/v1/loans", json=body, headers={"Idempotency-Key": key})
                    break
                except httpx.TimeoutException:
                    continue
            assert r.status_code in (201, 409), r.text
    for s in subjects:
        line = bank.ok("lending", "GET", f"/v1/credit-lines/{s}")
        loans = all_loans(bank, s)
        owed = sum((money(x["outstanding"]) for x in loans), Decimal(0))
        assert money(line["drawn"]) == owed == Decimal(1000) * len(loans), (s, line, len(loans))
        assert len({x["id"] for x in loans}) == len(loans)


def all_loans(bank: Caller, subject_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = ""
    while True:
        page = bank.ok("lending", "GET", f"/v1/loans?subject_id={subject_id}&limit=500" + (f"&after={after}" if after else ""))
        items += page["items"]
        if not page.get("next_after"):
            return items
        after = page["next_after"]
