"""Tokens are short-lived, addressed to one service, checked with a small clock leeway, and can be
revoked by id: each attack below used to get in with a token the county signed."""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from common.auth import Role
from common.tokens import cli
from tests.harness import DatabaseFactory, Keys, start_service
from tests.security.identity_support import bearer, forge


async def test_long_lived_misaddressed_stale_and_revoked_tokens_are_refused(
        databases: DatabaseFactory, keys: Keys, tmp_path: Path) -> None:
    denylist = tmp_path / "revoked-tokens.txt"
    url = await databases.create("lending", "sqlite")
    async with start_service("lending", url, keys, auth_denylist_file=str(denylist),
                             auth_denylist_refresh_seconds=0) as lending:
        async def status(token: str) -> int:
            return (await lending.client.get("/v1/banks", headers=bearer(token))).status_code

        assert await status(forge(keys, aud=["lending"])) == 200
        # A 30-day token (what `common.tokens` minted by default) is refused outright.
        assert await status(forge(keys, aud=["lending"], lifetime=30 * 86400)) == 401
        # A token for another service, or for no service in particular, is not lending's.
        assert await status(forge(keys, aud=["stats"])) == 401
        assert await status(forge(keys, aud=None)) == 401
        # The clock leeway is small: ten seconds late is tolerated, five minutes is not;
        # nor is a token issued five minutes in the future.
        assert await status(forge(keys, aud=["lending"], issued=-610)) == 200
        assert await status(forge(keys, aud=["lending"], issued=-900)) == 401
        assert await status(forge(keys, aud=["lending"], issued=300)) == 401
        # No token id, nothing to revoke: refused.
        assert await status(forge(keys, aud=["lending"], jti=None)) == 401

        # Revocation: the county puts a token's id on the denylist, and the service refuses it at
        # once, even though it has just accepted (and cached) it; other tokens go on working.
        stolen, other = keys.token(Role.admin), keys.token(Role.admin)
        assert await status(stolen) == 200
        result = CliRunner().invoke(cli, ["revoke", stolen, "--note", "laptop stolen", "--file", str(denylist)])
        assert result.exit_code == 0, result.output
        assert await status(stolen) == 401
        r = await lending.client.get("/v1/banks", headers=bearer(stolen))
        assert r.headers["content-type"] == "application/problem+json" and "revoked" in r.json()["detail"]
        assert await status(other) == 200


def test_the_mint_cli_makes_short_lived_tokens(tmp_path: Path) -> None:
    import jwt

    key = tmp_path / "county-private.pem"
    key.write_bytes(Keys.generate().private_pem)
    result = CliRunner().invoke(cli, ["mint", "--role", "bank", "--bank-id", "rcb", "--key", str(key)])
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 3600 and claims["aud"] == ["lending", "rating"] and claims["jti"]
