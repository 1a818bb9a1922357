"""The county's day, end to end over HTTP only, every service a process and the real broker in
between: files, an import, a civility evaluation, a rating round published and final, a bank's
look-up and loans (and refusals), a POS verify and redemption, the platform's statistics; then a
negative-list veto that freezes the line and stops the code's discounts within 2 s."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from common.auth import Role
from common.events.consumer import JOIN_STALL_S
from tests.e2e.cluster import Cluster
from tests.e2e.flow import (
    COUNTY,
    Caller,
    households,
    idem,
    import_households,
    lookup,
    make_village,
    money,
    poll,
    rate_region,
    register_household,
)
from tests.harness import PG_URL, Keys

pytestmark = [pytest.mark.broker, pytest.mark.slow]
BANK, MERCHANT = "bank-e2e", "merchant-e2e"
OTHER_BANK, OTHER_MERCHANT = "bank-other", "merchant-other"
DAY: dict[str, str] = {}  # what the day left behind, for the wrong callers
VETO_DEADLINE = JOIN_STALL_S + 25.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("county-day"), keys, backend="postgres" if PG_URL else "sqlite",
                extra_env={"RATING_PUBLICATION_DAYS": "0"})
    c.start()
    yield c
    c.stop()


def test_the_county_day_end_to_end(cluster: Cluster) -> None:
    admin = Caller(cluster, Role.admin)
    officer = Caller(cluster, Role.officer, region=COUNTY)
    bank = Caller(cluster, Role.bank, bank_id=BANK)
    pos = Caller(cluster, Role.merchant, merchant_id=MERCHANT)
    platform = Caller(cluster, Role.platform)

    # The officer registers the village (its regions and its own file) and two households by hand.
    village = make_village(officer, 1, 0)
    officer.ok("registry", "POST", "/v1/subjects", json={"kind": "village", "village": village, "consent": {"given": True}})
    hs = households(seed=7, count=7, village=village)
    star, neighbour = hs[0], hs[1]
    star_id = register_household(officer, village, star)
    neighbour_id = register_household(officer, village, neighbour)

    # ... and imports the rest of the village from a CSV file.
    job = import_households(officer, hs[2:])
    assert job["status"] == "done", job
    assert job["created"] == 5 and job["error_rows"] == 0, (job, officer.ok("registry", "GET", f"/v1/imports/{job['id']}/errors"))
    assert all(lookup(officer, h.head.id_number) for h in hs[2:])

    # A civility evaluation: recorded by one officer, reviewed by another, published.
    ev = officer.ok("registry", "POST", "/v1/civility/evaluations", json={
        "subject_id": star_id, "evaluated_on": dt.date.today().isoformat(), "evaluators": ["张三", "李四"],
        "items": [{"code": "P101", "times": 1}]})
    reviewer = Caller(cluster, Role.officer, region=COUNTY, sub="officer-reviewer")
    reviewer.ok("registry", "POST", f"/v1/civility/evaluations/{ev['id']}/review", json={"approved": True})
    assert officer.ok("registry", "POST", f"/v1/civility/evaluations/{ev['id']}/publish")["status"] == "published"

    # A rating round grades the village; with no publication period the grades are final at once.
    round_ = rate_region(admin, village, 7)
    assert round_["summary"]["finalised"] == 7, round_
    grade = admin.ok("rating", "GET", f"/v1/subjects/{star_id}/grade")
    assert grade["final"]["grade"] in ("A", "AA", "AAA"), grade

    # The partner bank: registered by the county, then look-up, line, loans.
    admin.ok("lending", "POST", "/v1/banks", json={"id": BANK, "name": "天长农村商业银行"}, expect=(201, 409))
    # Lending learns the grade from rating-changed: wait for the grade rating shows, not just any line
    # (on several partitions an earlier version of the star's grade may be applied first).
    line = poll(lambda: (lambda r: r.json() if r.status_code == 200 and r.json()["status"] == "active"
                         and r.json()["grade"] == grade["final"]["grade"] else None)(
        bank("lending", "GET", f"/v1/credit-lines/{star_id}")))
    found = bank.ok("lending", "POST", "/v1/subjects:lookup", json={"id_number": star.head.id_number}, headers=idem())
    assert found["subject_id"] == star_id and found["grade"] == grade["final"]["grade"] == line["grade"], found
    expected_line = {"A": Decimal("100000"), "AA": Decimal("300000"), "AAA": Decimal("500000")}[line["grade"]]
    assert money(line["line_amount"]) == expected_line and money(line["drawn"]) == 0, line
    cap = money(line["max_rate"])
    assert cap > money(line["benchmark_rate"]), line

    loan = {"subject_id": star_id, "amount": "30000.00", "annual_rate": str(cap), "term_months": 12}
    first = bank.ok("lending", "POST", "/v1/loans", json=loan, headers=idem(), expect=(201,))
    over_line = bank("lending", "POST", "/v1/loans", headers=idem(),
                     json={**loan, "amount": str(expected_line), "annual_rate": str(cap - Decimal("0.5"))})
    assert over_line.status_code == 409 and over_line.json()["type"].endswith("over-available-line"), over_line.text
    over_cap = bank("lending", "POST", "/v1/loans", headers=idem(),
                    json={**loan, "amount": "1000.00", "annual_rate": str(cap + Decimal("0.01"))})
    assert over_cap.status_code == 422 and over_cap.json()["type"].endswith("rate-above-cap"), over_cap.text
    line = bank.ok("lending", "GET", f"/v1/credit-lines/{star_id}")
    assert money(line["drawn"]) == Decimal("30000") and money(line["available"]) == expected_line - Decimal("30000")
    loans = bank.ok("lending", "GET", f"/v1/loans?subject_id={star_id}")
    assert [x["id"] for x in loans["items"]] == [first["id"]], loans

    # The merchant: registered with an offer for credit households; the household gets its code.
    admin.ok("merchant", "POST", "/v1/merchants", expect=(201, 409), json={
        "id": MERCHANT, "name": "天长信用超市", "kind": "shop", "category": "grocery", "region_code": COUNTY})
    offer = admin.ok("merchant", "POST", f"/v1/merchants/{MERCHANT}/offers", json={
        "title": "信用户95折", "rule": {"kind": "percent", "percent": "5", "cap": "20.00"},
        "eligible_grades": ["A", "AA", "AAA"]})
    poll(lambda: admin("merchant", "GET", f"/v1/households/{star_id}").status_code == 200)
    code = admin.ok("merchant", "POST", f"/v1/households/{star_id}/codes")["code"]
    seen = poll(lambda: (lambda b: b if b["status"] == "credit_household" else None)(
        pos.ok("merchant", "POST", "/v1/pos/verify", json={"code": code}, headers=idem())))
    assert seen["valid"] and seen["grade"] == grade["final"]["grade"] and "*" in seen["masked_name"], seen
    assert offer["id"] in [o["offer_id"] for o in seen["offers"]], seen
    redeemed = pos.ok("merchant", "POST", "/v1/pos/redemptions", headers=idem(), expect=(201,),
                      json={"code": code, "offer_id": offer["id"], "bill_amount": "200.00"})
    assert money(redeemed["discount"]) == Decimal("10.00") and money(redeemed["amount_to_pay"]) == Decimal("190.00")

    DAY.update(subject=star_id, loan=first["id"], redemption=redeemed["redemption_id"], code=code,
               evaluation=ev["id"], village=village)

    # The county's statistics count the subjects, the grades, the loan and the redemption exactly; the
    # provincial platform gets the same figures with the small ones suppressed (one loan is one household).
    def figures() -> dict[str, object]:
        return dict(admin.ok("stats", "GET", f"/v1/stats/summary?region={COUNTY}")["figures"])

    # Events of different subjects may arrive in any order (several partitions): wait for all of them.
    seen = poll(lambda: (lambda f: f if f["loans"] == 1 and f["redemptions"] == 1 and f["lines"] == 6
                                     else None)(figures()))
    assert seen["loan_amount"] == "30000.00" and seen["discount_amount"] == "10.00"
    assert seen["grade_b"] == 1 and seen["evaluated"] == 1, seen
    assert int(str(seen["subjects"])) >= 8 and int(str(seen["lines"])) == 6, seen
    for_platform = platform.ok("stats", "GET", f"/v1/stats/summary?region={COUNTY}")
    assert for_platform["suppression"]["applied"] is True and for_platform["figures"]["loans"] is None, for_platform

    # A negative record (court: dishonest judgment debtor) vetoes the star household.
    officer.ok("registry", "POST", "/v1/negative-records", expect=(201,), json={
        "subject_id": star_id, "agency": "court", "record_kind": "dishonest_judgment_debtor", "veto": True,
        "effective_from": dt.date.today().isoformat(), "evidence_ref": "(2026)皖1181执123号"})
    # How fast is bench/county_round's to say; here only that the veto arrives. The deadline outlasts a
    # consumer's own backstop for a stalled rebalance, so it fails only where propagation is broken.
    vetoed_at = time.monotonic()
    frozen = poll(lambda: (lambda b: b if b["status"] == "frozen" else None)(
        bank.ok("lending", "GET", f"/v1/credit-lines/{star_id}")), timeout=VETO_DEADLINE)
    refused = poll(lambda: (lambda b: b if b["status"] == "not_credit_household" else None)(
        pos.ok("merchant", "POST", "/v1/pos/verify", json={"code": code}, headers=idem())), timeout=VETO_DEADLINE)
    print(f"\nthe veto reached lending and merchant {time.monotonic() - vetoed_at:.2f}s after the record")
    assert frozen["drawn"] == line["drawn"] and not refused["offers"], (frozen, refused)
    frozen_draw = bank("lending", "POST", "/v1/loans", headers=idem(), json={**loan, "amount": "1000.00"})
    assert frozen_draw.status_code == 409 and frozen_draw.json()["type"].endswith("line-frozen"), frozen_draw.text
    refused_redemption = pos("merchant", "POST", "/v1/pos/redemptions", headers=idem(),
                             json={"code": code, "offer_id": offer["id"], "bill_amount": "200.00"})
    assert refused_redemption.status_code == 422, refused_redemption.text
    poll(lambda: figures()["lines_frozen"] == 1 and figures()["vetoed"] == 1)
    # The neighbour is untouched.
    assert bank.ok("lending", "GET", f"/v1/credit-lines/{neighbour_id}")["status"] in ("active", "none")


def test_the_wrong_callers_on_the_day_s_records_get_401_or_403_and_change_nothing(cluster: Cluster) -> None:
    """Bank B on bank A's loan, merchant B on merchant A's redemption, an officer of another county
    on the household's file, grade and records, the platform writing: refused, nothing changed."""
    if not DAY:
        pytest.skip("the county's day did not get far enough")
    admin = Caller(cluster, Role.admin)
    admin.ok("lending", "POST", "/v1/banks", json={"id": OTHER_BANK, "name": "另一家银行"}, expect=(201, 409))
    admin.ok("merchant", "POST", "/v1/merchants", expect=(201, 409), json={
        "id": OTHER_MERCHANT, "name": "别家超市", "kind": "shop", "category": "grocery", "region_code": COUNTY})
    bank, pos = Caller(cluster, Role.bank, bank_id=BANK), Caller(cluster, Role.merchant, merchant_id=MERCHANT)
    loan_before = bank.ok("lending", "GET", f"/v1/loans/{DAY['loan']}")
    line_before = bank.ok("lending", "GET", f"/v1/credit-lines/{DAY['subject']}")
    redemption_before = pos.ok("merchant", "GET", f"/v1/pos/redemptions/{DAY['redemption']}")
    file_before = admin.ok("registry", "GET", f"/v1/subjects/{DAY['subject']}")

    other_bank = Caller(cluster, Role.bank, bank_id=OTHER_BANK)
    other_pos = Caller(cluster, Role.merchant, merchant_id=OTHER_MERCHANT)
    outsider = Caller(cluster, Role.officer, region="341182")  # the next county
    platform = Caller(cluster, Role.platform)
    attempts = [
        (other_bank, "lending", "GET", f"/v1/loans/{DAY['loan']}", None),
        (other_bank, "lending", "POST", f"/v1/loans/{DAY['loan']}/repayments", {"amount": "100.00"}),
        (other_bank, "lending", "POST", f"/v1/loans/{DAY['loan']}/default", {}),
        (other_pos, "merchant", "GET", f"/v1/pos/redemptions/{DAY['redemption']}", None),
        (other_pos, "merchant", "POST", f"/v1/pos/redemptions/{DAY['redemption']}/refund", {}),
        (other_pos, "merchant", "GET", f"/v1/merchants/{MERCHANT}/redemptions", None),
        (other_pos, "merchant", "GET", f"/v1/merchants/{MERCHANT}/statistics", None),
        (outsider, "registry", "GET", f"/v1/subjects/{DAY['subject']}", None),
        (outsider, "registry", "PATCH", f"/v1/subjects/{DAY['subject']}", {"status": "archived"}),
        (outsider, "registry", "POST", "/v1/negative-records", {
            "subject_id": DAY["subject"], "agency": "court", "record_kind": "other", "veto": True,
            "effective_from": "2026-01-01", "evidence_ref": "x"}),
        (outsider, "registry", "POST", "/v1/civility/evaluations", {
            "subject_id": DAY["subject"], "evaluated_on": "2026-01-01", "evaluators": ["x"], "items": []}),
        (outsider, "registry", "POST", f"/v1/civility/evaluations/{DAY['evaluation']}/publish", None),
        (outsider, "rating", "GET", f"/v1/subjects/{DAY['subject']}/grade", None),
        (outsider, "rating", "POST", "/v1/ratings", {"subject_id": DAY["subject"]}),
        (outsider, "rating", "POST", "/v1/rating-rounds", {"region": DAY["village"]}),
        (outsider, "merchant", "POST", f"/v1/households/{DAY['subject']}/codes", None),
        (platform, "registry", "POST", "/v1/negative-records", {"subject_id": DAY["subject"]}),
        (platform, "lending", "POST", "/v1/loans", {"subject_id": DAY["subject"]}),
    ]
    for caller, service, method, path, body in attempts:
        r = caller(service, method, path, json=body, headers=idem())
        assert r.status_code in (403, 404), f"{service} {method} {path}: {r.status_code} {r.text[:300]}"
        assert r.headers["content-type"].startswith("application/problem+json")
    # Bank B's listing does not show bank A's loan.
    assert other_bank.ok("lending", "GET", f"/v1/loans?subject_id={DAY['subject']}")["items"] == []

    assert bank.ok("lending", "GET", f"/v1/loans/{DAY['loan']}") == loan_before
    assert bank.ok("lending", "GET", f"/v1/credit-lines/{DAY['subject']}")["drawn"] == line_before["drawn"]
    assert pos.ok("merchant", "GET", f"/v1/pos/redemptions/{DAY['redemption']}") == redemption_before
    after = admin.ok("registry", "GET", f"/v1/subjects/{DAY['subject']}")
    assert after["status"] == file_before["status"] and after["version"] == file_before["version"]
