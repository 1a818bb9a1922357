"""Through the real broker, with the real producers: the registry's events (its own builder), rating
(the service itself) and lending (the service itself) on one broker.

A default at one bank freezes the line at once; rating hears of it (loan-defaulted, from lending's
outbox), re-rates at once (a default vetoes by default policy) and lending follows with the vetoed
grade; the defaulted loan repaid in full (loan-repaid) cures it, rating re-rates, and the line is
usable again. The registry's facts (industry, move, archive) reach lending the same way."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kafka import KafkaProducer

from common.auth import Role
from common.broker import TansuBroker
from common.events import Event
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, send_event, start_service
from tests.lending.conftest import bank, rating_changed, subject_event
from tests.rating.helpers import GOOD

pytestmark = pytest.mark.broker


def publish(broker: TansuBroker, *events: Event) -> None:
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for e in events:
        send_event(producer, e.type, key=e.subject.encode(), value=e.to_json()).get(10)
    producer.close()


async def line(svc: RunningService, keys: Keys, subject: str) -> dict[str, Any] | None:
    r = await svc.client.get(f"/v1/credit-lines/{subject}", headers=bank(keys, "rcb"))
    return r.json() if r.status_code == 200 else None  # type: ignore[no-any-return]


async def test_a_default_freezes_rating_re_rates_and_a_cure_unfreezes_through_the_broker(
        databases: DatabaseFactory, backend: str, keys: Keys, fresh_broker: TansuBroker) -> None:
    rating_url = await databases.create("rating", backend)
    lending_url = await databases.create("lending", backend)
    boot = fresh_broker.bootstrap
    async with start_service("rating", rating_url, keys, bootstrap=boot, publication_days=0) as rating, \
            start_service("lending", lending_url, keys, bootstrap=boot) as lending:
        for bank_id in ("rcb", "abc"):
            assert (await lending.client.post("/v1/banks", json={"id": bank_id, "name": bank_id},
                                              headers=keys.headers(Role.admin))).status_code == 201
        await asyncio.gather(rating.wait_consumer_assigned(30), lending.wait_consumer_assigned(30))
        await asyncio.to_thread(publish, fresh_broker, subject_event("hh-x", profile=GOOD))

        async def known_to_rating() -> bool:
            r = await rating.client.post("/v1/ratings", json={"subject_id": "hh-x"},
                                         headers=keys.headers(Role.officer, region="341181100"))
            return r.status_code == 201

        await eventually(known_to_rating, timeout=30)

        async def active() -> dict[str, Any] | None:
            got = await line(lending, keys, "hh-x")
            return got if got and got["status"] == "active" else None

        granted = await eventually(active, timeout=30)
        made = await lending.client.post("/v1/loans", headers=bank(keys, "rcb", "x-l1"), json={
            "subject_id": "hh-x", "amount": "30000.00", "annual_rate": "4.00", "term_months": 12})
        assert made.status_code == 201, made.text
        r = await lending.client.post(f"/v1/loans/{made.json()['id']}/default", json={},
                                      headers=bank(keys, "rcb", "x-d1"))
        assert r.status_code == 201, r.text
        # At once, before rating has said anything: frozen at every bank.
        held = await line(lending, keys, "hh-x")
        assert held is not None and (held["status"], held["freeze_reason"]) == ("frozen", "default")
        refused = await lending.client.post("/v1/loans", headers=bank(keys, "abc", "x-l2"), json={
            "subject_id": "hh-x", "amount": "1000.00", "annual_rate": "4.00", "term_months": 12})
        assert (refused.status_code, refused.json()["type"]) == (409, "line-frozen")

        # Rating hears of the default and re-rates at once: vetoed, below A, with the reason.
        async def vetoed() -> dict[str, Any] | None:
            got = (await rating.client.get("/v1/subjects/hh-x/grade", headers=keys.headers(Role.admin))).json()
            final = got.get("final") or {}
            return final if final.get("vetoed") else None

        final = await eventually(vetoed, timeout=30)
        assert final["grade"] == "D" and "defaulted loan" in final["reason"]

        async def frozen_by_grade() -> dict[str, Any] | None:
            got = await line(lending, keys, "hh-x")
            return got if got and got["grade"] == "D" else None

        after = await eventually(frozen_by_grade, timeout=30)
        assert (after["status"], after["freeze_reason"], after["available"]) == ("frozen", None, "0.00")

        # Cured: the defaulted loan repaid in full; rating re-rates, lending unfreezes.
        r = await lending.client.post(f"/v1/loans/{made.json()['id']}/repayments", json={"amount": "30000.00"},
                                      headers=bank(keys, "rcb", "x-r1"))
        assert r.status_code == 201 and r.json()["fully_repaid"] is True, r.text
        back = await eventually(active, timeout=30)
        assert back["grade"] == granted["grade"] and back["freeze_reason"] is None
        again = await lending.client.post("/v1/loans", headers=bank(keys, "abc", "x-l3"), json={
            "subject_id": "hh-x", "amount": "1000.00", "annual_rate": "4.00", "term_months": 12})
        assert again.status_code == 201, again.text


async def test_the_registrys_facts_reach_lending_through_the_broker(
        databases: DatabaseFactory, backend: str, keys: Keys, fresh_broker: TansuBroker) -> None:
    url = await databases.create("lending", backend)
    moved_to = "341181101203"
    async with start_service("lending", url, keys, bootstrap=fresh_broker.bootstrap) as lending:
        admin = keys.headers(Role.admin)
        assert (await lending.client.post("/v1/banks", json={"id": "rcb", "name": "农商行"}, headers=admin)).status_code == 201
        assert (await lending.client.post("/v1/banks/rcb/products", headers=admin, json={
            "code": "qianshi-dai", "name": "芡实贷", "industries": ["芡实"], "max_amount": "200000.00"})).status_code == 201
        await lending.wait_consumer_assigned(30)
        await asyncio.to_thread(publish, fresh_broker, subject_event("hh-f", industry="芡实"),
                                subject_event("hh-w", industry="拉丝"), subject_event("hh-n", scopes=["merchant"]),
                                rating_changed("hh-f", "AA", 1), rating_changed("hh-w", "AA", 1),
                                rating_changed("hh-n", "AA", 1))

        async def three_lines() -> bool:
            async with lending.db.transaction(write=False) as session:
                from sqlalchemy import func, select

                from lending.credit_lines.models import CreditLine
                from lending.subjects.models import SubjectFacts
                lines = (await session.execute(select(func.count()).select_from(CreditLine))).scalar_one()
                facts = (await session.execute(select(func.count()).select_from(SubjectFacts))).scalar_one()
            return bool(lines == 3 and facts == 3)

        await eventually(three_lines, timeout=30)
        loan = {"amount": "50000.00", "annual_rate": "4.00", "term_months": 12, "product": "qianshi-dai"}
        assert (await lending.client.post("/v1/loans", json={"subject_id": "hh-f", **loan},
                                          headers=bank(keys, "rcb", "f-1"))).status_code == 201
        r = await lending.client.post("/v1/loans", json={"subject_id": "hh-w", **loan}, headers=bank(keys, "rcb", "w-1"))
        assert (r.status_code, r.json()["type"]) == (422, "product-not-eligible")
        r = await lending.client.get("/v1/credit-lines/hh-n", headers=bank(keys, "rcb"))
        assert (r.status_code, r.json()["type"]) == (403, "no-consent")

        await asyncio.to_thread(publish, fresh_broker, subject_event("hh-f", 2, industry="芡实", village=moved_to),
                                subject_event("hh-w", 2, industry="拉丝", status="archived", changed=["status"]))

        async def followed() -> bool:
            f, w = await line(lending, keys, "hh-f"), await line(lending, keys, "hh-w")
            return bool(f and w and f["region"]["village"] == moved_to and w["status"] == "closed")

        await eventually(followed, timeout=30)
        officer = keys.headers(Role.officer, region=moved_to[:9])
        assert (await lending.client.get("/v1/credit-lines/hh-f", headers=officer)).status_code == 200
        r = await lending.client.post("/v1/loans", json={"subject_id": "hh-w", **loan, "product": None},
                                      headers=bank(keys, "rcb", "w-2"))
        assert (r.status_code, r.json()["type"]) == (409, "line-closed")
