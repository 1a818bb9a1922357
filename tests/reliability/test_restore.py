"""Restore drills and crashes, with every service a process and the real broker in between (the
broker is never restarted: Tansu keeps its log in memory for as long as its process lives).

- lending restored from a backup: it re-reads the grade changes its copy had not seen (its stored
  positions, not the broker's offsets), ends every line at its newest grade with no history entry
  twice, and the bank's own list of loans shows exactly the loans recorded after the copy;
- merchant and stats restored the same way: merchant ends every household at its newest grade,
  stats ends at exactly the figures it had before the crash (nothing skipped, nothing counted twice);
- lending and merchant killed with SIGKILL in the middle of a burst of writes: every request that
  was answered 201 is there after the restart.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer
from tools.admin.backup import RESTORE_VERSION_JUMP

from common.auth import Role
from common.db import utcnow
from rating.ratings.events import rating_changed
from tests.e2e.cluster import ROOT, Cluster
from tests.e2e.flow import COUNTY, TOWN, Caller, households, idem, make_village, money, poll, rate_region, register_household
from tests.harness import PG_URL, Keys, send_event
from tests.lending.conftest import subject_event

pytestmark = [pytest.mark.broker, pytest.mark.slow]
BANK, MERCHANT = "bank-restore", "merchant-restore"
GRADES = ["A", "AA", "AAA"]
LINES = {"A": Decimal("100000"), "AA": Decimal("300000"), "AAA": Decimal("500000")}


@dataclass
class Day:
    village: str
    households: list[str]  # subject ids, rated A or better by a rating round
    code: str  # the QR code of households[0]
    burst_code: str  # the QR code of households[1] (for the write burst)
    offer: str


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("restore"), keys, backend="postgres" if PG_URL else "sqlite",
                extra_env={"RATING_PUBLICATION_DAYS": "0"})
    try:
        c.start()
        yield c
    finally:
        c.stop()  # also when the start failed half-way: no broker or service left behind


@pytest.fixture(scope="module")
def day(cluster: Cluster) -> Day:
    """A small county day: a village, four households registered and rated, a bank, a merchant
    with an offer, codes for two households."""
    admin, officer = Caller(cluster, Role.admin), Caller(cluster, Role.officer, region=COUNTY)
    village = make_village(officer, 3, 7)
    ids = [register_household(officer, village, h) for h in households(seed=31, count=4, village=village)]
    rate_region(admin, village, 4)
    admin.ok("lending", "POST", "/v1/banks", json={"id": BANK, "name": "恢复演练银行"}, expect=(201, 409))
    admin.ok("merchant", "POST", "/v1/merchants", expect=(201, 409), json={
        "id": MERCHANT, "name": "恢复演练超市", "kind": "shop", "category": "grocery", "region_code": COUNTY})
    offer = admin.ok("merchant", "POST", f"/v1/merchants/{MERCHANT}/offers", json={
        "title": "信用户98折", "rule": {"kind": "percent", "percent": "2", "cap": "20.00"},
        "eligible_grades": ["A", "AA", "AAA"]})
    codes = []
    for s in ids[:2]:
        poll(lambda s=s: (lambda r: r.status_code == 200 and r.json()["credit_household"])(
            admin("merchant", "GET", f"/v1/households/{s}")), timeout=60)
        codes.append(admin.ok("merchant", "POST", f"/v1/households/{s}/codes")["code"])
    return Day(village, ids, codes[0], codes[1], offer["id"])


# --- helpers -------------------------------------------------------------------------------------

def admin_cli(cluster: Cluster, services: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m tools.admin ...`` with the services' settings as their processes have them."""
    env: dict[str, str] = {}
    for name in services:
        env.update(cluster.env(name))
    return subprocess.run([sys.executable, "-m", "tools.admin", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def backup(cluster: Cluster, service: str, folder: Path) -> dict[str, Any]:
    done = admin_cli(cluster, [service], "backup", "--out", str(folder), "--service", service)
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads((folder / "manifest.json").read_text())["services"][service])


def head_revision(service: str) -> str:
    from alembic.script import ScriptDirectory

    from common.migrations import alembic_config
    from tests.harness import definition

    return str(ScriptDirectory.from_config(alembic_config(definition(service).migrations_dir, "")).get_current_head())


def restore(cluster: Cluster, service: str, folder: Path) -> None:
    done = admin_cli(cluster, [service], "restore", str(folder), "--service", service)
    assert done.returncode == 0, done.stdout + done.stderr


class Grades:
    """Publishes rating-changed events built by rating's own builder, one version per subject."""

    def __init__(self, cluster: Cluster, village: str) -> None:
        self.village = village
        self.producer = KafkaProducer(bootstrap_servers=cluster.broker.bootstrap, acks="all")
        self.now: dict[str, tuple[int, str]] = {}  # subject -> (version, grade)

    def publish(self, subjects: list[str], grade_of: Callable[[int], str], base_version: int = 0) -> None:
        for i, s in enumerate(subjects):
            if s not in self.now:  # its file first (the registry's own event), with its consent to every use
                filed = subject_event(s, village=self.village)
                send_event(self.producer, filed.type, key=s.encode(), value=filed.to_json())
            version, old = self.now.get(s, (base_version, None))
            new = grade_of(i)
            event = rating_changed(subject_id=s, kind="household", county=COUNTY, town=TOWN, village=self.village,
                                   old_grade=old, new_grade=new, score=Decimal("85"), version=version + 1,
                                   effective_at=utcnow(), reason="restore drill")
            send_event(self.producer, event.type, key=s.encode(), value=event.to_json())
            self.now[s] = (version + 1, new)
        self.producer.flush(10)

    def close(self) -> None:
        self.producer.close()


def bank_sees(bank: Caller, subjects: list[str]) -> None:
    """Until the subjects' files (their consent) reach lending, a bank is shown nothing of them."""
    for s in subjects:
        poll(lambda s=s: bank("lending", "GET", f"/v1/credit-lines/{s}").status_code == 200 or None, timeout=60)


def line_at(admin: Caller, subject: str, grade: str, version: int) -> dict[str, Any] | None:
    r = admin("lending", "GET", f"/v1/credit-lines/{subject}")
    body = r.json() if r.status_code == 200 else {}
    return body if body.get("grade") == grade and body.get("rating_version", version) == version else None


def lines_at_newest(admin: Caller, grades: Grades, subjects: list[str], timeout: float = 60) -> None:
    for s in subjects:
        version, grade = grades.now[s]
        poll(lambda s=s, g=grade, v=version: line_at(admin, s, g, v), timeout=timeout)


def stats_figures(county: Caller) -> dict[str, Any]:
    """The county's exact figures (the platform's have small areas suppressed)."""
    return dict(county.ok("stats", "GET", f"/v1/stats/summary?region={COUNTY}")["figures"])


def settled(read: Callable[[], Any], quiet: float = 2.0, timeout: float = 60) -> Any:
    """The value once it has not changed for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    raise AssertionError(f"still changing after {timeout}s: {last!r:.500}")


# --- the drills ----------------------------------------------------------------------------------

def test_lending_restored_from_a_backup_rereads_what_it_missed_and_reports_the_loans_it_lost(
        cluster: Cluster, day: Day, tmp_path: Path) -> None:
    admin, bank = Caller(cluster, Role.admin), Caller(cluster, Role.bank, bank_id=BANK)
    tag = uuid.uuid4().hex[:6]
    subjects = [f"rst-{tag}-{i:02d}" for i in range(24)]
    grades = Grades(cluster, day.village)
    try:
        grades.publish(subjects, lambda i: GRADES[i % 3])
        lines_at_newest(admin, grades, subjects)
        bank_sees(bank, subjects)
        loans_before_stats = int(str(stats_figures(admin)["loans"]))

        def lend(subject: str) -> dict[str, str]:
            cap = bank.ok("lending", "GET", f"/v1/credit-lines/{subject}")["max_rate"]
            body = {"subject_id": subject, "amount": "1000.00", "annual_rate": cap, "term_months": 12}
            loan = bank.ok("lending", "POST", "/v1/loans", json=body, headers=idem(), expect=(201,))
            return {"id": loan["id"], "amount": loan["amount"], "subject_id": subject}

        before = [lend(s) for s in subjects[:3]]
        copy = backup(cluster, "lending", tmp_path / "lending-backup")
        assert copy["alembic_revision"] == head_revision("lending"), copy
        assert "rating-changed" in {p["topic"] for p in copy["consumer_positions"]}, copy
        assert all(p["group"] == "lending" for p in copy["consumer_positions"]), copy

        # A restore over a running service is refused, and changes nothing.
        refused = admin_cli(cluster, ["lending"], "restore", str(tmp_path / "lending-backup"), "--service", "lending")
        assert refused.returncode == 1 and "stop it before restoring" in refused.stderr, refused.stderr

        # After the copy: every line moves up a grade, and the bank lends three more times.
        grades.publish(subjects, lambda i: GRADES[(i + 1) % 3])
        lines_at_newest(admin, grades, subjects)
        after = [lend(s) for s in subjects[3:6]]
        poll(lambda: int(str(stats_figures(admin)["loans"])) == loans_before_stats + 6)

        cluster.stop_service("lending", kill=True)
        grades.publish(subjects[:8], lambda i: GRADES[(i + 2) % 3])  # and more while it is down
        restore(cluster, "lending", tmp_path / "lending-backup")
        cluster.start_service("lending")

        # No skipped event: every line ends at its newest grade ...
        lines_at_newest(admin, grades, subjects)
        for s in subjects:
            history = admin.ok("lending", "GET", f"/v1/credit-lines/{s}/history")
            # ... and no history entry twice: one per rating version, in order.
            assert [h["rating_version"] for h in history] == list(range(1, grades.now[s][0] + 1)), (s, history)

        # The bank's own list: exactly the loans recorded after the copy are missing.
        report = bank.ok("lending", "POST", "/v1/reconciliation", json={"loans": before + after})
        assert sorted(m["id"] for m in report["missing"]) == sorted(x["id"] for x in after), report
        assert report["matched"] == 3 and report["amount_mismatch"] == [], report
        for loan in before:
            assert bank("lending", "GET", f"/v1/loans/{loan['id']}").status_code == 200
        # The restored outbox was published again; stats dropped the duplicates (no loan counted twice).
        assert settled(lambda: stats_figures(admin)["loans"]) == loans_before_stats + 6
        # The restored lending's versions jumped past those its lost copy announced, so stats takes its
        # changes again: the village's drawn in stats comes back to what lending's lines hold.
        assert all(admin.ok("lending", "GET", f"/v1/credit-lines/{s}")["version"] > RESTORE_VERSION_JUMP for s in subjects)

        def drawn_agree() -> bool:
            listed = admin.ok("lending", "GET", f"/v1/villages/{day.village}/credit-lines")
            in_lending = sum((money(x["drawn"]) for x in listed["items"]), Decimal(0))
            in_stats = admin.ok("stats", "GET", f"/v1/stats/summary?region={day.village}")["figures"]["drawn"]
            return money(str(in_stats)) == in_lending
        poll(drawn_agree, timeout=30)
    finally:
        grades.close()


def test_merchant_restored_from_a_backup_ends_every_household_at_its_newest_grade(
        cluster: Cluster, day: Day, tmp_path: Path) -> None:
    admin, pos = Caller(cluster, Role.admin), Caller(cluster, Role.merchant, merchant_id=MERCHANT)
    drilled = day.households[2:]  # graded by this drill only (rating's own versions are 1 or 2)
    grades = Grades(cluster, day.village)
    try:
        def at_newest() -> None:
            for s in drilled:
                _, grade = grades.now[s]
                poll(lambda s=s, g=grade: admin.ok("merchant", "GET", f"/v1/households/{s}")["grade"] == g, timeout=60)

        grades.publish(drilled, lambda i: "AA", base_version=100)
        at_newest()
        redeem = {"code": day.code, "offer_id": day.offer, "bill_amount": "100.00"}
        kept = pos.ok("merchant", "POST", "/v1/pos/redemptions", json=redeem, headers=idem(), expect=(201,))
        backup(cluster, "merchant", tmp_path / "merchant-backup")
        grades.publish(drilled, lambda i: "AAA")
        at_newest()
        lost = pos.ok("merchant", "POST", "/v1/pos/redemptions", json=redeem, headers=idem(), expect=(201,))

        cluster.stop_service("merchant", kill=True)
        grades.publish(drilled[:1], lambda i: "A")
        restore(cluster, "merchant", tmp_path / "merchant-backup")
        cluster.start_service("merchant")

        at_newest()
        assert pos("merchant", "GET", f"/v1/pos/redemptions/{kept['redemption_id']}").status_code == 200
        # What only merchant knew after its copy is gone, and the restore said so (not guessed back).
        assert pos("merchant", "GET", f"/v1/pos/redemptions/{lost['redemption_id']}").status_code == 404
    finally:
        grades.close()


def test_stats_restored_from_a_backup_ends_at_the_figures_it_had(cluster: Cluster, day: Day, tmp_path: Path) -> None:
    county = Caller(cluster, Role.admin)
    tag = uuid.uuid4().hex[:6]
    subjects = [f"sts-{tag}-{i:02d}" for i in range(15)]
    grades = Grades(cluster, day.village)
    try:
        grades.publish(subjects, lambda i: "A")
        at_backup = settled(lambda: stats_figures(county))
        backup(cluster, "stats", tmp_path / "stats-backup")
        grades.publish(subjects, lambda i: GRADES[i % 3])
        grades.publish(subjects[:5], lambda i: "B")
        figures = settled(lambda: stats_figures(county))
        assert figures != at_backup, figures  # the events after the copy moved the figures

        cluster.stop_service("stats", kill=True)
        restore(cluster, "stats", tmp_path / "stats-backup")
        cluster.start_service("stats")
        # Exactly the figures it had: the events after the copy are read again, none twice.
        poll(lambda: stats_figures(county) == figures, timeout=60)
        assert settled(lambda: stats_figures(county)) == figures
    finally:
        grades.close()


def burst(url: str, path: str, headers: dict[str, str], body: Callable[[int], dict[str, Any]],
          kill: Callable[[], None], workers: int = 4, before_kill: int = 8) -> list[dict[str, Any]]:
    """POSTs from ``workers`` threads; ``kill`` runs once ``before_kill`` were answered 201 (the
    burst goes on meanwhile). Returns the 201 bodies; any other answer than 201 fails the test."""
    answered: list[dict[str, Any]] = []
    others: list[str] = []
    stop = threading.Event()

    def work(n: int) -> None:
        with httpx.Client(timeout=10, headers=headers) as client:
            i = 0
            while not stop.is_set():
                try:
                    r = client.post(url + path, json=body(n * 100_000 + i), headers=idem())
                    if r.status_code == 201:
                        answered.append(r.json())
                    else:
                        others.append(f"{r.status_code} {r.text[:200]}")
                except httpx.TransportError:
                    time.sleep(0.05)
                i += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(answered) < before_kill and time.monotonic() < deadline and not others:
        time.sleep(0.02)
    kill()
    stop.set()
    for t in threads:
        t.join()
    assert not others and len(answered) >= before_kill, (len(answered), others[:5])
    return answered


def test_every_write_answered_201_survives_a_kill_9_in_the_middle_of_a_burst(cluster: Cluster, day: Day) -> None:
    admin, bank = Caller(cluster, Role.admin), Caller(cluster, Role.bank, bank_id=BANK)
    pos = Caller(cluster, Role.merchant, merchant_id=MERCHANT)
    tag = uuid.uuid4().hex[:6]
    subjects = [f"brst-{tag}-{i}" for i in range(4)]
    grades = Grades(cluster, day.village)
    try:
        grades.publish(subjects, lambda i: "AAA")
        lines_at_newest(admin, grades, subjects)
        bank_sees(bank, subjects)
    finally:
        grades.close()
    cap = bank.ok("lending", "GET", f"/v1/credit-lines/{subjects[0]}")["max_rate"]

    loans = burst(cluster.url("lending"), "/v1/loans", bank.headers,
                  lambda i: {"subject_id": subjects[i % 4], "amount": "100.00", "annual_rate": cap, "term_months": 6},
                  lambda: cluster.stop_service("lending", kill=True))
    redemptions = burst(cluster.url("merchant"), "/v1/pos/redemptions", pos.headers,
                        lambda i: {"code": day.burst_code, "offer_id": day.offer, "bill_amount": "10.00"},
                        lambda: cluster.stop_service("merchant", kill=True))
    cluster.start_service("lending")
    cluster.start_service("merchant")

    for loan in loans:
        r = bank("lending", "GET", f"/v1/loans/{loan['id']}")
        assert r.status_code == 200 and money(r.json()["amount"]) == Decimal("100"), (loan, r.text)
    for s in subjects:  # and each line's drawn sum is what its surviving loans owe
        owed = sum((money(x["amount"]) for x in loans if x["subject_id"] == s), Decimal(0))
        assert money(bank.ok("lending", "GET", f"/v1/credit-lines/{s}")["drawn"]) >= owed
    for red in redemptions:
        assert pos("merchant", "GET", f"/v1/pos/redemptions/{red['redemption_id']}").status_code == 200, red
