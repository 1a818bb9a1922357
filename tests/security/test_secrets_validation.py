"""Keys are checked at start: in production each decodes to 32 bytes, none is a published
development key (of any service), and no two of a service's keys are the same; the error names the
environment variable the operator sets. A production process with a bad key does not start."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from common.pii import new_key_b64
from common.settings import DEV_KEYS, ServiceSettings
from merchant.settings import MerchantSettings
from registry.settings import RegistrySettings

REPO = Path(__file__).resolve().parents[2]
PROD = {"env": "prod", "database_url": "postgresql+asyncpg://db/x", "event_keys_dir": "/run/keys/events"}
HOLDERS = [(RegistrySettings, ("pii_key", "pii_index_key")), (MerchantSettings, ("code_key", "rotating_code_key", "webhook_secret_key"))]
EACH_KEY = [pytest.param(cls, fields, field, id=f"{cls.__name__}.{field}") for cls, fields in HOLDERS for field in fields]


def env_name(cls: type[ServiceSettings], field: str) -> str:
    return f"{cls.model_config['env_prefix']}{field}".upper()


def fresh(fields: tuple[str, ...]) -> dict[str, str]:
    return {field: new_key_b64() for field in fields}


@pytest.mark.parametrize(("cls", "fields"), [pytest.param(c, f, id=c.__name__) for c, f in HOLDERS])
def test_production_takes_distinct_random_keys(cls: type[ServiceSettings], fields: tuple[str, ...]) -> None:
    keys = fresh(fields)
    settings = cls(**PROD, **keys)
    assert {f: getattr(settings, f) for f in fields} == keys
    assert cls.secret_keys == fields


@pytest.mark.parametrize(("cls", "fields", "field"), EACH_KEY)
@pytest.mark.parametrize("size", [16, 31, 33, 64])
def test_production_refuses_a_key_that_is_not_32_bytes(cls: type[ServiceSettings], fields: tuple[str, ...],
                                                        field: str, size: int) -> None:
    keys = fresh(fields) | {field: base64.b64encode(os.urandom(size)).decode()}
    with pytest.raises(ValidationError, match=rf"{env_name(cls, field)} must decode to 32 bytes, not {size}"):
        cls(**PROD, **keys)


@pytest.mark.parametrize(("cls", "fields", "field"), EACH_KEY)
def test_production_refuses_a_key_that_is_not_base64(cls: type[ServiceSettings], fields: tuple[str, ...],
                                                     field: str) -> None:
    keys = fresh(fields) | {field: "correct horse battery staple, thirty-two"}
    with pytest.raises(ValidationError, match=rf"{env_name(cls, field)} is not base64"):
        cls(**PROD, **keys)


@pytest.mark.parametrize(("cls", "fields"), [pytest.param(c, f, id=c.__name__) for c, f in HOLDERS])
def test_production_refuses_the_same_key_for_two_purposes(cls: type[ServiceSettings], fields: tuple[str, ...]) -> None:
    one = new_key_b64()
    first, second = fields[:2]  # any others fresh
    with pytest.raises(ValidationError, match=rf"{env_name(cls, second)} is the same key as {env_name(cls, first)}"):
        cls(**PROD, **(fresh(fields) | {first: one, second: one}))
    # The same bytes spelt otherwise (the last character's unused low bits set): still one key.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    respelt = one[:42] + alphabet[alphabet.index(one[42]) ^ 1] + "="
    assert respelt != one and base64.b64decode(respelt) == base64.b64decode(one)
    with pytest.raises(ValidationError, match="is the same key"):
        cls(**PROD, **(fresh(fields) | {first: one, second: respelt}))


@pytest.mark.parametrize(("cls", "fields", "field"), EACH_KEY)
@pytest.mark.parametrize("published", sorted(DEV_KEYS))
def test_production_refuses_every_published_development_key(cls: type[ServiceSettings], fields: tuple[str, ...],
                                                            field: str, published: str) -> None:
    """Its own default, and another service's: the merchant cannot be handed the registry's dev key."""
    keys = fresh(fields) | {field: published}
    with pytest.raises(ValidationError, match=rf"{env_name(cls, field)} is a published development key"):
        cls(**PROD, **keys)


@pytest.mark.parametrize(("cls", "fields"), [pytest.param(c, f, id=c.__name__) for c, f in HOLDERS])
def test_production_refuses_the_defaults(cls: type[ServiceSettings], fields: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError, match=rf"{env_name(cls, fields[0])} is a published development key"):
        cls(**PROD)


def test_a_key_of_the_wrong_length_is_refused_outside_production_too() -> None:
    with pytest.raises(ValidationError, match="REGISTRY_PII_INDEX_KEY must decode to 32 bytes"):
        RegistrySettings(env="dev", pii_index_key=base64.b64encode(b"short").decode())
    assert RegistrySettings(env="dev").pii_key  # the development defaults serve the embedded run


def test_the_error_names_the_variable_an_operator_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERCHANT_ENV", "prod")
    monkeypatch.setenv("MERCHANT_DATABASE_URL", PROD["database_url"])
    monkeypatch.setenv("MERCHANT_EVENT_KEYS_DIR", PROD["event_keys_dir"])
    monkeypatch.setenv("MERCHANT_CODE_KEY", new_key_b64())
    monkeypatch.setenv("MERCHANT_ROTATING_CODE_KEY", base64.b64encode(os.urandom(24)).decode())
    with pytest.raises(ValidationError, match="MERCHANT_ROTATING_CODE_KEY must decode to 32 bytes, not 24"):
        MerchantSettings()


def test_a_production_registry_with_a_short_key_does_not_start(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"{REPO}/libs:{REPO}/services:{REPO}", "CV_VAR_DIR": str(tmp_path),
           "REGISTRY_ENV": "prod", "REGISTRY_DATABASE_URL": PROD["database_url"],
           "REGISTRY_EVENT_KEYS_DIR": PROD["event_keys_dir"],
           "REGISTRY_PII_KEY": new_key_b64(), "REGISTRY_PII_INDEX_KEY": base64.b64encode(os.urandom(16)).decode()}
    done = subprocess.run([sys.executable, "-m", "registry", "serve"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert done.returncode != 0
    assert "REGISTRY_PII_INDEX_KEY must decode to 32 bytes, not 16" in done.stderr
