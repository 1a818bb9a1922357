"""Deactivating a partner bank or suspending a merchant stops every read and write made with its
tokens at once, including the registry look-ups lending makes for a bank."""
from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from common.auth import Role
from common.pii import id_check_char
from tests.harness import DatabaseFactory, Keys, start_service
from tests.lending.conftest import apply, rating_changed

ID17 = "34118119800101123"
ID_NUMBER = ID17 + id_check_char(ID17)


def registry_stub(seen: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/subjects:lookup")
    async def lookup(request: Request) -> JSONResponse:
        seen.append({"authorization": request.headers.get("authorization"), **(await request.json())})
        return JSONResponse({"subject_id": "hh-1", "kind": "household", "masked_name": "张*", "status": "active",
                             "region": {"county": "341181", "town": "341181100", "village": "341181100201"}})

    return app


async def test_a_deactivated_bank_is_refused_everywhere_and_never_reaches_the_registry(
        databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("lending", "sqlite")
    async with start_service("lending", url, keys) as lending:
        admin = keys.headers(Role.admin)
        assert (await lending.client.post("/v1/banks", json={"id": "rcb", "name": "农商行"}, headers=admin)).status_code == 201
        seen: list[dict[str, Any]] = []
        await lending.app.state.registry_client.aclose()
        lending.app.state.registry_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=registry_stub(seen)), base_url="http://registry")
        await apply(lending, rating_changed("hh-1", "AA", 1))
        bank = keys.headers(Role.bank, bank_id="rcb")

        async def calls(n: int) -> dict[str, int]:
            key = {"Idempotency-Key": f"k-{n}"}
            return {
                "lookup": (await lending.client.post("/v1/subjects:lookup", json={"id_number": ID_NUMBER},
                                                     headers={**bank, **key})).status_code,
                "line": (await lending.client.get("/v1/credit-lines/hh-1", headers=bank)).status_code,
                "village": (await lending.client.get("/v1/villages/341181100201/credit-lines", headers=bank)).status_code,
                "loans": (await lending.client.get("/v1/loans", headers=bank)).status_code,
                "applications": (await lending.client.get("/v1/applications", headers=bank)).status_code,
                "products": (await lending.client.get("/v1/products", headers=bank)).status_code,
                "loan": (await lending.client.post("/v1/loans", headers={**bank, **key}, json={
                    "subject_id": "hh-1", "amount": "1000.00", "annual_rate": "0.04", "term_months": 12})).status_code,
            }

        before = await calls(1)
        assert before["lookup"] == 200 and before["line"] == 200 and before["loans"] == 200, before
        assert len(seen) == 1
        # lending asked with its own identity and named the bank; the bank's token stayed home.
        assert seen[0]["authorization"] != bank["Authorization"] and seen[0]["on_behalf_of"] == "bank:rcb"

        r = await lending.client.post("/v1/banks/rcb/status", json={"active": False}, headers=admin)
        assert r.status_code == 200 and r.json()["active"] is False
        after = await calls(2)
        assert set(after.values()) == {403}, after
        assert len(seen) == 1, "a deactivated bank's look-up never reaches the registry"

        assert (await lending.client.post("/v1/banks/rcb/status", json={"active": True}, headers=admin)).status_code == 200
        assert (await lending.client.get("/v1/loans", headers=bank)).status_code == 200


async def test_a_suspended_merchant_is_refused_on_every_route(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("merchant", "sqlite")
    async with start_service("merchant", url, keys) as merchant:
        admin = keys.headers(Role.admin)
        r = await merchant.client.post("/v1/merchants", json={"id": "m-shop", "name": "超市", "region_code": "341181100"},
                                       headers=admin)
        assert r.status_code == 201, r.text
        pos = keys.headers(Role.merchant, merchant_id="m-shop")

        async def calls(n: int) -> dict[str, int]:
            return {
                "self": (await merchant.client.get("/v1/merchants/m-shop", headers=pos)).status_code,
                "offers": (await merchant.client.get("/v1/merchants/m-shop/offers", headers=pos)).status_code,
                "redemptions": (await merchant.client.get("/v1/pos/redemptions", headers=pos)).status_code,
                "history": (await merchant.client.get("/v1/merchants/m-shop/redemptions", headers=pos)).status_code,
                "verify": (await merchant.client.post("/v1/pos/verify", json={"code": "CVnothing"},
                                                      headers={**pos, "Idempotency-Key": f"v-{n}"})).status_code,
            }

        before = await calls(1)
        assert before["self"] == 200 and before["redemptions"] == 200 and before["history"] == 200, before
        r = await merchant.client.post("/v1/merchants/m-shop/status", json={"status": "suspended"}, headers=admin)
        assert r.status_code == 200
        after = await calls(2)
        assert set(after.values()) == {403}, after
