"""Webhooks (issue 16): a bank registers an endpoint and the changes of its households are pushed
to it by lending's webhook worker, signed (HMAC-SHA256 over ``t.body``), in order, retried after a
500, redeliverable, with a delivery log; the secret is stored encrypted and can be rotated (both
signatures during the overlap). The receiver is a real HTTP server on 127.0.0.1 that checks every
signature; the changes come from rating's own ``rating-changed`` through lending's handler."""
from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from common.auth import Role
from common.pii import PIICipher
from common.settings import DEV_LENDING_WEBHOOK_KEY
from lending.changes.schemas import CHANGE_EXAMPLE, LineChangeOut
from lending.webhooks.models import Webhook
from lending.webhooks.schemas import WebhookPayload
from lending.webhooks.service import secret_context
from lending.webhooks.signing import header, new_secret
from tests.harness import DatabaseFactory, Keys, RunningService, eventually
from tests.lending.conftest import apply, bank, rating_changed
from tests.webhook_receiver import Receiver, change_ids, pushing_service, redeliver


@pytest.fixture
async def pushing(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    """Lending with its webhook worker polling fast and retrying after 0.2 s."""
    async with pushing_service(databases, backend, keys, "lending") as svc:
        admin = keys.headers(Role.admin)
        for bank_id in ("rcb", "abc"):
            r = await svc.client.post("/v1/banks", json={"id": bank_id, "name": bank_id}, headers=admin)
            assert r.status_code == 201, r.text
        yield svc


async def test_changes_are_pushed_signed_in_order_and_retried(pushing: RunningService, keys: Keys,
                                                              receiver: Receiver) -> None:
    svc = pushing
    await apply(svc, rating_changed("hh-1", "A", 1))
    await apply(svc, rating_changed("hh-9", "A", 1))
    assert (await svc.client.get("/v1/credit-lines/hh-1", headers=bank(keys, "rcb"))).status_code == 200
    await svc.app.state.disclosures.flush()  # rcb was shown hh-1's grade: a relationship

    r = await svc.client.post("/v1/webhooks", json={"url": receiver.url}, headers=bank(keys, "rcb"))
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook["secret"].startswith("whsec_") and hook["cursor"] == 2, "from now on"
    receiver.secrets.append(hook["secret"])
    again = await svc.client.post("/v1/webhooks", json={"url": receiver.url}, headers=bank(keys, "rcb"))
    assert again.status_code == 409 and again.json()["webhook_id"] == hook["id"] and "secret" not in again.json()

    # Stored encrypted, bound to the endpoint: not the secret's text, and it decrypts under lending's key.
    async with svc.db.transaction(write=False) as session:
        stored = (await session.execute(select(Webhook.secret_enc).where(Webhook.id == hook["id"]))).scalar_one()
    assert hook["secret"].encode() not in stored
    assert PIICipher(DEV_LENDING_WEBHOOK_KEY).decrypt(stored, secret_context(hook["id"])) == hook["secret"]

    receiver.script = [500]  # the first POST fails: the same delivery comes again
    await apply(svc, rating_changed("hh-1", "AAA", 2, old_grade="A"))  # raised
    await apply(svc, rating_changed("hh-9", "C", 2, old_grade="A"))  # frozen: not rcb's household
    await apply(svc, rating_changed("hh-1", "B", 3, old_grade="AAA"))  # frozen

    async def arrived() -> list[int]:
        ids = change_ids(receiver.accepted())
        return ids if len(ids) >= 2 else []

    assert await eventually(arrived, timeout=20) == [3, 5]
    assert receiver.received[0]["status"] == 500
    assert receiver.received[1]["body"] == receiver.received[0]["body"], "retried as it was"
    assert all(r["valid"][hook["secret"]] for r in receiver.received), "every POST is signed with the secret"
    kinds = [(c["subject_id"], c["kind"]) for d in receiver.accepted() for c in d["body"]["changes"]]
    assert kinds == [("hh-1", "raised"), ("hh-1", "frozen")]

    async def settled() -> dict[str, Any] | None:  # the worker stores each answer just after it came
        log = (await svc.client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=bank(keys, "rcb"))).json()
        return log if all(d["status"] == "delivered" for d in log["items"]) else None

    log = await eventually(settled, timeout=20)
    first = log["items"][0]
    assert first["status"] == "delivered" and first["attempts"] == 2
    assert [a["status_code"] for a in first["attempt_log"]] == [500, 200]
    assert first["attempt_log"][0]["error"] == "HTTP 500"
    delivered = [i for d in log["items"] for i in d["change_ids"]]
    assert sorted(delivered) == delivered == [3, 5], "each change in one delivery only"
    # Each push is a logged disclosure, of rcb's household only.
    log = (await svc.client.get("/v1/disclosures?bank_id=rcb", headers=keys.headers(Role.admin))).json()
    assert sorted((d["subject_id"], d["grade"]) for d in log if d["channel"] == "webhook") == [("hh-1", "AAA"),
                                                                                                 ("hh-1", "B")]
    other = await svc.client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=bank(keys, "abc"))
    assert other.status_code == 404 and other.json()["type"] == "not-found"

    # Redeliver: the same delivery, the same changes, once more; still one delivery per change.
    await redeliver(svc.client, receiver, hook["id"], first["id"], bank(keys, "rcb"))
    log = await eventually(settled, timeout=20)
    assert [i for d in log["items"] for i in d["change_ids"]] == [3, 5]
    assert log["items"][0]["attempts"] == 3

    # Rotation: the new secret signs, and the old one too during the overlap.
    r = await svc.client.post(f"/v1/webhooks/{hook['id']}/secret:rotate", headers=bank(keys, "rcb"))
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"] != hook["secret"] and rotated["previous_secret_valid_until"] is not None
    receiver.secrets.append(rotated["secret"])
    await apply(svc, rating_changed("hh-1", "AA", 4, old_grade="B"))  # unfrozen

    async def after_rotation() -> list[dict[str, Any]]:
        return [d for d in receiver.accepted() if 6 in [c["id"] for c in d["body"]["changes"]]]

    last = (await eventually(after_rotation, timeout=20))[0]
    assert last["valid"] == {hook["secret"]: True, rotated["secret"]: True}
    assert last["signature"].count("v1=") == 2
    assert sorted(set(change_ids(receiver.accepted()))) == [3, 5, 6]


async def test_endpoints_must_be_https(lending: RunningService, keys: Keys) -> None:
    """Without the loopback setting (production), only https:// endpoints; the field is named."""
    for url in ("http://127.0.0.1:9999/hook", "ftp://bank.example/x", "https://user:pw@bank.example/x",
                "bank.example/hook", "https://bank.example:port/x", "https://10.1.2.3/x", "https://[::1]/x",
                "https://169.254.169.254/latest"):
        r = await lending.client.post("/v1/webhooks", json={"url": url}, headers=bank(keys, "rcb"))
        assert r.status_code == 422, (url, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == "url"
    r = await lending.client.post("/v1/webhooks", json={"url": "https://bank.example/x", "after": 10 ** 6},
                                  headers=bank(keys, "rcb"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "after"
    r = await lending.client.post("/v1/webhooks", json={"url": "https://bank.example/x"}, headers=bank(keys, "rcb"))
    assert r.status_code == 201 and r.json()["cursor"] == 0
    listed = (await lending.client.get("/v1/webhooks", headers=bank(keys, "rcb"))).json()["items"]
    assert [h["url"] for h in listed] == ["https://bank.example/x"] and "secret" not in listed[0]
    assert (await lending.client.get("/v1/webhooks", headers=bank(keys, "abc"))).json()["items"] == []


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrating.md"


def guide_verifier() -> Callable[[str, str, bytes], bool]:
    """The ``verified`` function of docs/integrating.md, run as a bank would copy it."""
    [block] = [b for b in re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S) if "def verified(" in b]
    scope: dict[str, Any] = {}
    exec(compile(block, str(GUIDE), "exec"), scope)
    return scope["verified"]


def test_the_guide_checks_signatures_as_lending_signs() -> None:
    """A bank that copies the guide's check accepts what the worker signs (also both signatures of a
    rotation) and nothing else: not a changed body, not an old or missing timestamp."""
    verified = guide_verifier()
    secret, old_secret, now = new_secret(), new_secret(), int(time.time())
    body = orjson.dumps(WebhookPayload(webhook_id="hook-1", delivery_id=7,
                                       changes=[LineChangeOut.model_validate(CHANGE_EXAMPLE)]).model_dump(mode="json"))
    assert verified(secret, header([secret], now, body), body)
    rotating = header([secret, old_secret], now, body)
    assert verified(secret, rotating, body) and verified(old_secret, rotating, body)
    tampered = body.replace(b'"frozen"', b'"unfrozen"', 1)
    assert tampered != body and not verified(secret, header([secret], now, body), tampered)
    assert not verified(new_secret(), header([secret], now, body), body)
    assert not verified(secret, header([secret], now - 301, body), body)
    assert verified(secret, header([secret], now - 200, body), body)
    for malformed in ("", "v1=" + "0" * 64, f"t=soon,v1={header([secret], now, body).split('v1=')[1]}"):
        assert not verified(secret, malformed, body)
