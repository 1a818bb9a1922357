"""Webhooks for merchants (issue 16): a merchant that asked for grade changes registers an endpoint
and the merchant's webhook worker pushes them (the items ``GET /v1/grade-changes`` shows), signed
(HMAC-SHA256 over ``t.body``, common.webhooks), in order, retried after a 500, redeliverable, with
a delivery log; a merchant that does not ask gets nothing, and another merchant's webhook is not
found. The receiver is a real HTTP server on 127.0.0.1 that checks every signature; the grades come
from rating's own ``rating-changed`` through merchant's handler."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from common.auth import Role
from common.pii import PIICipher
from common.settings import DEV_MERCHANT_WEBHOOK_KEY
from common.webhooks.policy import secret_context
from common.webhooks.tables import webhook_tables
from lending.webhooks.models import TABLES as LENDING
from merchant.webhooks.models import webhooks
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, start_service
from tests.merchant.support import County, apply, household, rating_event
from tests.webhook_receiver import Receiver, change_ids, pushing_service, redeliver

SHOP_PCT = {"kind": "percent", "percent": "10", "cap": "20.00"}


@pytest.fixture
async def pushing(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    """Merchant with its webhook worker polling fast and retrying after 0.2 s."""
    async with pushing_service(databases, backend, keys, "merchant") as svc:
        yield svc


async def test_grade_changes_are_pushed_signed_in_order_and_retried(pushing: RunningService, keys: Keys,
                                                                    receiver: Receiver) -> None:
    svc = pushing
    county = County(svc.client, keys)
    shop, other = await county.merchant(), await county.merchant()
    offer = await county.offer(shop, SHOP_PCT)
    served, stranger = await household(svc.db, "AA"), await household(svc.db, "AA")
    merchant = keys.headers(Role.merchant, merchant_id=shop)

    not_yet = await svc.client.post("/v1/webhooks", json={"url": receiver.url}, headers=merchant)
    assert not_yet.status_code == 403 and not_yet.json()["type"] == "not-subscribed", "the pushes are the feed's"
    assert (await svc.client.post("/v1/grade-changes:subscribe", headers=merchant)).status_code == 200
    assert (await county.redeem(shop, await county.code(served), offer, "100.00")).status_code == 201
    await svc.app.state.disclosures.flush()

    r = await svc.client.post("/v1/webhooks", json={"url": receiver.url}, headers=merchant)
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook["secret"].startswith("whsec_")
    receiver.secrets.append(hook["secret"])
    again = await svc.client.post("/v1/webhooks", json={"url": receiver.url}, headers=merchant)
    assert again.status_code == 409 and again.json()["webhook_id"] == hook["id"] and "secret" not in again.json()
    listed = (await svc.client.get("/v1/webhooks", headers=merchant)).json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]

    # Stored encrypted, bound to the endpoint, under the merchant's own webhook key.
    async with svc.db.transaction(write=False) as session:
        stored = (await session.execute(select(webhooks.c.secret_enc).where(webhooks.c.id == hook["id"]))).scalar_one()
    assert hook["secret"].encode() not in stored
    assert PIICipher(DEV_MERCHANT_WEBHOOK_KEY).decrypt(stored, secret_context(hook["id"])) == hook["secret"]

    receiver.script = [500]  # the first POST fails: the same delivery comes again
    await apply(svc.db, rating_event(served, "A", 2, old="AA"))
    await apply(svc.db, rating_event(stranger, "B", 2, old="AA"))  # never at this shop
    await apply(svc.db, rating_event(served, "AAA", 3, old="A", vetoed=True))

    async def arrived() -> list[dict[str, Any]]:
        return receiver.accepted() if len(change_ids(receiver.accepted())) >= 2 else []

    accepted = await eventually(arrived, timeout=20)
    pushed = [(c["subject_id"], c["old_grade"], c["grade"], c["vetoed"]) for d in accepted
              for c in d["body"]["changes"]]
    assert pushed == [(served, "AA", "A", False), (served, "A", "AAA", True)], "in order, its household only"
    assert receiver.received[0]["status"] == 500
    assert receiver.received[1]["body"] == receiver.received[0]["body"], "retried as it was"
    assert all(r["valid"][hook["secret"]] for r in receiver.received), "every POST is signed with the secret"
    assert all(r["webhook"] == hook["id"] for r in receiver.received)
    feed = (await svc.client.get("/v1/grade-changes", headers=merchant)).json()["items"]
    assert [c for d in accepted for c in d["body"]["changes"]] == feed, "the same items as the feed"

    async def settled() -> dict[str, Any] | None:  # the worker stores each answer just after it came
        log = (await svc.client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=merchant)).json()
        return log if log["items"] and all(d["status"] == "delivered" for d in log["items"]) else None

    log = await eventually(settled, timeout=20)
    first = log["items"][0]
    assert first["attempts"] == 2 and [a["status_code"] for a in first["attempt_log"]] == [500, 200]
    assert first["attempt_log"][0]["error"] == "HTTP 500"
    delivered = [i for d in log["items"] for i in d["change_ids"]]
    assert delivered == sorted(delivered) == change_ids(accepted), "each change in one delivery only"
    shown = (await svc.client.get(f"/v1/disclosures?subject_id={served}", headers=keys.headers(Role.admin))).json()
    assert any(d["purpose"] == "webhook" and d["merchant_id"] == shop for d in shown["items"]), "a push is logged"

    # Another merchant's webhook answers like an unknown one, on every route.
    theirs = keys.headers(Role.merchant, merchant_id=other)
    for method, path in (("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
                         ("POST", f"/v1/webhooks/{hook['id']}/secret:rotate"),
                         ("POST", f"/v1/webhooks/{hook['id']}/deliveries/{first['id']}:redeliver")):
        r = await svc.client.request(method, path, headers=theirs)
        assert r.status_code == 404 and r.json()["type"] == "not-found", (path, r.text)
    assert (await svc.client.get("/v1/webhooks", headers=theirs)).json()["items"] == []

    # Redeliver: the same delivery, the same changes, once more.
    await redeliver(svc.client, receiver, hook["id"], first["id"], merchant)
    log = await eventually(settled, timeout=20)
    assert [i for d in log["items"] for i in d["change_ids"]] == delivered and log["items"][0]["attempts"] == 3

    # Rotation: the new secret signs, and the old one too during the overlap.
    r = await svc.client.post(f"/v1/webhooks/{hook['id']}/secret:rotate", headers=merchant)
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"] != hook["secret"] and rotated["previous_secret_valid_until"] is not None
    receiver.secrets.append(rotated["secret"])
    await apply(svc.db, rating_event(served, "AA", 4, old="AAA"))

    async def after_rotation() -> list[dict[str, Any]]:
        return [d for d in receiver.accepted() if d["body"]["changes"][-1]["grade"] == "AA"]

    last = (await eventually(after_rotation, timeout=20))[0]
    assert last["valid"] == {hook["secret"]: True, rotated["secret"]: True}
    assert last["signature"].count("v1=") == 2


async def test_a_merchant_that_stops_asking_gets_nothing(pushing: RunningService, keys: Keys,
                                                         receiver: Receiver) -> None:
    """Pushes are the feed's: after ``:unsubscribe`` the worker sends the merchant nothing, though
    its endpoint is still registered and its household's grade changes."""
    svc = pushing
    county = County(svc.client, keys)
    shop = await county.merchant()
    offer = await county.offer(shop, SHOP_PCT)
    served = await household(svc.db, "AA")
    merchant = keys.headers(Role.merchant, merchant_id=shop)
    await svc.client.post("/v1/grade-changes:subscribe", headers=merchant)
    assert (await county.redeem(shop, await county.code(served), offer, "100.00")).status_code == 201
    await svc.app.state.disclosures.flush()
    r = await svc.client.post("/v1/webhooks", json={"url": receiver.url}, headers=merchant)
    assert r.status_code == 201, r.text
    assert (await svc.client.post("/v1/grade-changes:unsubscribe", headers=merchant)).status_code == 200

    await apply(svc.db, rating_event(served, "A", 2, old="AA"))
    worker = svc.app.state.webhook_worker
    for _ in range(5):
        await worker.tick()
    assert receiver.received == []
    log = (await svc.client.get(f"/v1/webhooks/{r.json()['id']}/deliveries", headers=merchant)).json()
    assert log["items"] == []


async def test_endpoints_must_be_https(databases: DatabaseFactory, keys: Keys) -> None:
    """Without the loopback setting (production), only https:// endpoints; the field is named."""
    url = await databases.create("merchant")
    async with start_service("merchant", url, keys, run_webhooks=False) as svc:
        shop = await County(svc.client, keys).merchant()
        merchant = keys.headers(Role.merchant, merchant_id=shop)
        await svc.client.post("/v1/grade-changes:subscribe", headers=merchant)
        for bad in ("http://127.0.0.1:9999/hook", "https://user:pw@pos.example/x", "https://10.1.2.3/x"):
            r = await svc.client.post("/v1/webhooks", json={"url": bad}, headers=merchant)
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url", (bad, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        assert svc.app.state.webhook_worker is None, "MERCHANT_RUN_WEBHOOKS=false: no worker in this process"


def test_lending_and_merchant_keep_webhooks_in_one_shape() -> None:
    """common.webhooks' SQL and worker serve both: lending's ORM tables have the shape the common
    builder gives the merchant's (the same columns, types, nullability and indexes)."""
    def shape(table: Any) -> tuple[Any, ...]:
        return (table.name, sorted((c.name, type(c.type).__name__, c.nullable, c.primary_key) for c in table.columns),
                sorted((i.name, tuple(c.name for c in i.columns), i.unique) for i in table.indexes))

    built = webhook_tables(MetaData(), "bank_id")
    for mine, theirs in ((built.webhooks, LENDING.webhooks), (built.deliveries, LENDING.deliveries),
                         (built.attempts, LENDING.attempts)):
        assert shape(mine) == shape(theirs)
