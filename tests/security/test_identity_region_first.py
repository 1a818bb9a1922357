"""Region checks come before any other check: asked about something in another region, an officer
gets exactly the answer it would get for something that does not exist, so a refusal tells it
nothing about other regions (which villages exist, which subjects have lines, which merchants)."""
from __future__ import annotations

from common.auth import Role
from tests.harness import DatabaseFactory, Keys, start_service
from tests.lending.conftest import apply, rating_changed
from tests.registry.support import TOWN_A, TOWN_B, VILLAGE_B, household, registry

OTHER_TOWN_VILLAGE = "341181100201"   # lending's test village, in town 341181100
MY_TOWN = "341181101"


def same_answer(a: object, b: object) -> None:
    import httpx
    assert isinstance(a, httpx.Response) and isinstance(b, httpx.Response)
    strip = lambda r: {k: v for k, v in r.json().items() if k not in ("detail", "instance", "request_id")}  # noqa: E731
    assert (a.status_code, strip(a)) == (b.status_code, strip(b)), (a.text, b.text)


async def test_the_registry_does_not_reveal_which_villages_exist_elsewhere(databases: DatabaseFactory,
                                                                            keys: Keys) -> None:
    async with registry(await databases.create("registry", "sqlite"), keys) as reg:
        officer = keys.headers(Role.officer, region=TOWN_A)
        assert TOWN_B != TOWN_A
        exists = await reg.client.post("/v1/subjects", json=household(1, village=VILLAGE_B), headers=officer)
        missing = await reg.client.post("/v1/subjects", json=household(2, village=TOWN_B + "999"), headers=officer)
        assert exists.status_code == 403
        same_answer(exists, missing)


async def test_lending_answers_for_another_regions_subject_as_for_an_unknown_one(databases: DatabaseFactory,
                                                                                  keys: Keys) -> None:
    url = await databases.create("lending", "sqlite")
    async with start_service("lending", url, keys) as lending:
        await apply(lending, rating_changed("hh-elsewhere", "AA", 1, village=OTHER_TOWN_VILLAGE))
        officer = keys.headers(Role.officer, region=MY_TOWN)
        for path in ("/v1/credit-lines/{}", "/v1/credit-lines/{}/history"):
            same_answer(await lending.client.get(path.format("hh-elsewhere"), headers=officer),
                        await lending.client.get(path.format("hh-nobody"), headers=officer))
        assert (await lending.client.get("/v1/credit-lines/hh-elsewhere", headers=keys.headers(Role.admin))).status_code == 200


async def test_merchant_answers_for_another_regions_merchant_as_for_an_unknown_one(databases: DatabaseFactory,
                                                                                    keys: Keys) -> None:
    url = await databases.create("merchant", "sqlite")
    async with start_service("merchant", url, keys) as merchant:
        r = await merchant.client.post("/v1/merchants", headers=keys.headers(Role.admin),
                                       json={"id": "m-far", "name": "远方超市", "region_code": OTHER_TOWN_VILLAGE})
        assert r.status_code == 201
        officer = keys.headers(Role.officer, region=MY_TOWN)
        for path in ("/v1/merchants/{}", "/v1/merchants/{}/offers"):
            same_answer(await merchant.client.get(path.format("m-far"), headers=officer),
                        await merchant.client.get(path.format("m-nobody"), headers=officer))
