"""The shared HTTP ground: problem+json for every error, 401/403 for the wrong caller, the
Idempotency-Key contract, health and metrics, on a small app built the way every service is."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import func, insert, select
from sqlalchemy.orm import registry

from common.app import ServiceSpec, create_service_app
from common.auth import Principal, Role, require_roles
from common.db import Session
from common.idempotency import Idempotency
from common.tables import idempotency_keys
from tests.harness import DatabaseFactory, Keys, run_app, settings_for

router = APIRouter(prefix="/v1")


class VersionRow:
    stream: str
    subject_id: str
    version: int

    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)


registry().map_imperatively(VersionRow, idempotency_keys.metadata.tables["subject_versions"])
Bank = Annotated[Principal, Depends(require_roles(Role.bank))]
gate = asyncio.Event()


class DrawIn(BaseModel):
    subject_id: str = Field(min_length=1)
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)


@router.post("/draws", status_code=201)
async def draw(body: DrawIn, bank: Bank, session: Session, guard: Idempotency) -> object:
    if guard.replay:
        return guard.replay
    if body.subject_id == "slow":
        await gate.wait()
    if body.subject_id.startswith("orm-"):
        # Flushed only at commit: a duplicate fails at the request boundary, after the route returned.
        session.add(VersionRow(stream="orm", subject_id=body.subject_id, version=1))
        return await guard.remember(session, 201, {"subject_id": body.subject_id})
    await session.execute(insert(idempotency_keys.metadata.tables["subject_versions"]).values(
        stream=f"draw-{bank.bank_id}", subject_id=f"{body.subject_id}-{guard.key}", version=1))
    return await guard.remember(session, 201, {"subject_id": body.subject_id, "amount": str(body.amount),
                                               "bank_id": bank.bank_id})


@pytest.fixture
async def client(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[httpx.AsyncClient]:
    url = await databases.create("lending", backend)
    spec = ServiceSpec(name="contract-test", title="t", description="t", routers=[router])
    app = create_service_app(spec, settings_for("lending", url, keys))
    async with run_app(app) as c:
        yield c


async def count_draws(client: httpx.AsyncClient) -> int:
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.db.transaction(write=False) as session:
        table = idempotency_keys.metadata.tables["subject_versions"]
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_validation_errors_are_problem_json_naming_the_field(client: httpx.AsyncClient, keys: Keys) -> None:
    r = await client.post("/v1/draws", json={"subject_id": "s1", "amount": "-5"},
                          headers={**keys.headers(Role.bank, bank_id="b1"), "Idempotency-Key": "k1"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and body["errors"][0]["field"] == "amount"
    r = await client.post("/v1/draws", content=b"not json", headers={**keys.headers(Role.bank, bank_id="b1"),
                                                                    "Idempotency-Key": "k2", "content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = await client.get("/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert await count_draws(client) == 0


async def test_oversized_body_is_refused(client: httpx.AsyncClient, keys: Keys) -> None:
    r = await client.post("/v1/draws", content=b"x" * (2 << 20), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("auth", ["none", "garbage", "other-key", "expired", "wrong-role"])
async def test_unknown_token_401_and_wrong_role_403(client: httpx.AsyncClient, keys: Keys, auth: str) -> None:
    from datetime import timedelta

    from common.auth import mint_token
    headers = {"Idempotency-Key": "k"}
    if auth == "garbage":
        headers["Authorization"] = "Bearer not.a.token"
    elif auth == "other-key":
        headers["Authorization"] = f"Bearer {Keys.generate().token(Role.bank, bank_id='b1')}"
    elif auth == "expired":
        headers["Authorization"] = "Bearer " + mint_token(keys.private_pem, Role.bank, bank_id="b1",
                                                          ttl=timedelta(minutes=-5))  # past the clock leeway
    elif auth == "wrong-role":
        headers.update(keys.headers(Role.merchant, merchant_id="m1"))
    r = await client.post("/v1/draws", json={"subject_id": "s1", "amount": "5"}, headers=headers)
    assert r.status_code == (403 if auth == "wrong-role" else 401)
    assert r.headers["content-type"] == "application/problem+json"
    assert await count_draws(client) == 0


async def test_idempotency_key_replays_refuses_other_body_and_reports_in_flight(
        client: httpx.AsyncClient, keys: Keys) -> None:
    bank = keys.headers(Role.bank, bank_id="b1")
    first = await client.post("/v1/draws", json={"subject_id": "s1", "amount": "100.00"},
                              headers={**bank, "Idempotency-Key": "abc"})
    assert first.status_code == 201
    replay = await client.post("/v1/draws", json={"subject_id": "s1", "amount": "100.00"},
                               headers={**bank, "Idempotency-Key": "abc"})
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers.get("idempotent-replayed") == "true"
    other = await client.post("/v1/draws", json={"subject_id": "s1", "amount": "999.00"},
                              headers={**bank, "Idempotency-Key": "abc"})
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    missing = await client.post("/v1/draws", json={"subject_id": "s1", "amount": "1"}, headers=bank)
    assert missing.status_code == 400
    # Another bank's key space is its own.
    other_bank = await client.post("/v1/draws", json={"subject_id": "s1", "amount": "999.00"},
                                   headers={**keys.headers(Role.bank, bank_id="b2"), "Idempotency-Key": "abc"})
    assert other_bank.status_code == 201
    assert await count_draws(client) == 2

    gate.clear()
    slow = asyncio.create_task(client.post("/v1/draws", json={"subject_id": "slow", "amount": "1"},
                                           headers={**bank, "Idempotency-Key": "slow-1"}))
    await asyncio.sleep(0.3)
    in_flight = await client.post("/v1/draws", json={"subject_id": "slow", "amount": "1"},
                                  headers={**bank, "Idempotency-Key": "slow-1"})
    assert in_flight.status_code == 409
    gate.set()
    assert (await slow).status_code == 201
    assert await count_draws(client) == 3


async def test_health_ready_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 503, "no broker in this test, so not ready"
    assert ready.json()["checks"] == {"database": "ok", "broker": "unreachable"}
    await client.get("/healthz")
    metrics = (await client.get("/metrics")).text
    assert 'http_request_duration_seconds_count{method="GET",route="/healthz",service="contract-test",status="200"}' in metrics


async def test_a_commit_that_fails_is_an_error_not_a_success_and_frees_the_key(
        client: httpx.AsyncClient, keys: Keys) -> None:
    bank = keys.headers(Role.bank, bank_id="b1")
    first = await client.post("/v1/draws", json={"subject_id": "orm-1", "amount": "1"}, headers={**bank, "Idempotency-Key": "o1"})
    assert first.status_code == 201
    clash = await client.post("/v1/draws", json={"subject_id": "orm-1", "amount": "1"}, headers={**bank, "Idempotency-Key": "o2"})
    assert clash.status_code == 409 and clash.headers["content-type"] == "application/problem+json"
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.db.transaction(write=False) as session:
        keys_left = set((await session.execute(select(idempotency_keys.c.key))).scalars())
    assert keys_left == {"o1"}, "the failed request's key is released, the first one kept"
