"""A token's role and what it is bound to must hold together, checked when the token is verified:
a bank token without a bank, an officer bound to a partial region code, a merchant token carrying a
bank id, are refused. Region scoping compares whole codes."""
from __future__ import annotations

import pytest

from common.auth import Principal, Role
from tests.harness import DatabaseFactory, Keys, start_service
from tests.security.identity_support import bearer, forge

VILLAGE = "341181100201"


GOOD = {"lending": ("/v1/banks", {"role": "bank", "bank_id": "rcb"}),
        "merchant": ("/v1/pos/redemptions", {"role": "merchant", "merchant_id": "m-shop"}),
        "registry": ("/v1/regions", {"role": "officer", "region": "341181"})}


@pytest.mark.parametrize(("service", "claims"), [
    ("lending", {"role": "bank"}),                                                # a bank token without a bank
    ("lending", {"role": "bank", "bank_id": " "}),
    ("merchant", {"role": "merchant"}),                                           # a merchant without a merchant
    ("merchant", {"role": "merchant", "merchant_id": "m-shop", "bank_id": "rcb"}),
    ("registry", {"role": "officer"}),                                            # an officer of nowhere
    ("registry", {"role": "officer", "region": "3411"}),                          # not a whole code
    ("registry", {"role": "officer", "region": "34118110"}),
    ("registry", {"role": "officer", "region": "341181%"}),
    ("registry", {"role": "officer", "region": "341181", "bank_id": "rcb"}),
    ("registry", {"role": "root"}),
])
async def test_a_token_whose_bindings_do_not_fit_its_role_is_refused(
        service: str, claims: dict[str, str], databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create(service, "sqlite")
    async with start_service(service, url, keys) as svc:
        admin = keys.headers(Role.admin)
        if service == "lending":
            await svc.client.post("/v1/banks", json={"id": "rcb", "name": "农商行"}, headers=admin)
        if service == "merchant":
            await svc.client.post("/v1/merchants", json={"id": "m-shop", "name": "超市"}, headers=admin)
        path, good = GOOD[service]
        assert (await svc.client.get(path, headers=bearer(forge(keys, **good)))).status_code == 200
        r = await svc.client.get(path, headers=bearer(forge(keys, **claims)))
        assert r.status_code == 401, r.text
        assert r.headers["content-type"] == "application/problem+json"


async def test_region_scoping_compares_whole_codes(databases: DatabaseFactory, keys: Keys) -> None:
    # Groups of one village have codes of 13 to 15 digits: a prefix would let one group's officer
    # into a sibling group whose code happens to extend its own.
    group, sibling = VILLAGE + "1", VILLAGE + "12"
    officer = Principal(role=Role.officer, sub="o", region=group)
    assert officer.in_region(group) and not officer.in_region(sibling) and not officer.in_region(VILLAGE)
    town = Principal(role=Role.officer, sub="o", region=VILLAGE[:9])
    assert town.in_region(VILLAGE) and town.in_region(sibling) and not town.in_region("3411811002")
    assert not town.in_region("341181101201")

    url = await databases.create("registry", "sqlite")
    async with start_service("registry", url, keys) as registry:
        admin = keys.headers(Role.admin)
        for code in ("341181", VILLAGE[:9], VILLAGE, group, sibling):
            r = await registry.client.post("/v1/regions", json={"code": code, "name": f"r{code}"}, headers=admin)
            assert r.status_code == 201, r.text
        mine = keys.headers(Role.officer, region=group, sub="group-officer")
        assert (await registry.client.get(f"/v1/regions/{group}", headers=mine)).status_code == 200
        assert (await registry.client.get(f"/v1/regions/{sibling}", headers=mine)).status_code == 404
        listed = (await registry.client.get("/v1/regions", headers=mine)).json()
        assert [r["code"] for r in listed] == [group]
