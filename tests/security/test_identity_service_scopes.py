"""No shared ``service`` token: each calling service has its own identity with only the scopes it
uses. Lending may look subjects up at the registry; only the household channel mints rotating
codes; a token that claims more than its identity has, or no identity at all, is refused."""
from __future__ import annotations

from common.auth import Role
from tests.harness import DatabaseFactory, Keys, start_service
from tests.merchant.support import County, household
from tests.registry.support import TOWN_A, id_number, registry
from tests.registry.support import household as household_file
from tests.security.identity_support import bearer, forge


async def test_each_service_identity_gets_only_its_own_scopes(databases: DatabaseFactory, keys: Keys) -> None:
    # The old shared token: role service, bound to nothing.
    shared = forge(keys, role="service", sub="internal")
    # A lending identity that claims the household channel's scope as well.
    greedy = forge(keys, role="service", service="lending", scope="subjects:lookup codes:rotate")
    stranger = forge(keys, role="service", service="crawler", scope="subjects:lookup")
    lending = keys.headers(Role.service, service="lending")
    channel = keys.headers(Role.service, service="household-channel")

    async with registry(await databases.create("registry", "sqlite"), keys) as reg:
        r = await reg.client.post("/v1/subjects", json=household_file(1),
                                  headers=keys.headers(Role.officer, region=TOWN_A))
        assert r.status_code == 201, r.text
        body = {"id_number": id_number(1)}

        async def lookup(headers: dict[str, str]) -> int:
            return (await reg.client.post("/v1/subjects:lookup", json=body, headers=headers)).status_code

        assert await lookup(lending) == 200
        # The household channel never resolves ID numbers: its tokens are not for the registry, and
        # one addressed to it still lacks the scope.
        assert await lookup(channel) == 401
        assert await lookup(keys.headers(Role.service, service="household-channel", audience="registry")) == 403
        for token in (shared, greedy, stranger):
            assert await lookup(bearer(token)) == 401
        # Nor may any service identity read files it has no use for.
        sid = r.json()["id"]
        assert (await reg.client.get(f"/v1/subjects/{sid}", headers=lending)).status_code == 403

    url = await databases.create("merchant", "sqlite")
    async with start_service("merchant", url, keys) as merchant:
        county = County(merchant.client, keys)
        hh = await household(merchant.db, "AA")
        await county.code(hh)
        path = f"/v1/households/{hh}/codes/rotating"
        assert (await merchant.client.post(path, headers=channel)).status_code == 201
        assert (await merchant.client.post(path, headers=lending)).status_code == 401
        lending_here = keys.headers(Role.service, service="lending", audience="merchant")
        assert (await merchant.client.post(path, headers=lending_here)).status_code == 403
        for token in (shared, greedy, stranger):
            assert (await merchant.client.post(path, headers=bearer(token))).status_code == 401
