"""Loading the demo county into running services, over their public APIs, the way a county's
staff would: regions, village and entity files, the household import, a partner bank with its
products, a merchant with offers, a bus company with the free-ride benefit, a rating round that
is published and finalised, and household codes. Writes ``var/demo.env`` for the README's
examples."""
from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.admin.client import Services
from tools.admin.county import CountyGenerator, Household

DEMO_BANK = "bank-tcrcb"
DEMO_MERCHANT = "merchant-demo-market"
DEMO_BUS = "merchant-demo-bus"

SIZES = {
    "small": {"households": 3_000, "entities": 100},
    "county": {"households": 111_000, "entities": 1_023},
}

Progress = Callable[[str, int, int], None]


@dataclass
class DemoCounty:
    generator: CountyGenerator
    households: list[Household]


def generate(size: str = "small", seed: int = 2022) -> DemoCounty:
    sizes = SIZES[size]
    gen = CountyGenerator(seed=seed, households=sizes["households"], entities=sizes["entities"])
    return DemoCounty(gen, list(gen.households()))


def regions_csv(gen: CountyGenerator) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["code", "name"])
    county = gen.county
    w.writerow([county.code, county.name])
    for town in county.towns:
        w.writerow([town.code, town.name])
    for village in county.villages:
        w.writerow([village.code, village.name])
        for i, group in enumerate(village.groups, 1):
            w.writerow([group, f"{village.name}{i}组"])
    return out.getvalue().encode()


HOUSEHOLD_COLUMNS = ["village", "group", "head_name", "head_id_number", "phone", "political_status", "education",
                     "members_count", "labour_count", "party_members", "max_education", "annual_income", "land_mu",
                     "agri_assets_value", "industry", "production_years", "debts_outstanding", "overdue_count",
                     "pboc_report_clean", "consent_given", "consent_date", "consent_scopes"]
EDU_RANK = ["none", "primary", "junior", "senior", "college", "university"]


def household_row(h: Household) -> list[str]:
    head = h.head
    return [h.village_code, h.group_code, head.name, head.id_number, h.phone,
            "party_member" if head.party_member else "masses", head.education,
            str(len(h.members)), str(sum(m.labour for m in h.members)), str(sum(m.party_member for m in h.members)),
            max((m.education for m in h.members), key=EDU_RANK.index), str(h.annual_income), str(h.land_mu),
            str(h.agri_assets_value), h.industry, str(h.production_years), str(h.debts_outstanding),
            str(h.overdue_count), "是" if h.overdue_count == 0 else "否", "是", h.consent_date.isoformat(),
            "rating;lending;merchant;benefits;statistics"]


def households_csv(households: list[Household]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HOUSEHOLD_COLUMNS)
    for h in households:
        w.writerow(household_row(h))
    return out.getvalue().encode()


def load(api: Services, demo: DemoCounty, var: Path, progress: Progress) -> dict[str, str]:
    gen = demo.generator
    county = gen.county
    progress("regions", 0, 1)
    api.call("registry", "POST", "/v1/regions:import", files={"file": ("regions.csv", regions_csv(gen), "text/csv")})
    progress("regions", 1, 1)

    consent = {"given": True, "date": "2022-03-01", "scopes": ["rating", "lending", "merchant", "benefits", "statistics"]}
    entities = list(gen.entities())
    total = len(county.villages) + len(entities)
    done = 0
    for village in county.villages:
        api.call("registry", "POST", "/v1/subjects", ok=(201, 409),
                 json={"kind": "village", "village": village.code, "name": village.name, "consent": consent})
        done += 1
        if done % 50 == 0:
            progress("village and entity files", done, total)
    for e in entities:
        body: dict[str, Any] = {"kind": e.kind, "village": e.village_code, "name": e.name, "consent": consent,
                                "registration_number": e.registration_number,
                                "profile": {"industry": e.industry, "employees": e.employees,
                                            "other_assets_value": str(e.assets_value),
                                            "annual_revenue": str(e.annual_revenue),
                                            "debts_outstanding": str(e.debts_outstanding), "overdue_count": 0,
                                            "production_years": 5}}
        if e.kind == "new_entity":
            body["entity_type"] = e.entity_type
        else:
            body["profile"] = {"collective_income": str(e.annual_revenue), "other_assets_value": str(e.assets_value),
                               "households_count": 700}
        api.call("registry", "POST", "/v1/subjects", ok=(201, 409), json=body)
        done += 1
        if done % 50 == 0:
            progress("village and entity files", done, total)
    progress("village and entity files", total, total)

    job = api.call("registry", "POST", "/v1/imports",
                   files={"file": ("households.csv", households_csv(demo.households), "text/csv")})
    api.wait("registry", f"/v1/imports/{job['id']}", lambda b: b["status"] in ("done", "failed"),
             on_progress=lambda b: progress("household import", b.get("processed_rows") or 0, b.get("total_rows") or 1))

    first = demo.households[0]
    subject = api.call("registry", "POST", "/v1/subjects:lookup", json={"id_number": first.head.id_number})

    # Partners: a bank with two local products, a market with offers, a bus company with free rides.
    api.call("lending", "POST", "/v1/banks", ok=(201, 409), json={"id": DEMO_BANK, "name": "天长农村商业银行"})
    api.call("lending", "POST", f"/v1/banks/{DEMO_BANK}/products", ok=(201, 409),
             json={"code": "qianshi-dai", "name": "芡实贷", "industries": ["芡实"], "max_amount": "500000.00"})
    api.call("lending", "POST", f"/v1/banks/{DEMO_BANK}/products", ok=(201, 409),
             json={"code": "lasi-dai", "name": "拉丝贷", "industries": ["拉丝"], "max_amount": "500000.00"})
    api.call("lending", "POST", f"/v1/banks/{DEMO_BANK}/products", ok=(201, 409),
             json={"code": "xingcun-funong", "name": "兴村富农贷", "kinds": ["household", "new_entity", "collective"]})
    api.call("merchant", "POST", "/v1/merchants", ok=(201, 409),
             json={"id": DEMO_MERCHANT, "name": "天长信用超市", "kind": "shop", "category": "grocery", "region_code": county.code})
    offers = [
        {"title": "信用户95折", "rule": {"kind": "percent", "percent": "5", "cap": "20.00"}, "eligible_grades": ["A", "AA", "AAA"]},
        {"title": "AA及以上满100减10", "rule": {"kind": "spend_save", "threshold": "100.00", "save": "10.00"},
         "eligible_grades": ["AA", "AAA"]},
        {"title": "AAA九折", "rule": {"kind": "percent", "percent": "10", "cap": "50.00"}, "eligible_grades": ["AAA"]},
    ]
    existing = api.call("merchant", "GET", f"/v1/merchants/{DEMO_MERCHANT}/offers")
    titles = {o["title"] for o in (existing["items"] if isinstance(existing, dict) else existing)}
    for offer in offers:
        if offer["title"] not in titles:
            api.call("merchant", "POST", f"/v1/merchants/{DEMO_MERCHANT}/offers", json=offer)
    api.call("merchant", "POST", "/v1/merchants", ok=(201, 409),
             json={"id": DEMO_BUS, "name": "天长公交公司", "kind": "benefit_verifier", "category": "bus", "region_code": county.code})
    programmes = api.call("merchant", "GET", "/v1/programmes")
    if not any(p["name"] == "信用户免费乘公交" for p in (programmes["items"] if isinstance(programmes, dict) else programmes)):
        programme = api.call("merchant", "POST", "/v1/programmes", json={
            "name": "信用户免费乘公交", "description": "free bus rides for credit households",
            "rule": {"kind": "benefit", "benefit": "免费乘车"}, "eligible_grades": ["A", "AA", "AAA"]})
        api.call("merchant", "POST", f"/v1/programmes/{programme['id']}/verifiers", json={"merchant_id": DEMO_BUS})

    # Rating learns the files from the registry's events; a round rates what it knows, so start
    # again until it has seen every file (a few seconds at most in the embedded run).
    expected = len(demo.households) + len(entities)
    for _ in range(60):
        rnd = api.call("rating", "POST", "/v1/rating-rounds", json={"region": county.code})
        rnd = api.wait("rating", f"/v1/rating-rounds/{rnd['id']}", lambda b: b["status"] in ("done", "failed"),
                       on_progress=lambda b: progress("rating round", b.get("done") or 0, expected))
        if rnd["status"] == "done" and rnd["total"] >= expected:
            break
        time.sleep(2)
    api.call("rating", "POST", "/v1/publications:finalise")

    # Lending and merchant learn the final grades from rating-changed: wait for the first household.
    api.wait("lending", f"/v1/credit-lines/{subject['subject_id']}", lambda b: b.get("grade") is not None, timeout=300)
    code = api.call("merchant", "POST", f"/v1/households/{subject['subject_id']}/codes")
    env = {"DEMO_COUNTY": county.code, "DEMO_VILLAGE": first.village_code, "DEMO_SUBJECT_ID": subject["subject_id"],
           "DEMO_ID_NUMBER": first.head.id_number, "DEMO_CODE": code["code"], "DEMO_BANK": DEMO_BANK,
           "DEMO_MERCHANT": DEMO_MERCHANT}
    (var / "demo.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return env
