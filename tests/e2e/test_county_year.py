"""The county's year, end to end: every service a process, the real broker in between, SQLite (and
PostgreSQL where one answers), and one clock for all of them that the test moves forward.

One town, two villages, a dozen households, seven moves of the clock:
- day 0: files registered (one household consents to everything but lending), codes issued, the
  annual rating round published (公示, 7 days), an objection filed; officers list the publication;
- day 8, 07:30 Beijing: the publication ends and the grades are final; a fox-nut loan (芡实贷) and a
  refusal; a loan, a default, and the household refused at every bank; consent honoured;
- day 40: a civility evaluation praises a household; a household moves to the other village, one is
  archived, one gets a negative-list record that expires on day 70;
- day 71: the record expires by the registry's job and the veto lifts;
- day 200: the county's new grade policy reaches every existing line by a job with progress;
- day 365 and 373: the second annual round is published, then final: it confirms the grades and
  the lines live on; the praised household did not score lower; the Beijing day's bank file.
How long each outcome took to reach lending and merchant is measured, printed as a table, and held
to a generous deadline (not a speed target: a broken propagation never arrives)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest

from common.auth import Role
from common.clock import BEIJING, beijing_day
from common.events.consumer import JOIN_STALL_S
from tests.conftest import BACKENDS
from tests.e2e.cluster import Cluster
from tests.e2e.flow import (
    COUNTY,
    STRONG_PROFILE,
    TOWN,
    Caller,
    CountyClock,
    beijing,
    households,
    idem,
    make_village,
    money,
    poll,
    rate_region,
    register_household,
)
from tests.harness import Keys

pytestmark = [pytest.mark.broker, pytest.mark.slow]

BANK_A, BANK_B, MERCHANT = "bank-year-a", "bank-year-b", "merchant-year"
PRODUCT = "qianshi-dai"
# Seconds for an outcome to reach lending, merchant and stats: never a speed target (the year prints
# its timings, about 0.1 s each). It outlasts a consumer's slowest designed recovery, a rebalance
# restarted after JOIN_STALL_S and joined again: once in CI a move reached stats only after 20 s.
DEADLINE = JOIN_STALL_S + 25.0
WAITING_DEADLINE = 5.0
GRADES = ["D", "C", "B", "A", "AA", "AAA"]
NO_LENDING = {"given": True, "date": "2022-03-01", "scopes": ["rating", "merchant", "benefits", "statistics"]}

# Steps whose feature is still on another engineer's branch (issue 12): they run, and a failure is
# reported as waiting (xfail) instead of failing the year. Empty once everything is merged.
WAITING: dict[str, str] = {}


class Year:
    """What the year measured (outcome → where → seconds) and which waiting steps failed."""

    def __init__(self) -> None:
        self.timings: dict[str, dict[str, float]] = {}
        self.failed: dict[str, str] = {}  # waiting step → what failed
        self.current: str | None = None

    @contextmanager
    def step(self, key: str) -> Iterator[None]:
        """A step of the year; one whose feature is still waiting for a branch may fail softly."""
        self.current = key
        try:
            yield
        except (AssertionError, httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            if key not in WAITING:
                raise
            self.failed.setdefault(key, f"{key} [{WAITING[key]}]: {str(exc)[:300]}")
        finally:
            self.current = None

    def reach(self, outcome: str, started: float, **checks: Callable[[], Any]) -> dict[str, Any]:
        """Polls every check until each holds; records when each first held, since ``started``."""
        deadline = WAITING_DEADLINE if self.current in WAITING else DEADLINE
        pending, seen = dict(checks), {}
        last: dict[str, Any] = {}
        while pending:
            for where, check in list(pending.items()):
                value = check()
                if value:
                    seen[where] = value
                    self.timings.setdefault(outcome, {})[where] = time.monotonic() - started
                    del pending[where]
                else:
                    last[where] = value
            if pending and time.monotonic() - started > deadline:
                last = {where: last.get(where) for where in pending}
                raise AssertionError(f"{outcome}: not reached in {', '.join(pending)} within {deadline}s "
                                     f"(last: {str(last)[:400]})")
            time.sleep(0.05)
        return seen

    def table(self) -> str:
        places = ["lending", "merchant", "registry", "stats"]
        lines = [f"{'outcome':<44}" + "".join(f"{p:>10}" for p in places)]
        for outcome, where in self.timings.items():
            lines.append(f"{outcome:<44}" + "".join(f"{where[p]:>9.2f}s" if p in where else f"{'-':>10}"
                                                   for p in places))
        return "\n".join(lines)


@pytest.fixture(params=BACKENDS)
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           keys: Keys) -> Iterator[tuple[Cluster, CountyClock]]:
    workdir = tmp_path_factory.mktemp(f"county-year-{request.param}")
    clock = CountyClock(workdir / "county-clock")
    cluster = Cluster(workdir, keys, backend=request.param,
                      extra_env={**clock.env(), "RATING_PUBLICATION_DAYS": "7",
                                 "REGISTRY_EXPIRE_INTERVAL_SECONDS": "1"})  # the expiry job, often
    cluster.start()
    yield cluster, clock
    cluster.stop()


def json_or_none(r: httpx.Response) -> Any:
    return r.json() if r.status_code == 200 else None


def rank(grade: str | None) -> int:
    return GRADES.index(grade) if grade in GRADES else -1


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def test_the_county_year_end_to_end(county: tuple[Cluster, CountyClock]) -> None:
    cluster, clock = county
    year = Year()
    admin = Caller(cluster, Role.admin)
    officer = Caller(cluster, Role.officer, region=COUNTY)
    reviewer = Caller(cluster, Role.officer, region=COUNTY, sub="officer-reviewer")
    bank_a, bank_b = Caller(cluster, Role.bank, bank_id=BANK_A), Caller(cluster, Role.bank, bank_id=BANK_B)
    pos = Caller(cluster, Role.merchant, merchant_id=MERCHANT)

    def line(subject_id: str, caller: Caller = officer) -> Any:
        return json_or_none(caller("lending", "GET", f"/v1/credit-lines/{subject_id}"))

    def verify(code: str) -> dict[str, Any]:
        return dict(pos.ok("merchant", "POST", "/v1/pos/verify", json={"code": code}, headers=idem()))

    def grade(subject_id: str) -> dict[str, Any]:
        return dict(officer.ok("rating", "GET", f"/v1/subjects/{subject_id}/grade"))

    def village_subjects(code: str) -> int:
        figures = admin.ok("stats", "GET", f"/v1/stats/summary?region={code}")["figures"]  # exact: the county's
        return int(figures.get("subjects") or 0)

    # ── Day 0, 09:00 Beijing: the files ─────────────────────────────────────────────────────────
    day0 = beijing_day(dt.datetime.now(dt.UTC)) + dt.timedelta(days=1)
    clock.move_to(beijing(day0, 9))
    v1, v2 = make_village(officer, 0, 0), make_village(officer, 0, 1)
    hs = households(seed=12, count=12, village=v1)
    roles = ["praised", "plain", "fox", "wire", "borrower", "mover", "archived", "negative", "no_lending",
             "objector", "v2b", "v2c"]
    people = dict(zip(roles, hs, strict=True))
    ids: dict[str, str] = {}
    for role, h in people.items():
        village = v2 if role in ("objector", "v2b", "v2c") else v1
        profile = {**STRONG_PROFILE, "industry": "拉丝"} if role == "wire" else STRONG_PROFILE
        ids[role] = register_household(officer, village, h, profile,
                                       consent=NO_LENDING if role == "no_lending" else None)
    in_v1 = [r for r in roles if r not in ("objector", "v2b", "v2c")]

    # The county's partners: two banks (one with 芡实贷 for fox-nut growers), a merchant with an offer.
    admin.ok("lending", "POST", "/v1/banks", json={"id": BANK_A, "name": "天长农村商业银行"}, expect=(201, 409))
    admin.ok("lending", "POST", "/v1/banks", json={"id": BANK_B, "name": "邮储银行天长支行"}, expect=(201, 409))
    admin.ok("lending", "POST", f"/v1/banks/{BANK_A}/products", expect=(201,), json={
        "code": PRODUCT, "name": "芡实贷", "industries": ["芡实"], "max_term_months": 24})
    policy = admin.ok("lending", "GET", "/v1/policies/current")
    amounts = {(r["kind"], r["grade"]): money(r["line_amount"]) for r in policy["rows"]}
    admin.ok("merchant", "POST", "/v1/merchants", expect=(201, 409), json={
        "id": MERCHANT, "name": "天长信用超市", "kind": "shop", "category": "grocery", "region_code": COUNTY})
    admin.ok("merchant", "POST", f"/v1/merchants/{MERCHANT}/offers", json={
        "title": "信用户95折", "rule": {"kind": "percent", "percent": "5", "cap": "20.00"},
        "eligible_grades": ["A", "AA", "AAA"]})
    codes: dict[str, str] = {}
    for role, sid in ids.items():
        poll(lambda sid=sid: admin("merchant", "GET", f"/v1/households/{sid}").status_code == 200)
        codes[role] = admin.ok("merchant", "POST", f"/v1/households/{sid}/codes")["code"]

    # ── The annual round: published for 7 days (公示), not final ──────────────────────────────────
    round1 = rate_region(admin, TOWN, len(roles), finalise=False)
    assert round1["summary"].get("finalised", 0) == 0, round1
    first: dict[str, dict[str, Any]] = {}
    for role, sid in ids.items():
        pending = grade(sid)["pending"]
        assert pending["status"] == "published" and grade(sid)["final"] is None, (role, pending)
        ends = dt.datetime.fromisoformat(pending["publication_ends_at"])
        assert beijing_day(ends) == day0 + dt.timedelta(days=7), (role, pending)
        first[role] = pending
    assert verify(codes["plain"])["status"] == "not_credit_household"  # nothing is final yet
    assert line(ids["plain"]) is None

    # An objection (异议) on a published grade: it is disputed and will not go final by itself.
    objection = officer.ok("rating", "POST", f"/v1/ratings/{first['objector']['id']}/objections", expect=(201,),
                           json={"reason": "新建的大棚没有计入涉农资产"})

    # 8. The publication can be posted: a village's ratings by status, JSON (paged) and CSV.
    with year.step("publications"):
        listed = officer.ok("rating", "GET", f"/v1/publications?region={v1}&status=published")
        assert {i["subject_id"] for i in listed["items"]} == {ids[r] for r in in_v1}, listed
        for item in listed["items"]:
            assert beijing_day(dt.datetime.fromisoformat(item["publication_ends_at"])) == day0 + dt.timedelta(days=7)
            assert item["objection_deadline"] and item["grade"] in GRADES and "*" in item["masked_name"], item
        page = officer.ok("rating", "GET", f"/v1/publications?region={v1}&status=published&limit=5")
        assert len(page["items"]) == 5 and page["next_after"], page
        rest = officer.ok("rating", "GET", f"/v1/publications?region={v1}&status=published&limit=5"
                                           f"&after={page['next_after']}")
        assert {i["subject_id"] for i in page["items"] + rest["items"]} == {ids[r] for r in in_v1}, rest
        printable = officer("rating", "GET", f"/v1/publications?region={v1}&status=published",
                            headers={"Accept": "text/csv"})
        assert printable.status_code == 200 and printable.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(printable.text.lstrip("\ufeff"))))
        assert "公示截止" in rows[0] and "异议截止" in rows[0], rows[0]  # Chinese headers, to post on the board
        assert len(rows) == 1 + len(in_v1), rows
        disputed = officer.ok("rating", "GET", f"/v1/publications?region={v2}&status=disputed")
        assert [(i["subject_id"], i["open_objections"]) for i in disputed["items"]] == [(ids["objector"], 1)], disputed
        assert disputed["items"][0]["answer_due"], disputed
        town_wide = officer.ok("rating", "GET", f"/v1/publications?region={TOWN}&status=published")
        assert len(town_wide["items"]) == len(roles) - 1, town_wide  # the disputed one is listed as disputed

    # ── Day 8, 07:30 Beijing: the publication has ended, the grades are final ───────────────────
    clock.move_to(beijing(day0 + dt.timedelta(days=8), 7, 30))
    started = time.monotonic()
    admin.ok("rating", "POST", "/v1/publications:finalise")
    year.reach("annual round final (公示 ended)", started,
               lending=lambda: (line(ids["plain"]) or {}).get("status") == "active",
               merchant=lambda: verify(codes["plain"])["status"] == "credit_household")
    for role, sid in ids.items():
        if role == "objector":
            continue
        final = grade(sid)["final"]
        assert final is not None and final["grade"] == first[role]["grade"], (role, final)
        granted = poll(lambda sid=sid: (lambda b: b if b and b["status"] == "active" else None)(line(sid)), timeout=DEADLINE)
        assert money(granted["line_amount"]) == amounts[("household", granted["grade"])], (role, granted)
    # The disputed grade stayed on publication until the objection was answered in writing.
    assert grade(ids["objector"])["final"] is None and grade(ids["objector"])["pending"]["disputed"] is True
    officer.ok("rating", "POST", f"/v1/objections/{objection['id']}/answer",
               json={"decision": "rejected", "answer": "大棚已按评估办法计入,维持原评级"})
    admin.ok("rating", "POST", "/v1/publications:finalise")
    assert grade(ids["objector"])["final"]["grade"] == first["objector"]["grade"]
    with year.step("publications"):
        final_list = officer.ok("rating", "GET", f"/v1/publications?region={v1}&status=final")
        assert {i["subject_id"] for i in final_list["items"]} == {ids[r] for r in in_v1}, final_list
        assert officer.ok("rating", "GET", f"/v1/publications?region={v1}&status=published")["items"] == []

    cap = money(line(ids["fox"])["max_rate"])
    loans: dict[str, str] = {}

    # 4 and 7. A fox-nut grower takes 芡实贷 at 07:3x Beijing; a wire-drawing household may not.
    with year.step("product-industry"):
        taken = bank_a.ok("lending", "POST", "/v1/loans", headers=idem(), expect=(201,), json={
            "subject_id": ids["fox"], "amount": "50000.00", "annual_rate": str(cap), "term_months": 12,
            "product": PRODUCT})
        loans["fox"] = taken["id"]
        drawn_at = dt.datetime.fromisoformat(taken["drawn_at"]).astimezone(BEIJING)
        assert drawn_at.date() == day0 + dt.timedelta(days=8) and drawn_at.hour == 7, drawn_at
        refused = bank_a("lending", "POST", "/v1/loans", headers=idem(), json={
            "subject_id": ids["wire"], "amount": "50000.00", "annual_rate": str(cap), "term_months": 12,
            "product": PRODUCT})
        assert refused.status_code == 422 and refused.json()["type"].endswith("product-not-eligible"), refused.text

    # 2. A loan, then a default: the line is frozen at once, and no bank lends again.
    lent = bank_a.ok("lending", "POST", "/v1/loans", headers=idem(), expect=(201,), json={
        "subject_id": ids["borrower"], "amount": "20000.00", "annual_rate": str(cap), "term_months": 12})
    loans["borrower"] = lent["id"]
    bank_a.ok("lending", "POST", f"/v1/loans/{lent['id']}/default", headers=idem(), expect=(201,), json={})
    started = time.monotonic()
    with year.step("default-freezes"):
        year.reach("a default (不良贷款)", started,
                   lending=lambda: (line(ids["borrower"]) or {}).get("status") == "frozen",
                   merchant=lambda: verify(codes["borrower"])["status"] == "not_credit_household")
        for bank in (bank_b, bank_a):
            again = bank("lending", "POST", "/v1/loans", headers=idem(), json={
                "subject_id": ids["borrower"], "amount": "1000.00", "annual_rate": str(cap), "term_months": 12})
            assert again.status_code == 409 and again.json()["type"].endswith("line-frozen"), again.text

    # 6. Consent: a household that did not consent to lending is not shown to a bank; merchants see it.
    with year.step("consent"):
        found = bank_a("lending", "POST", "/v1/subjects:lookup", headers=idem(),
                       json={"id_number": people["no_lending"].head.id_number})
        shown = bank_a("lending", "GET", f"/v1/credit-lines/{ids['no_lending']}")
        for refused in (found, shown):  # a clear problem, and no data
            assert refused.status_code == 403 and refused.json()["type"].endswith("no-consent"), refused.text
            assert refused.headers["content-type"].startswith("application/problem+json"), refused.text
            assert not {"grade", "line_amount", "masked_name"} & set(refused.json()), refused.text
        listed = bank_a.ok("lending", "GET", f"/v1/villages/{v1}/credit-lines")
        assert ids["no_lending"] not in {i["subject_id"] for i in listed["items"]}, listed
        assert ids["plain"] in {i["subject_id"] for i in listed["items"]}, listed
        ok = bank_a.ok("lending", "POST", "/v1/subjects:lookup", headers=idem(),
                       json={"id_number": people["plain"].head.id_number})
        assert ok["subject_id"] == ids["plain"], ok
    assert verify(codes["no_lending"])["status"] == "credit_household"

    # ── Day 40: a civility evaluation, a move, an archive, a negative record ────────────────────
    day40 = day0 + dt.timedelta(days=40)
    clock.move_to(beijing(day40, 10))
    ev = officer.ok("registry", "POST", "/v1/civility/evaluations", expect=(201,), json={
        "subject_id": ids["praised"], "evaluated_on": day40.isoformat(), "evaluators": ["张三", "李四"],
        "items": [{"code": "P101", "times": 1}]})
    reviewer.ok("registry", "POST", f"/v1/civility/evaluations/{ev['id']}/review", json={"approved": True})
    assert officer.ok("registry", "POST", f"/v1/civility/evaluations/{ev['id']}/publish")["status"] == "published"

    # 4. A household moves to the other village: lending, merchant and stats follow; so do officers.
    with year.step("move"):
        before = {v: village_subjects(v) for v in (v1, v2)}
        officer.ok("registry", "PATCH", f"/v1/subjects/{ids['mover']}", json={"village": v2, "group": f"{v2}001"})
        started = time.monotonic()
        year.reach("a move (迁居)", started,
                   lending=lambda: (line(ids["mover"]) or {}).get("region", {}).get("village") == v2,
                   merchant=lambda: (admin.ok("merchant", "GET", f"/v1/households/{ids['mover']}")["region"]
                                     or {}).get("village") == v2,
                   stats=lambda: village_subjects(v2) == before[v2] + 1 and village_subjects(v1) == before[v1] - 1)
        new_officer, old_officer = (Caller(cluster, Role.officer, region=v) for v in (v2, v1))
        assert new_officer("registry", "GET", f"/v1/subjects/{ids['mover']}").status_code == 200
        assert new_officer("lending", "GET", f"/v1/credit-lines/{ids['mover']}").status_code == 200
        assert old_officer("lending", "GET", f"/v1/credit-lines/{ids['mover']}").status_code == 404  # as if unknown
        assert old_officer("registry", "GET", f"/v1/subjects/{ids['mover']}").status_code in (403, 404)

    # 4. An archived file (the head died, the family left): the line is closed, the code revoked.
    with year.step("archive"):
        officer.ok("registry", "PATCH", f"/v1/subjects/{ids['archived']}", json={"status": "archived"})
        started = time.monotonic()
        year.reach("an archive (注销)", started,
                   lending=lambda: (line(ids["archived"]) or {}).get("status") == "closed",
                   merchant=lambda: verify(codes["archived"])["status"] == "unknown_code")
        assert admin.ok("merchant", "GET", f"/v1/households/{ids['archived']}")["code_issued_at"] is None
        closed = bank_a("lending", "POST", "/v1/loans", headers=idem(), json={
            "subject_id": ids["archived"], "amount": "1000.00", "annual_rate": str(cap), "term_months": 12})
        assert closed.status_code == 409, closed.text

    # 5. A negative-list record with an end date: the veto freezes the line and stops the discounts.
    record = officer.ok("registry", "POST", "/v1/negative-records", expect=(201,), json={
        "subject_id": ids["negative"], "agency": "court", "record_kind": "dishonest_judgment_debtor", "veto": True,
        "effective_from": day40.isoformat(), "expires_on": (day0 + dt.timedelta(days=70)).isoformat(),
        "evidence_ref": "(2026)皖1181执77号"})
    started = time.monotonic()
    year.reach("a negative record (负面清单)", started,
               lending=lambda: (line(ids["negative"]) or {}).get("status") == "frozen",
               merchant=lambda: verify(codes["negative"])["status"] == "not_credit_household")

    # ── Day 71: the record has expired; nobody clears it: the registry's job finds it ───────────
    clock.move_to(beijing(day0 + dt.timedelta(days=71), 10))
    started = time.monotonic()
    with year.step("expiry"):
        year.reach("a negative record expires (到期)", started,
                   registry=lambda: officer.ok("registry", "GET", f"/v1/negative-records/{record['id']}")["status"]
                   != "raised",
                   lending=lambda: (line(ids["negative"]) or {}).get("status") == "active",
                   merchant=lambda: verify(codes["negative"])["status"] == "credit_household")
        assert grade(ids["negative"])["final"]["grade"] == first["negative"]["grade"]

    # ── Day 200: a new grade policy reaches every existing line by a job with progress ──────────
    clock.move_to(beijing(day0 + dt.timedelta(days=200), 10))
    rows = [{**r, "line_amount": str(money(r["line_amount"]) + Decimal("50000")) if r["kind"] == "household"
             else r["line_amount"]} for r in policy["rows"]]
    new_policy = admin.ok("lending", "POST", "/v1/policies", expect=(201,), json={"validity_months": 36, "rows": rows})
    new_amounts = {(r["kind"], r["grade"]): money(r["line_amount"]) for r in new_policy["rows"]}
    with year.step("policy-application"):
        started = time.monotonic()
        job = admin.ok("lending", "POST", "/v1/policy-applications", expect=(202,))
        assert job["policy_version"] == new_policy["version"], job
        year.reach("a new grade policy (授信政策)", started,
                   lending=lambda: (lambda b: b and money(b["line_amount"]) == new_amounts[("household", b["grade"])]
                                    and b["policy_version"] == new_policy["version"])(line(ids["plain"])))
        done = poll(lambda: (lambda b: b if b["status"] in ("done", "failed") else None)(
            admin.ok("lending", "GET", f"/v1/policy-applications/{job['id']}")), timeout=DEADLINE)
        assert done["status"] == "done" and done["done"] == done["total"] >= len(roles) - 1, done
        assert done["changed"] >= 7, done  # every active household line took the new amounts
        for role in ("plain", "fox", "wire", "mover", "no_lending", "objector") + (
                () if "expiry" in year.failed else ("negative",)):
            now_line = line(ids[role])
            assert now_line["status"] == "active" and now_line["policy_version"] == new_policy["version"], (role, now_line)
            assert money(now_line["line_amount"]) == new_amounts[("household", now_line["grade"])], (role, now_line)
        assert line(ids["borrower"])["status"] == "frozen"

    # ── Day 365: the second annual round; day 373: final, confirming the grades ─────────────────
    clock.move_to(beijing(day0 + dt.timedelta(days=365), 10))
    active = [r for r in roles if r != "archived"]
    rate_region(admin, TOWN, len(active), finalise=False)
    second = {role: grade(ids[role])["pending"] for role in active}
    valid_before = {role: (line(ids[role]) or {}).get("valid_until") for role in ids}
    clock.move_to(beijing(day0 + dt.timedelta(days=373), 10))
    started = time.monotonic()
    admin.ok("rating", "POST", "/v1/publications:finalise")
    finalised_on = clock.now().date()
    confirmed = ["plain", "fox", "wire", "mover", "negative", "no_lending", "objector", "v2b", "v2c"]
    if "expiry" in year.failed:
        confirmed.remove("negative")
    for role in confirmed:
        final = poll(lambda role=role: grade(ids[role])["final"] if grade(ids[role])["pending"] is None else None)
        assert final["grade"] == first[role]["grade"], (role, final)  # confirmed, not changed

    # 3. A final rating that confirms the grade renews the line's validity (by the policy in force).
    with year.step("renewal"):
        renewed = year.reach("the second round confirms (年度复评)", started,
                             lending=lambda: (lambda b: b if b and b["valid_until"] != valid_before["plain"] else None)(
                                 line(ids["plain"])))["lending"]
        validity = 36  # the policy in force (day 200's), whether or not its job has run
        for role in confirmed:
            renewed = poll(lambda role=role: (lambda b: b if b and b["valid_until"] != valid_before[role] else None)(
                line(ids[role])), timeout=WAITING_DEADLINE)
            until = dt.date.fromisoformat(renewed["valid_until"])
            assert abs((until - add_months(finalised_on, validity)).days) <= 1, (
                role, until, validity, finalised_on, renewed["policy_version"], new_policy["version"])
            assert renewed["status"] == "active", (role, renewed)

    # 1. Civility: the praised household never scores lower than before, nor than its unpraised twin.
    with year.step("civility"):
        praised, plain = grade(ids["praised"])["final"], grade(ids["plain"])["final"]
        assert money(second["praised"]["score"]) >= money(first["praised"]["score"]), (first["praised"], praised)
        assert rank(praised["grade"]) >= rank(first["praised"]["grade"]), (first["praised"], praised)
        assert money(praised["score"]) >= money(plain["score"]), (praised, plain)

    # 2. (continued) The defaulted household is still refused a year on: the default counts.
    with year.step("default-freezes"):
        assert rank(grade(ids["borrower"])["final"]["grade"]) < rank("A") or grade(ids["borrower"])["final"]["vetoed"]
        assert line(ids["borrower"])["status"] == "frozen"

    # 7. The bank's reconciliation file of day 8 (a Beijing day) holds the loans made at 07:3x.
    with year.step("reconciliation"):
        day8 = day0 + dt.timedelta(days=8)
        file8 = bank_a("lending", "GET", f"/v1/reconciliation?day={day8.isoformat()}")
        file7 = bank_a("lending", "GET", f"/v1/reconciliation?day={(day8 - dt.timedelta(days=1)).isoformat()}")
        assert file8.status_code == 200 and file7.status_code == 200, (file8.text, file7.text)
        for loan_id in loans.values():
            assert loan_id in file8.text and loan_id not in file7.text, (loan_id, file8.text, file7.text)

    # The county's year: the loans, the default, the subjects (the platform sees them with small areas suppressed).
    figures = poll(lambda: (lambda f: f if f["loans"] >= 1 else None)(
        admin.ok("stats", "GET", f"/v1/stats/summary?region={COUNTY}")["figures"]))
    assert int(figures["subjects"]) >= len(active), figures

    print("\nThe county's year: how long each outcome took to arrive (seconds after the action)\n" + year.table())
    if year.failed:
        pytest.xfail("steps waiting for other branches:\n" + "\n".join(year.failed.values()))
