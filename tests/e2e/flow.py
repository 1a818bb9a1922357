"""Helpers for end-to-end tests over HTTP only: a caller per role, polling, and a small county
(one village, households with valid ID numbers) loaded through the public APIs."""
from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from tools.admin.county import CountyGenerator, Household
from tools.admin.demo import households_csv

from common.auth import Role
from common.clock import BEIJING, CLOCK_FILE_ENV, beijing_day, set_offset
from tests.e2e.cluster import Cluster

COUNTY = "341181"
TOWN = "341181100"
CONSENT = {"given": True, "date": "2022-03-01", "scopes": ["rating", "lending", "merchant", "benefits", "statistics"]}
STRONG_PROFILE = {"members_count": 4, "labour_count": 2, "party_members": 1, "max_education": "college",
                  "annual_income": "180000.00", "land_mu": "30.0", "agri_assets_value": "300000.00",
                  "industry": "芡实", "production_years": 15, "debts_outstanding": "0.00", "overdue_count": 0,
                  "pboc_report_clean": True}


def idem() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def poll(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Call ``check`` until it returns a truthy value; the last value goes in the failure."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r:.500})")
        time.sleep(interval)


class Caller:
    """One role's httpx client on every service of the cluster."""

    def __init__(self, cluster: Cluster, role: Role | str, **binding: str) -> None:
        token = cluster.keys.token(role, **binding)
        self.cluster = cluster
        self.headers = {"Authorization": f"Bearer {token}"}
        self.client = httpx.Client(timeout=30.0, headers=self.headers)

    def __call__(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, self.cluster.url(service) + path, **kwargs)

    def ok(self, service: str, method: str, path: str, expect: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> Any:
        r = self(service, method, path, **kwargs)
        assert r.status_code in expect, f"{method} {service}{path}: {r.status_code} {r.text[:800]}"
        return r.json() if r.content else None


@dataclass
class SmallCounty:
    """What a test set up: the village code and the subjects by ID number."""

    village: str
    households: list[Household]
    subject_ids: dict[str, str] = field(default_factory=dict)  # id_number -> subject id


def make_village(officer: Caller, seed: int, index: int) -> str:
    """Registers the county, a town and a village (idempotent on the codes)."""
    village = f"{TOWN}{200 + index:03d}"
    for code, name in ((COUNTY, "天长市"), (TOWN, "天长街道"), (village, f"测试{index}村"), (f"{village}001", "一组")):
        officer.ok("registry", "POST", "/v1/regions", json={"code": code, "name": name}, expect=(201, 409))
    return village


def households(seed: int, count: int, village: str) -> list[Household]:
    gen = CountyGenerator(seed=seed, towns=1, villages=1, households=count, entities=0)
    out = list(gen.households())
    for h in out:  # move them into our village
        h.village_code = village
        h.group_code = f"{village}001"
    return out


def register_household(officer: Caller, village: str, h: Household, profile: dict[str, Any] | None = None,
                       consent: dict[str, Any] | None = None) -> str:
    body = {"kind": "household", "village": village, "consent": consent or CONSENT,
            "head": {"name": h.head.name, "id_number": h.head.id_number, "education": "college"},
            "profile": profile or STRONG_PROFILE}
    return str(officer.ok("registry", "POST", "/v1/subjects", json=body)["id"])


def import_households(officer: Caller, hs: list[Household]) -> dict[str, Any]:
    job = officer.ok("registry", "POST", "/v1/imports",
                     files={"file": ("households.csv", households_csv(hs), "text/csv")})
    return dict(poll(lambda: (lambda b: b if b["status"] in ("done", "failed") else None)(
        officer.ok("registry", "GET", f"/v1/imports/{job['id']}"))))


def lookup(caller: Caller, id_number: str) -> str:
    return str(caller.ok("registry", "POST", "/v1/subjects:lookup", json={"id_number": id_number})["subject_id"])


def rate_region(admin: Caller, region: str, count: int, timeout: float = 60.0, finalise: bool = True) -> dict[str, Any]:
    """Runs rating rounds on the region until one covers ``count`` subjects (rating learns the
    files from events, so the first round may come too early), then finalises (unless told not to:
    the grades then stay on publication until the period ends)."""
    deadline = time.monotonic() + timeout
    while True:
        path = f"/v1/rating-rounds/{admin.ok('rating', 'POST', '/v1/rating-rounds', json={'region': region})['id']}"

        def ended(path: str = path) -> dict[str, Any] | None:
            b = admin.ok("rating", "GET", path)
            return b if b["status"] in ("done", "failed") else None

        done = poll(ended)
        assert done["status"] == "done", done
        if (done.get("total") or 0) >= count:
            break
        assert time.monotonic() < deadline, f"rating knows {done.get('total')} of {count} subjects: {done}"
        time.sleep(0.5)
    if finalise:
        admin.ok("rating", "POST", "/v1/publications:finalise")
    return dict(done)


def money(value: Any) -> Decimal:
    return Decimal(str(value))


class CountyClock:
    """The clock every service of a cluster reads (``CV_CLOCK_FILE``): the test moves it forward.
    The test process itself keeps the machine's clock (tokens are minted and checked on real time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0.0
        set_offset(path, 0)

    def env(self) -> dict[str, str]:
        return {CLOCK_FILE_ENV: str(self.path)}

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.offset)

    def today(self) -> dt.date:
        """The county's business day (a Beijing day)."""
        return beijing_day(self.now())

    def move_to(self, moment: dt.datetime) -> None:
        """Every process's clock jumps to ``moment`` (and runs on from there); never backwards."""
        offset = (moment - dt.datetime.now(dt.UTC)).total_seconds()
        assert offset >= self.offset, f"the county's clock only moves forward ({moment} is in its past)"
        self.offset = offset
        set_offset(self.path, offset)


def beijing(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of a Beijing day, as an aware datetime."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)
