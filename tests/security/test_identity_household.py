"""The household's own identity (role ``household``, bound to its subject id, signed by the console's
household issuer): it reaches its own file, grade, points, disclosure log and consent and nothing
else; the issuer's key signs nothing but household tokens; the console's personal link needs the ID
number's ending and locks after wrong tries."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.routing import APIRoute

from common.auth import Role, generate_keypair, mint_token
from common.errors import ProblemError
from console.household import LinkBook, household_token, id_ending
from tests.harness import DatabaseFactory, Keys, start_service
from tests.registry.support import household, outbox, seed_regions

# Every route a household token may enter (its own subject only, checked inside each).
OPEN_TO_HOUSEHOLD = {
    "registry": {("GET", "/v1/subjects/{subject_id}"), ("PUT", "/v1/subjects/{subject_id}/consent"),
                 ("GET", "/v1/subjects/{subject_id}/disclosures")},
    "rating": {("GET", "/v1/subjects/{subject_id}/grade"), ("GET", "/v1/subjects/{subject_id}/ratings"),
               ("GET", "/v1/subjects/{subject_id}/points"), ("GET", "/v1/ratings/{rating_id}"),
               ("POST", "/v1/ratings/{rating_id}/objections")},
    # who saw its grade: banks (lending) and tills (merchant)
    "lending": {("GET", "/v1/disclosures")},
    "merchant": {("GET", "/v1/disclosures")},
}
OPEN = {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}


@pytest.fixture(scope="module")
def issuer() -> tuple[bytes, bytes]:
    return generate_keypair()


@pytest.mark.parametrize("service", ["registry", "rating", "lending", "merchant"])
async def test_a_household_token_enters_only_the_routes_opened_to_it(
        service: str, databases: DatabaseFactory, keys: Keys, issuer: tuple[bytes, bytes]) -> None:
    url = await databases.create(service, "sqlite")
    token, _ = household_token(issuer[0], "00000000-0000-4000-8000-000000000000", 5)
    async with start_service(service, url, keys, auth_household_issuer_key=issuer[1].decode()) as svc:
        for route in svc.app.routes:
            if not isinstance(route, APIRoute) or route.path in OPEN:
                continue
            path = route.path
            for param in route.param_convertors:
                path = path.replace("{" + param + "}", "1" if param.endswith("rating_id") else "00000000-0000-4000-8000-000000000001")
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                r = await svc.client.request(method, path, json={}, headers={"Authorization": f"Bearer {token}",
                                                                          "Idempotency-Key": "household"})
                if (method, route.path) == ("GET", "/v1/disclosures"):
                    # let in for its own subject only: someone else's log is refused or not found
                    assert r.status_code in (403, 404, 422), f"{method} {route.path}: {r.status_code}"
                    own = await svc.client.get(path, params={"subject_id": "00000000-0000-4000-8000-000000000000"},
                                               headers={"Authorization": f"Bearer {token}"})
                    assert own.status_code in (200, 404), f"{service} own disclosures: {own.status_code} {own.text[:200]}"
                elif (method, route.path) in OPEN_TO_HOUSEHOLD[service]:
                    # let in, then nothing found for a subject that is not there (or a body refused)
                    assert r.status_code in (200, 404, 422), f"{method} {route.path}: {r.status_code} {r.text[:200]}"
                else:
                    assert r.status_code == 403, f"{method} {route.path}: a household got {r.status_code}"


async def test_a_household_reads_its_own_file_and_changes_its_consent(
        databases: DatabaseFactory, keys: Keys, issuer: tuple[bytes, bytes]) -> None:
    url = await databases.create("registry", "sqlite")
    async with start_service("registry", url, keys, auth_household_issuer_key=issuer[1].decode()) as svc:
        await seed_regions(svc, keys)
        admin = keys.headers(Role.admin)
        mine = (await svc.client.post("/v1/subjects", json=household(1), headers=admin)).json()
        neighbour = (await svc.client.post("/v1/subjects", json=household(2), headers=admin)).json()
        token, _ = household_token(issuer[0], mine["id"], 5)
        me = {"Authorization": f"Bearer {token}"}

        own = await svc.client.get(f"/v1/subjects/{mine['id']}", headers=me)
        assert own.status_code == 200 and own.json()["id_number_masked"].endswith(household(1)["head"]["id_number"][-4:])
        assert (await svc.client.get(f"/v1/subjects/{neighbour['id']}", headers=me)).status_code == 404
        assert (await svc.client.get(f"/v1/subjects/{mine['id']}/disclosures", headers=me)).status_code == 200
        assert (await svc.client.get(f"/v1/subjects/{neighbour['id']}/disclosures", headers=me)).status_code == 404

        withdrawn = await svc.client.put(f"/v1/subjects/{mine['id']}/consent", json={"given": False}, headers=me)
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["consent"]["given"] is False
        updates = await outbox(svc, "subject-updated")
        assert len(updates) == 1  # the change goes out like any other (rating hides the grade at once)
        bad = await svc.client.put(f"/v1/subjects/{mine['id']}/consent", json={"given": True, "scopes": ["gambling"]},
                                   headers=me)
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
        assert any(e["field"].startswith("scopes") for e in bad.json()["errors"])
        other = await svc.client.put(f"/v1/subjects/{neighbour['id']}/consent", json={"given": False}, headers=me)
        assert other.status_code == 404
        assert (await svc.client.get(f"/v1/subjects/{neighbour['id']}", headers=admin)).json()["consent"]["given"] is True


async def test_the_household_issuer_signs_household_tokens_only(
        databases: DatabaseFactory, keys: Keys, issuer: tuple[bytes, bytes]) -> None:
    url = await databases.create("registry", "sqlite")
    async with start_service("registry", url, keys, auth_household_issuer_key=issuer[1].decode()) as svc:
        forged_admin = mint_token(issuer[0], Role.admin, audience="registry")
        r = await svc.client.get("/v1/subjects", headers={"Authorization": f"Bearer {forged_admin}"})
        assert r.status_code == 401 and "household tokens only" in r.json()["detail"]
    # A service that was not told of the issuer trusts none of its tokens.
    async with start_service("registry", url, keys) as svc:
        token, _ = household_token(issuer[0], "00000000-0000-4000-8000-000000000000", 5)
        r = await svc.client.get("/v1/subjects/00000000-0000-4000-8000-000000000000",
                                 headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


def test_a_personal_link_needs_the_id_ending_and_locks_after_wrong_tries() -> None:
    book = LinkBook(days=7, attempts=3)
    now = datetime.now(UTC)
    code, _ = book.issue("subject-1", id_ending("3411**********123X"), now)
    assert book.redeem(code, "123x", now).subject_id == "subject-1"
    for left in (2, 1, 0):
        with pytest.raises(ProblemError) as wrong:
            book.redeem(code, "0000", now)
        assert wrong.value.status == 401 and wrong.value.extra["attempts_left"] == left
    with pytest.raises(ProblemError) as locked:
        book.redeem(code, "123X", now)  # the right ending, too late: locked
    assert locked.value.status == 410
    code2, _ = book.issue("subject-2", "5678", now)
    with pytest.raises(ProblemError) as expired:
        book.redeem(code2, "5678", now + timedelta(days=8))
    assert expired.value.status == 410
    with pytest.raises(ProblemError):
        id_ending("****")
