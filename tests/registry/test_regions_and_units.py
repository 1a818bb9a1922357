"""Regions (create, import, tree rules) and the plain rules: area codes, registration numbers,
the field file's cells."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from common.auth import Role
from registry.imports.parsing import to_payload
from registry.regions.codes import code_problem, level_of, parent_of
from registry.subjects.schemas import uscc_problem
from tests.harness import DatabaseFactory, Keys, RunningService
from tests.registry.support import TOWN_A, registry, uscc


@pytest.fixture
async def svc(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    async with registry(await databases.create("registry", backend), keys) as s:
        yield s


def test_area_codes_nest_by_length() -> None:
    assert [level_of(c) for c in ("341181", "341181100", "341181100201", "341181100201001")] == [
        "county", "town", "village", "group"]
    assert parent_of("341181100201001") == "341181100201" and parent_of("341181") is None
    assert code_problem("3411811") is not None and code_problem("34118110020100") is None


def test_registration_numbers_and_cells() -> None:
    assert uscc_problem(uscc(5)) is None and uscc_problem("91110000600037341L") is None
    wrong = "1" if uscc(5)[-1] != "1" else "2"
    assert "check character" in str(uscc_problem(uscc(5)[:-1] + wrong))
    payload, errors = to_payload(["village", "head_name", "head_id_number", "consent_given", "consent_scopes"],
                                 ["341181100201", "王五", "x", "是", "rating；lending"])
    assert errors == [] and payload is not None
    assert payload["consent"] == {"given": True, "scopes": ["rating", "lending"]}
    _, errors = to_payload(["village", "pboc_report_clean"], ["341181100201", "perhaps"])
    assert errors == [("pboc_report_clean", "must be yes/no (1/0, 是/否)")]


async def test_region_rules_and_import(svc: RunningService, keys: Keys) -> None:
    admin = keys.headers(Role.admin)
    r = await svc.client.post("/v1/regions", json={"code": "341181199201", "name": "x"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "code"  # its town is unknown
    r = await svc.client.post("/v1/regions", json={"code": "341181100201", "name": "again"}, headers=admin)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "code"
    officer = keys.headers(Role.officer, region=TOWN_A)
    r = await svc.client.post("/v1/regions", json={"code": "341181101202", "name": "x"}, headers=officer)
    assert r.status_code == 403
    r = await svc.client.post("/v1/regions", json={"code": "341181100203", "name": "新村"}, headers=officer)
    assert r.status_code == 201 and r.json()["level"] == "village" and r.json()["parent_code"] == TOWN_A

    csv_file = "code,name\n341181102,新街镇\n341181102201,东村\n341181102201001,一组\n341181100201,徐集村\n".encode()
    r = await svc.client.post("/v1/regions:import", files={"file": ("r.csv", csv_file)}, headers=admin)
    assert r.status_code == 200 and r.json() == {"created": 3, "renamed": 0, "unchanged": 1}
    bad = b"code,name\n341181103201,orphan\n12,short\n"
    r = await svc.client.post("/v1/regions:import", files={"file": ("r.csv", bad)}, headers=admin)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"code"}
    towns = (await svc.client.get("/v1/regions", params={"level": "town"}, headers=admin)).json()
    assert [t["code"] for t in towns] == ["341181100", "341181101", "341181102"]
