"""Subjects of the four kinds: registration, personal data kept out of responses, events and logs,
problems naming the field, region scoping by token, versioned changes, the ID-card look-up."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import orjson
import pytest
from sqlalchemy import select

from common.auth import Role
from common.events import validate_event
from registry.subjects.models import Disclosure, Subject, SubjectIdentity
from tests.harness import DatabaseFactory, Keys, RunningService
from tests.registry.support import (
    GROUP_A,
    TOWN_A,
    TOWN_B,
    VILLAGE_A,
    VILLAGE_A2,
    VILLAGE_B,
    count,
    household,
    id_number,
    outbox,
    registry,
    uscc,
)

PII = ["张德明", "李秀英", "张小军", "13912345678"]


@pytest.fixture
async def svc(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    async with registry(await databases.create("registry", backend), keys) as s:
        yield s


def officer(keys: Keys, region: str = TOWN_A, sub: str = "officer-1") -> dict[str, str]:
    return keys.headers(Role.officer, region=region, sub=sub)


def assert_no_pii(text: str | bytes, *extra: str) -> None:
    blob = text.decode() if isinstance(text, bytes) else text
    for value in [*PII, id_number(1), id_number(501, "19820305"), *extra]:
        assert value not in blob, f"personal data leaked: {value}"


async def test_household_file_is_stored_masked_versioned_and_announced(svc: RunningService, keys: Keys,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    r = await svc.client.post("/v1/subjects", json=household(1, group=GROUP_A), headers=officer(keys))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "household" and body["version"] == 1
    assert body["region"] == {"county": "341181", "town": TOWN_A, "village": VILLAGE_A, "group": GROUP_A}
    assert body["masked_name"] == "张**" and body["id_number_masked"] == "3411**********" + id_number(1)[-4:]
    assert body["phone_masked"] == "139****5678"
    p = body["profile"]
    # Derived from the file: 3 people, 2 labourers, 1 party member; assets by the valuation method.
    assert (p["members_count"], p["labour_count"], p["party_members"], p["max_education"]) == (3, 2, 1, "college")
    assert p["agri_assets_value"] == "50000.00" and p["land_mu"] == "12.50"
    assert p["debts_outstanding"] == "50000.00" and p["private_borrowing"] == "8000.00"
    assert p["overdue_count"] == 1 and p["overdue_months_max"] == 2
    assert_no_pii(r.text)

    got = await svc.client.get(f"/v1/subjects/{body['id']}", headers=officer(keys))
    assert got.status_code == 200 and got.json()["details"]["members"][0]["masked_name"] == "李**"
    assert_no_pii(got.text)

    # At rest: only ciphertext and a blind index.
    async with svc.db.transaction(write=False) as session:
        row = (await session.execute(select(Subject))).scalar_one()
        idents = (await session.execute(select(SubjectIdentity))).scalars().all()
    assert row.pii_enc and b"13912345678" not in row.pii_enc and id_number(1).encode() not in row.pii_enc
    assert {i.role for i in idents} == {"head", "member"}
    assert id_number(1) not in {i.id_index for i in idents}
    assert svc.app.state.pii.blind_index(id_number(1)) in {i.id_index for i in idents}

    events = await outbox(svc)
    assert [e.topic for e in events] == ["subject-registered"]
    payload = orjson.loads(events[0].payload)
    validate_event(payload)
    assert payload["data"]["version"] == 1 and payload["data"]["masked_name"] == "张**"
    assert payload["data"]["consent"] == {"given": True, "date": "2026-03-01", "scopes": ["lending", "rating"]}
    assert_no_pii(events[0].payload)

    logged = "\n".join(r.getMessage() + " " + str(r.__dict__) for r in caplog.records)
    assert "subject registered" in logged and body["id"] in logged
    assert_no_pii(logged)


async def test_entity_collective_and_village_kinds(svc: RunningService, keys: Keys) -> None:
    h = keys.headers(Role.admin)
    entity = {"kind": "new_entity", "village": VILLAGE_A, "name": "天长市徐集芡实专业合作社", "entity_type": "cooperative",
              "registration_number": uscc(1), "business_scope": "fox-nut planting and processing",
              "legal_representative": {"name": "王建国", "id_number": id_number(7), "phone": "13800001111"},
              "phone": "13800001111", "profile": {"employees": 12, "annual_revenue": "2300000.00"},
              "assets": [{"category": "facilities", "quantity": "1", "unit": "set", "unit_value": "400000.00"}]}
    r = await svc.client.post("/v1/subjects", json=entity, headers=h)
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["name"] == entity["name"] and e["registration_number"] == uscc(1) and e["entity_type"] == "cooperative"
    assert e["profile"]["entity_type"] == "cooperative" and e["profile"]["agri_assets_value"] == "400000.00"
    assert e["details"]["legal_representative"]["masked_name"] == "王**"
    assert_no_pii(r.text, "王建国", id_number(7), "13800001111")

    r = await svc.client.post("/v1/subjects", json={"kind": "collective", "village": VILLAGE_A, "name": "徐集村股份经济合作社",
                                                    "profile": {"collective_income": "407000.00", "households_count": 620}},
                              headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "collective" and r.json()["profile"]["collective_income"] == "407000.00"

    r = await svc.client.post("/v1/subjects", json={"kind": "village", "village": VILLAGE_A,
                                                    "profile": {"households_count": 620}}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "徐集村" and r.json()["kind"] == "village"

    # One collective and one village subject per village; one file per registration number.
    for again, field in [({"kind": "collective", "village": VILLAGE_A, "name": "x"}, "village"),
                         ({"kind": "village", "village": VILLAGE_A}, "village"),
                         ({**entity, "name": "another"}, "registration_number")]:
        r = await svc.client.post("/v1/subjects", json=again, headers=h)
        assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == field
    kinds = sorted(orjson.loads(e.payload)["data"]["kind"] for e in await outbox(svc, "subject-registered"))
    assert kinds == ["collective", "new_entity", "village"]
    listed = await svc.client.get("/v1/subjects", params={"kind": "new_entity"}, headers=h)
    assert [s["kind"] for s in listed.json()["items"]] == ["new_entity"]


@pytest.mark.parametrize(("change", "field", "status"), [
    ({"head": {"name": "张德明", "id_number": "341181198001010010"}}, "head.id_number", 422),
    ({"head": {"name": "张德明", "id_number": "34118119800101001"}}, "head.id_number", 422),
    ({"village": "341181100299"}, "village", 422),
    ({"village": "3411"}, "village", 422),
    ({"group": "341181100202001"}, "group", 422),
    ({"kind": "castle"}, "kind", 422),
    ({"members": [{"name": "李秀英", "id_number": id_number(1)}]}, "members[0].id_number", 422),
    ({"extras": {"note": "call 13912345678"}}, "extras", 422),
])
async def test_bad_input_is_refused_naming_the_field_and_writes_nothing(svc: RunningService, keys: Keys,
                                                                      change: dict, field: str, status: int) -> None:
    r = await svc.client.post("/v1/subjects", json=household(1, **change), headers=officer(keys))
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]]
    assert_no_pii(r.text)
    assert await count(svc, Subject) == 0 and await outbox(svc) == []


async def test_duplicate_file_is_refused(svc: RunningService, keys: Keys) -> None:
    assert (await svc.client.post("/v1/subjects", json=household(1), headers=officer(keys))).status_code == 201
    r = await svc.client.post("/v1/subjects", json=household(1, village=VILLAGE_A2), headers=officer(keys))
    assert r.status_code == 409 and r.json()["type"] == "duplicate-subject"
    assert r.json()["errors"][0]["field"] == "head.id_number"
    # The spouse of the first file cannot head a second one either.
    spouse = household(2, head={"name": "李秀英", "id_number": id_number(501, "19820305")}, members=[])
    r = await svc.client.post("/v1/subjects", json=spouse, headers=officer(keys))
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "head.id_number"
    assert await count(svc, Subject) == 1 and len(await outbox(svc)) == 1


async def test_officer_sees_and_edits_only_its_region(svc: RunningService, keys: Keys) -> None:
    mine = (await svc.client.post("/v1/subjects", json=household(1), headers=officer(keys))).json()
    theirs = await svc.client.post("/v1/subjects", json=household(2, village=VILLAGE_B, members=[]),
                                   headers=keys.headers(Role.admin))
    assert theirs.status_code == 201
    other = theirs.json()["id"]

    r = await svc.client.post("/v1/subjects", json=household(3, village=VILLAGE_B, members=[]), headers=officer(keys))
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "village"
    assert (await svc.client.get(f"/v1/subjects/{other}", headers=officer(keys))).status_code == 404
    assert (await svc.client.patch(f"/v1/subjects/{other}", json={"status": "archived"},
                                   headers=officer(keys))).status_code == 404
    listed = (await svc.client.get("/v1/subjects", headers=officer(keys))).json()["items"]
    assert [s["id"] for s in listed] == [mine["id"]]
    everything = (await svc.client.get("/v1/subjects", headers=keys.headers(Role.admin))).json()["items"]
    assert len(everything) == 2
    # A village officer inside the town, and the other town's officer.
    assert (await svc.client.get(f"/v1/subjects/{mine['id']}", headers=officer(keys, VILLAGE_A))).status_code == 200
    assert (await svc.client.get(f"/v1/subjects/{mine['id']}", headers=officer(keys, "341181101"))).status_code == 404
    regions = (await svc.client.get("/v1/regions", headers=officer(keys))).json()
    assert {r["code"] for r in regions} == {TOWN_A, VILLAGE_A, VILLAGE_A2, GROUP_A}
    # Banks and merchants do not read files.
    assert (await svc.client.get(f"/v1/subjects/{mine['id']}", headers=keys.headers(Role.bank, bank_id="b1"))).status_code == 403


async def test_a_change_is_a_new_version_with_history_and_an_event(svc: RunningService, keys: Keys) -> None:
    sid = (await svc.client.post("/v1/subjects", json=household(1), headers=officer(keys))).json()["id"]
    patch = {"expected_version": 1, "phone": "13700009999", "profile": {"annual_income": "99000.00"},
             "members": [{"name": "李秀英", "id_number": id_number(501, "19820305"), "relation": "spouse",
                          "labour": True}]}
    r = await svc.client.patch(f"/v1/subjects/{sid}", json=patch, headers=officer(keys))
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["version"] == 2 and s["phone_masked"] == "137****9999"
    assert s["profile"]["annual_income"] == "99000.00" and s["profile"]["members_count"] == 2
    assert s["profile"]["industry"] == "fox-nut (芡实) growing"  # untouched fields stay
    assert_no_pii(r.text, "13700009999")

    # The same change again changes nothing: no version, no event.
    again = await svc.client.patch(f"/v1/subjects/{sid}", json={**patch, "expected_version": 2}, headers=officer(keys))
    assert again.status_code == 200 and again.json()["version"] == 2
    stale = await svc.client.patch(f"/v1/subjects/{sid}", json={"expected_version": 1, "status": "archived"},
                                   headers=officer(keys))
    assert stale.status_code == 409 and stale.json()["type"] == "version-conflict"

    history = (await svc.client.get(f"/v1/subjects/{sid}/changes", headers=officer(keys))).json()
    assert [h["version"] for h in history] == [1, 2]
    assert {"phone", "members", "profile.annual_income", "profile.members_count"} <= set(history[1]["changed_fields"])
    assert history[1]["changes"]["phone"] == {"changed": True}
    assert history[1]["actor"] == f"officer:{TOWN_A}"
    assert_no_pii(str(history), "13700009999")

    updated = await outbox(svc, "subject-updated")
    assert len(updated) == 1
    event = orjson.loads(updated[0].payload)
    validate_event(event)
    assert event["data"]["version"] == 2 and "phone" in event["data"]["changed_fields"]
    assert_no_pii(updated[0].payload, "13700009999")

    r = await svc.client.patch(f"/v1/subjects/{sid}", json={"business_scope": "x"}, headers=officer(keys))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "business_scope"


async def test_lookup_by_id_number_logs_every_disclosure(svc: RunningService, keys: Keys) -> None:
    sid = (await svc.client.post("/v1/subjects", json=household(1), headers=officer(keys))).json()["id"]
    # Banks ask through lending, whose own identity asks here and names the bank.
    lending = keys.headers(Role.service, service="lending")
    for_bank = {"id_number": id_number(1), "on_behalf_of": "bank:rcb-tianchang"}
    r = await svc.client.post("/v1/subjects:lookup", json=for_bank, headers=lending)
    assert r.status_code == 200, r.text
    assert r.json() == {"subject_id": sid, "kind": "household", "masked_name": "张**", "status": "active",
                        "region": {"county": "341181", "town": TOWN_A, "village": VILLAGE_A, "group": None}}
    # A member's number resolves to the household too.
    r = await svc.client.post("/v1/subjects:lookup", json={"id_number": id_number(501, "19820305").lower()},
                              headers=lending)
    assert r.status_code == 200 and r.json()["subject_id"] == sid
    missing = await svc.client.post("/v1/subjects:lookup", json={**for_bank, "id_number": id_number(99)},
                                    headers=lending)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    bad = await svc.client.post("/v1/subjects:lookup", json={"id_number": "341181198001010010"}, headers=lending)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "id_number"
    assert_no_pii(bad.text + missing.text)
    outside = await svc.client.post("/v1/subjects:lookup", json={"id_number": id_number(1)},
                                    headers=officer(keys, "341181101"))
    assert outside.status_code == 404
    merchant = await svc.client.post("/v1/subjects:lookup", json={"id_number": id_number(1)},
                                     headers=keys.headers(Role.merchant, merchant_id="m1"))
    assert merchant.status_code == 403
    # A bank's own token is not the registry's caller, and only a service names another caller.
    bank = keys.headers(Role.bank, bank_id="rcb-tianchang")
    assert (await svc.client.post("/v1/subjects:lookup", json={"id_number": id_number(1)}, headers=bank)).status_code == 403
    r = await svc.client.post("/v1/subjects:lookup", json=for_bank, headers=officer(keys))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "on_behalf_of"

    async with svc.db.transaction(write=False) as session:
        rows = (await session.execute(select(Disclosure).order_by(Disclosure.id))).scalars().all()
    assert [(d.caller, d.subject_id, d.found, d.purpose) for d in rows] == [
        ("bank:rcb-tianchang via service:lending", sid, True, "credit_check"), ("service:lending", sid, True, "credit_check"),
        ("bank:rcb-tianchang via service:lending", None, False, "credit_check"), ("officer:341181101", None, False, "credit_check")]
    log = (await svc.client.get(f"/v1/subjects/{sid}/disclosures", headers=officer(keys))).json()
    assert [d["caller"] for d in log] == ["bank:rcb-tianchang via service:lending", "service:lending"]


async def test_a_move_to_another_village_changes_the_region_everywhere_it_is_announced(svc: RunningService,
                                                                                       keys: Keys) -> None:
    """A household moves (迁居) to a village of another town: the file keeps its id, its region and
    version change, the change history says so, the subject-updated event carries the new region,
    and officers follow it (the new town's see it, the old town's no longer do)."""
    sid = (await svc.client.post("/v1/subjects", json=household(1, group=GROUP_A), headers=officer(keys))).json()["id"]
    county_officer = officer(keys, "341181")
    # Into a village that is not a known village, or with a group of another village: refused.
    for change, field in [({"village": "341181100299"}, "village"), ({"village": "3411"}, "village"),
                          ({"village": VILLAGE_B, "group": GROUP_A}, "group")]:
        r = await svc.client.patch(f"/v1/subjects/{sid}", json=change, headers=county_officer)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    # An officer moves a household only into its own region.
    r = await svc.client.patch(f"/v1/subjects/{sid}", json={"village": VILLAGE_B}, headers=officer(keys))
    assert r.status_code == 403, r.text
    assert len(await outbox(svc, "subject-updated")) == 0

    r = await svc.client.patch(f"/v1/subjects/{sid}", json={"village": VILLAGE_B}, headers=county_officer)
    assert r.status_code == 200, r.text
    assert r.json()["region"] == {"county": "341181", "town": TOWN_B, "village": VILLAGE_B, "group": None}
    assert r.json()["version"] == 2 and r.json()["id"] == sid
    (event,) = [orjson.loads(e.payload) for e in await outbox(svc, "subject-updated")]
    validate_event(event)
    region = event["data"]["region"]
    assert (region["county"], region["town"], region["village"], region.get("group")) == ("341181", TOWN_B, VILLAGE_B, None)
    assert {"town", "village", "group"} <= set(event["data"]["changed_fields"])
    changes = (await svc.client.get(f"/v1/subjects/{sid}/changes", headers=county_officer)).json()
    assert changes[-1]["changes"]["village"] == {"from": VILLAGE_A, "to": VILLAGE_B}
    assert (await svc.client.get(f"/v1/subjects/{sid}", headers=officer(keys, TOWN_B))).status_code == 200
    assert (await svc.client.get(f"/v1/subjects/{sid}", headers=officer(keys, TOWN_A))).status_code == 404
    # Moving to where it already is changes nothing.
    r = await svc.client.patch(f"/v1/subjects/{sid}", json={"village": VILLAGE_B}, headers=county_officer)
    assert r.json()["version"] == 2 and len(await outbox(svc, "subject-updated")) == 1
