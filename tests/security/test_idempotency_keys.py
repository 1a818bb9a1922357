"""Availability, bullet 3 (keys): a slow request cannot let the same Idempotency-Key apply twice,
the takeover of a claim whose request went quiet is atomic, and stored keys expire instead of
piling up for ever. On the shared ground every service uses (``create_service_app``, the real
database, SQLite and PostgreSQL), with one route whose first request can be held."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import func, insert, select

from common.app import ServiceSpec, create_service_app
from common.auth import Principal, Role, require_roles
from common.db import Session
from common.idempotency import Idempotency, IdempotentRequest, purge_expired
from common.tables import idempotency_keys, subject_versions
from tests.clock_at import MovedClock
from tests.harness import DatabaseFactory, Keys, eventually, run_app, settings_for

router = APIRouter(prefix="/v1")
Bank = Annotated[Principal, Depends(require_roles(Role.bank))]
held = asyncio.Event()
release = asyncio.Event()
hold_next = {"armed": False}  # the next request to come is held (its retry, the same body, is not)


class DrawIn(BaseModel):
    ref: str


@router.post("/draws", status_code=201)
async def draw(body: DrawIn, bank: Bank, guard: Idempotency, session: Session) -> object:
    if guard.replay:
        return guard.replay
    if hold_next["armed"]:  # a request that takes longer than any claim is trusted for
        hold_next["armed"] = False
        held.set()
        await release.wait()
    await session.execute(insert(subject_versions).values(stream="draws", subject_id=f"{body.ref}-{guard.token}",
                                                          version=1))
    return await guard.remember(session, 201, {"ref": body.ref})


@pytest.fixture
async def client(databases: DatabaseFactory, backend: str, keys: Keys, monkeypatch: pytest.MonkeyPatch,
                 tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for("lending", await databases.create("lending", backend), keys,
                            idempotency_purge_interval_seconds=0.05)
    app = create_service_app(ServiceSpec(name="idem-test", title="t", description="t", routers=[router]), settings)
    async with run_app(app) as c:
        yield c


async def draws(client: httpx.AsyncClient) -> int:
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.db.transaction(write=False) as session:
        return int((await session.execute(select(func.count()).select_from(subject_versions))).scalar_one())


async def test_a_slow_request_cannot_let_the_same_key_apply_twice(client: httpx.AsyncClient, keys: Keys,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    clock = MovedClock(monkeypatch, tmp_path)
    clock.at(datetime.now(UTC))
    bank = {**keys.headers(Role.bank, bank_id="b1"), "Idempotency-Key": "slow-1"}
    held.clear()
    release.clear()
    hold_next["armed"] = True
    first = asyncio.create_task(client.post("/v1/draws", json={"ref": "d1"}, headers=bank))
    await asyncio.wait_for(held.wait(), 10)
    # Two minutes on, the first is still running: its retry takes the claim over (for all it can
    # tell, the first one's process died) and applies.
    clock.at(datetime.now(UTC) + timedelta(minutes=2))
    second = await client.post("/v1/draws", json={"ref": "d1"}, headers=bank)
    assert second.status_code == 201
    # The first one ends now: its claim was taken over, so its change is refused and rolled back.
    # Today it stores its response over the second's and both changes stay: the key applied twice.
    release.set()
    late = await first
    assert late.status_code == 409 and late.json()["type"] == "idempotency-key-taken-over"
    assert await draws(client) == 1
    replay = await client.post("/v1/draws", json={"ref": "d1"}, headers=bank)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert await draws(client) == 1


async def test_a_stale_claim_is_taken_over_by_one_request_only(client: httpx.AsyncClient,
                                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Many retries find the same stale claim at once: exactly one takes it, the others get 409."""
    clock = MovedClock(monkeypatch, tmp_path)
    clock.at(datetime.now(UTC))
    db = client._transport.app.state.db  # type: ignore[attr-defined]

    def request() -> IdempotentRequest:
        return IdempotentRequest(db, "bank:b1", "k-stale", "/v1/draws", "same-body")

    await request().claim()  # its process dies here
    clock.at(datetime.now(UTC) + timedelta(minutes=2))
    outcomes = await asyncio.gather(*(request().claim() for _ in range(8)), return_exceptions=True)
    winners = [o for o in outcomes if o is None]
    assert len(winners) == 1, outcomes
    assert all(getattr(o, "status", None) == 409 for o in outcomes if o is not None), outcomes


async def test_stored_keys_expire_and_are_purged(client: httpx.AsyncClient, keys: Keys,
                                                 monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Today every key ever used stays, with its stored response, for ever."""
    clock = MovedClock(monkeypatch, tmp_path)
    clock.at(datetime.now(UTC))
    bank = keys.headers(Role.bank, bank_id="b1")
    for n in range(5):
        r = await client.post("/v1/draws", json={"ref": f"e{n}"}, headers={**bank, "Idempotency-Key": f"e{n}"})
        assert r.status_code == 201
    db = client._transport.app.state.db  # type: ignore[attr-defined]

    async def stored() -> int:
        async with db.transaction(write=False) as session:
            return int((await session.execute(select(func.count()).select_from(idempotency_keys))).scalar_one())

    assert await stored() == 5
    # A day and a bit later the service's own purge (every 0.05 s in this test) has deleted them.
    clock.at(datetime.now(UTC) + timedelta(hours=25))
    await eventually(lambda: _zero(stored))
    # An expired key is a new request: the same key with another body is taken, not refused as reused.
    again = await client.post("/v1/draws", json={"ref": "other"}, headers={**bank, "Idempotency-Key": "e0"})
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert await purge_expired(db) == 0


async def _zero(count: object) -> bool:
    return await count() == 0  # type: ignore[operator,no-any-return]
