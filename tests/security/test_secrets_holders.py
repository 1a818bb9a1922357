"""Only the services that need them hold keys: the registry holds the ID-number keys (encryption and
blind index), the merchant keys of its own for household codes and its merchants' webhook secrets,
lending one for the banks' webhook secrets, and rating and stats none; in their settings, in their running apps, and in what the
deployments hand them."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from common.pii import PIICipher, new_key_b64
from common.settings import DEV_PII_INDEX_KEY, DEV_PII_KEY, ServiceSettings
from merchant.codes.models import household_codes
from merchant.codes.service import CODE_CONTEXT
from tests.harness import DatabaseFactory, Keys, definition, start_service
from tests.merchant.support import County, household

ROOT = Path(__file__).resolve().parents[2]
KEYLESS = ["rating", "stats"]
HELD = {"registry": {"REGISTRY_PII_KEY", "REGISTRY_PII_INDEX_KEY"},
        "merchant": {"MERCHANT_CODE_KEY", "MERCHANT_ROTATING_CODE_KEY", "MERCHANT_WEBHOOK_SECRET_KEY"},
        "lending": {"LENDING_WEBHOOK_SECRET_KEY"}}
SECRET_OF = {"registry": "registry-pii", "merchant": "merchant-codes", "lending": "lending-webhooks"}
# What a key's variable looks like, whoever's it is.
KEYISH = ("PII", "CODE_KEY", "INDEX_KEY", "SECRET_KEY")


def key_fields(cls: type[ServiceSettings]) -> set[str]:
    # auth_public_key, auth_household_issuer_key: public keys (verification), held by every service.
    return {f for f in cls.model_fields if f.endswith("_key") and not f.startswith("auth_")}


@pytest.mark.parametrize("service", KEYLESS)
def test_rating_and_stats_settings_hold_no_key(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cls = definition(service).settings_cls
    assert key_fields(cls) == set() and cls.secret_keys == ()
    # A key left in their environment by an old deployment is not read.
    monkeypatch.setenv(f"{service.upper()}_PII_KEY", DEV_PII_KEY)
    monkeypatch.setenv(f"{service.upper()}_PII_INDEX_KEY", DEV_PII_INDEX_KEY)
    settings = cls()
    assert not hasattr(settings, "pii_key") and not hasattr(settings, "pii_index_key")
    assert not any("pii" in name for name in settings.model_dump())


def test_the_registry_holds_the_id_number_keys_and_the_merchant_and_lending_their_own() -> None:
    registry, merchant = definition("registry").settings_cls, definition("merchant").settings_cls
    lending = definition("lending").settings_cls
    assert key_fields(registry) == {"pii_key", "pii_index_key"} == set(registry.secret_keys)
    assert key_fields(merchant) == {"code_key", "rotating_code_key", "webhook_secret_key"} == set(merchant.secret_keys)
    assert key_fields(lending) == {"webhook_secret_key"} == set(lending.secret_keys)
    defaults = [getattr(cls(), f) for cls in (registry, merchant, lending) for f in cls.secret_keys]
    assert len(set(defaults)) == len(defaults) == 6, "no service's development key is another's"


@pytest.mark.parametrize("service", ["registry", "rating", "lending", "merchant", "stats"])
async def test_a_running_service_holds_only_its_own_ciphers(service: str, databases: DatabaseFactory,
                                                            keys: Keys) -> None:
    url = await databases.create(service)
    async with start_service(service, url, keys) as svc:
        ciphers = {name for name, value in vars(svc.app.state)["_state"].items() if isinstance(value, PIICipher)}
    assert ciphers == {"registry": {"pii"}, "merchant": {"code_cipher", "webhook_cipher"},
                       "lending": {"webhook_cipher"}}.get(service, set())


async def test_merchant_seals_household_codes_under_its_own_key(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("merchant")
    code_key = new_key_b64()
    async with start_service("merchant", url, keys, code_key=code_key, rotating_code_key=new_key_b64()) as svc:
        county = County(svc.client, keys)
        shop = await county.merchant()
        hh = await household(svc.db, "AA")
        code = await county.code(hh)
        async with svc.db.transaction(write=False) as session:
            sealed = (await session.execute(select(household_codes.c.code_enc))).scalar_one()
        assert PIICipher(code_key).decrypt(sealed, CODE_CONTEXT) == code
        with pytest.raises(InvalidTag):  # not the registry's ID-number key
            PIICipher(DEV_PII_KEY).decrypt(sealed, CODE_CONTEXT)
        assert (await svc.client.get(f"/v1/households/{hh}/code.svg", headers=county.admin)).status_code == 200

    # Under another key the code still verifies (by its hash); showing it again asks for a re-issue.
    async with start_service("merchant", url, keys, code_key=new_key_b64(), rotating_code_key=new_key_b64()) as svc:
        county = County(svc.client, keys)
        assert (await county.verify(shop, code))["status"] == "credit_household"
        shown = await svc.client.get(f"/v1/households/{hh}/code.svg", headers=county.admin)
        assert shown.status_code == 409 and shown.json()["type"] == "code-key-changed"
        await county.code(hh)
        assert (await svc.client.get(f"/v1/households/{hh}/code.svg", headers=county.admin)).status_code == 200


def k8s_env() -> dict[str, list[dict[str, Any]]]:
    """Every container's env in deploy/k8s, by service."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((ROOT / "deploy/k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] in ("Job", "Deployment"):
                for container in doc["spec"]["template"]["spec"]["containers"]:
                    found.setdefault(path.stem, []).append({e["name"]: e for e in container.get("env", [])})
    return found


def test_kubernetes_hands_keys_only_to_the_registry_the_merchant_and_lending() -> None:
    envs = k8s_env()
    for service in KEYLESS:
        for env in envs[service]:
            assert not [name for name in env if any(k in name for k in KEYISH)], (service, sorted(env))
    for service, held in HELD.items():
        for env in envs[service]:
            keys = {name for name in env if any(k in name for k in KEYISH)}
            assert keys == held, (service, keys)
            for name in held:
                assert env[name]["valueFrom"]["secretKeyRef"]["name"] == SECRET_OF[service]
    referenced = {e["valueFrom"]["secretKeyRef"]["name"]: service for service, containers in envs.items()
                  for env in containers for e in env.values() if "secretKeyRef" in e.get("valueFrom", {})}
    assert referenced["registry-pii"] == "registry" and referenced["merchant-codes"] == "merchant"
    assert referenced["lending-webhooks"] == "lending"
    assert "credit-village-pii" not in referenced, "no Secret shared by every service"


def test_compose_hands_keys_only_to_the_registry_the_merchant_and_lending() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, svc in compose.items():
        service = name.split("-")[0]
        env = {k: str(v) for k, v in svc.get("environment", {}).items()}
        keys = {k for k in env if any(part in k for part in KEYISH)}
        if service in KEYLESS:
            assert not keys, (name, keys)
        elif service in HELD:
            assert keys == HELD[service], (name, keys)
            for k in keys:  # each from a variable of its own name, never a shared one
                assert env[k] == f"${{{k}:?set {k}}}"
