"""Region names in the statistics: the registry announces every region it imports, creates or
renames (``region-changed``, from its own import and rename routes), stats keeps the newest name of
each, and every answer (summary, drill-down lists, time series) and every CSV names its regions
beside their codes (天长市, 秦栏镇 ...). Through the broker a rebuild from zero has the names too."""
from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from common.auth import Role
from common.broker import TansuBroker
from common.db import Database
from common.events import Event
from common.migrations import upgrade
from registry.regions.codes import level_of, parent_of
from stats.rebuild import read_model, rebuild
from tests.harness import DatabaseFactory, Keys, RunningService, definition, eventually, session_keys, start_service
from tests.registry_rows import registered
from tests.stats.helpers import apply, renewed
from tests.stats.producers import graded, published

COUNTY, T1, T2 = "341181", "341181100", "341181101"
V1, V2, V3 = "341181100201", "341181100202", "341181101201"
NAMES = {COUNTY: "天长市", T1: "秦栏镇", T2: "汊涧镇", V1: "徐集村", V2: "白塔村", V3: "新华村"}
REGIONS_CSV = ("code,name\n" + "".join(f"{c},{n}\n" for c, n in NAMES.items())).encode()
NOV = datetime(2026, 11, 10, 4, tzinfo=UTC)


@pytest.fixture
async def registry(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    async with start_service("registry", await databases.create("registry", backend), keys) as svc:
        yield svc


@pytest.fixture
async def stats(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    async with start_service("stats", await databases.create("stats", backend), keys) as svc:
        yield svc


def subjects() -> list[Event]:
    """Two graded households in each village (the registry's and rating's own builders)."""
    out: list[Event] = []
    for n, village in enumerate((V1, V1, V2, V2, V3, V3)):
        out += [registered(f"hh-{n}", village, at=NOV), graded(f"hh-{n}", "AA", 1, village, NOV)]
    return out


async def get(stats: RunningService, keys: Keys, path: str, csv_too: bool = False,
              **params: Any) -> dict[str, Any] | list[dict[str, str]]:
    headers = keys.headers(Role.admin) | ({"Accept": "text/csv"} if csv_too else {})
    r = await stats.client.get(f"/v1/stats/{path}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text))) if csv_too else dict(r.json())


async def import_regions(registry: RunningService, keys: Keys, content: bytes) -> dict[str, int]:
    r = await registry.client.post("/v1/regions:import", files={"file": ("regions.csv", content, "text/csv")},
                                   headers=keys.headers(Role.admin))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_the_registry_import_names_every_answer_and_csv_and_a_rename_follows(
        registry: RunningService, stats: RunningService, keys: Keys) -> None:
    assert await import_regions(registry, keys, REGIONS_CSV) == {"created": 6, "renamed": 0, "unchanged": 0}
    announced = await published(registry, "region-changed")
    assert {e.subject: (e.data["name"], e.data["level"], e.data["parent_code"], e.data["version"]) for e in announced} == {
        COUNTY: ("天长市", "county", None, 1), T1: ("秦栏镇", "town", COUNTY, 1), T2: ("汊涧镇", "town", COUNTY, 1),
        V1: ("徐集村", "village", T1, 1), V2: ("白塔村", "village", T1, 1), V3: ("新华村", "village", T2, 1)}
    await apply(stats.db, [*announced, *subjects()])

    summary = await get(stats, keys, "summary", region=COUNTY)
    assert isinstance(summary, dict)
    assert (summary["region"]["code"], summary["region_name"], summary["figures"]["subjects"]) == (COUNTY, "天长市", 6)
    rows = await get(stats, keys, "summary", csv_too=True, region=T2)
    assert {(r["region"], r["region_name"]) for r in rows} == {(T2, "汊涧镇")}

    towns = await get(stats, keys, "regions", level="town", region=COUNTY)
    assert isinstance(towns, dict) and towns["region_name"] == "天长市"
    assert [(t["code"], t["region_name"], t["parent"], t["parent_name"]) for t in towns["regions"]] == [
        (T1, "秦栏镇", COUNTY, "天长市"), (T2, "汊涧镇", COUNTY, "天长市")]
    villages = await get(stats, keys, "regions", csv_too=True, level="village", region=COUNTY)
    assert [(v["region"], v["region_name"], v["parent"], v["parent_name"], v["subjects (count)"]) for v in villages] == [
        (V1, "徐集村", T1, "秦栏镇", "2"), (V2, "白塔村", T1, "秦栏镇", "2"), (V3, "新华村", T2, "汊涧镇", "2")]

    series = await get(stats, keys, "timeseries", metric="subjects", region=T1, **{"from": "2026-11", "to": "2026-11"})
    assert isinstance(series, dict) and series["region_name"] == "秦栏镇" and series["points"][0]["value"] == 4
    points = await get(stats, keys, "timeseries", csv_too=True, metric="subjects", region=V3,
                       **{"from": "2026-11", "to": "2026-11"})
    assert [(p["region"], p["region_name"]) for p in points] == [(V3, "新华村")]
    province = await get(stats, keys, "summary")
    assert isinstance(province, dict) and province["region_name"] is None

    # A village becomes a community (村改社区) by the rename route, a town is renamed by a new file.
    r = await registry.client.patch(f"/v1/regions/{V3}", json={"name": "新华社区"}, headers=keys.headers(Role.admin))
    assert r.status_code == 200 and (r.json()["name"], r.json()["version"]) == ("新华社区", 2), r.text
    renamed_file = REGIONS_CSV.replace("汊涧镇".encode(), "汊涧新镇".encode()).replace("新华村".encode(), "新华社区".encode())
    assert await import_regions(registry, keys, renamed_file) == {"created": 0, "renamed": 1, "unchanged": 5}
    renames = (await published(registry, "region-changed"))[len(announced):]
    assert [(e.subject, e.data["name"], e.data["version"]) for e in renames] == [(V3, "新华社区", 2), (T2, "汊涧新镇", 2)]
    # The renames, then the old announcements again under new ids (a producer that sent them twice):
    # the newest name stays, and answers kept from before the rename are not given again.
    await apply(stats.db, renames)
    await apply(stats.db, [renewed(e) for e in announced])
    villages = await get(stats, keys, "regions", csv_too=True, level="village", region=COUNTY)
    assert [(v["region_name"], v["parent_name"]) for v in villages][2] == ("新华社区", "汊涧新镇")
    towns = await get(stats, keys, "regions", level="town", region=COUNTY)
    assert isinstance(towns, dict) and [t["region_name"] for t in towns["regions"]] == ["秦栏镇", "汊涧新镇"]


async def test_renames_are_checked_like_every_other_write(registry: RunningService, keys: Keys) -> None:
    await import_regions(registry, keys, REGIONS_CSV)
    r = await registry.client.patch(f"/v1/regions/{V1}", json={"name": "  "}, headers=keys.headers(Role.admin))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"].endswith("name")
    outside = keys.headers(Role.officer, region=T1)
    assert (await registry.client.patch(f"/v1/regions/{V3}", json={"name": "x"}, headers=outside)).status_code == 404
    assert (await registry.client.patch("/v1/regions/341181100299", json={"name": "x"},
                                        headers=keys.headers(Role.admin))).status_code == 404
    r = await registry.client.patch(f"/v1/regions/{V1}", json={"name": "徐集村"}, headers=outside)
    assert r.status_code == 200 and r.json()["version"] == 1  # the same name: nothing to announce
    assert len(await published(registry, "region-changed")) == len(NAMES)
    # An officer adds a village in its town: announced like an imported one.
    r = await registry.client.post("/v1/regions", json={"code": "341181100203", "name": "东风村"}, headers=outside)
    assert r.status_code == 201, r.text
    *_, added = await published(registry, "region-changed")
    assert (added.subject, added.data["name"], added.data["parent_code"], added.data["version"]) == \
        ("341181100203", "东风村", T1, 1)


async def test_an_existing_countys_regions_are_announced_once_by_the_migration(
        databases: DatabaseFactory, backend: str, keys: Keys, stats: RunningService) -> None:
    """A registry that held regions before ``region-changed`` existed: migration ``registry_0007``
    announces each (parents first), so stats names them without a re-import."""
    url = await databases.create("registry", backend, migrate=False)
    migrations = definition("registry").migrations_dir
    await asyncio.to_thread(upgrade, migrations, url, "registry_0006_clear_review")
    db = Database(url)
    try:
        async with db.transaction() as session:
            regions = sa.table("regions", sa.column("code"), sa.column("name"), sa.column("level"),
                               sa.column("parent_code"), sa.column("created_at"), sa.column("created_by"))
            await session.execute(regions.insert(), [
                {"code": c, "name": n, "level": level_of(c), "parent_code": parent_of(c), "created_at": NOV,
                 "created_by": "admin"} for c, n in sorted(NAMES.items(), key=lambda kv: len(kv[0]))])
    finally:
        await db.dispose()
    await asyncio.to_thread(upgrade, migrations, url)
    async with start_service("registry", url, keys) as registry:
        announced = await published(registry, "region-changed")
        listed = (await registry.client.get("/v1/regions", headers=keys.headers(Role.admin))).json()
    assert [(e.subject, e.data["name"], e.data["version"]) for e in announced] == \
        [(c, n, 1) for c, n in sorted(NAMES.items(), key=lambda kv: (len(kv[0]), kv[0]))]
    assert {r["code"]: r["version"] for r in listed} == dict.fromkeys(NAMES, 1)
    await apply(stats.db, announced)
    towns = await get(stats, keys, "regions", level="town", region=COUNTY)
    assert isinstance(towns, dict) and towns["region_name"] == "天长市"


@pytest.mark.broker
async def test_through_the_broker_names_arrive_and_a_rebuild_has_them(
        databases: DatabaseFactory, keys: Keys, fresh_broker: TansuBroker) -> None:
    bootstrap = fresh_broker.bootstrap
    async with start_service("registry", await databases.create("registry", "sqlite"), keys, bootstrap=bootstrap) as reg, \
            start_service("stats", await databases.create("stats", "sqlite"), keys, bootstrap=bootstrap) as svc:
        await svc.wait_consumer_assigned()
        await import_regions(reg, keys, REGIONS_CSV)

        async def named() -> Any:
            body = await get(svc, keys, "regions", level="village", region=COUNTY)
            return isinstance(body, dict) and body["region_name"] == "天长市" and body

        await eventually(named, timeout=30)
        live = (await read_model(svc.db))["regions"]
        assert sorted((r[0], r[1]) for r in live) == sorted(NAMES.items())

        rebuilt = Database(await databases.create("stats", "sqlite"))
        try:
            await rebuild(rebuilt, bootstrap, session_keys().verifier("stats"), idle_seconds=2.0, expect=len(NAMES))
            assert (await read_model(rebuilt))["regions"] == live
        finally:
            await rebuilt.dispose()
