"""Mint and revoke tokens with the county key:
``python -m common.tokens mint --role bank --bank-id bank-x`` (valid 60 minutes unless told),
``python -m common.tokens revoke <token or jti>`` (every service refuses it within a second)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import jwt
import typer

from common.auth import MAX_TTL, SERVICE_IDENTITIES, Role, ensure_keypair, mint_token, revoke
from common.settings import var_dir

cli = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


def denylist_path() -> Path:
    """The revocation list the services read by default (``CV_AUTH_DENYLIST_FILE`` or per service
    ``<SERVICE>_AUTH_DENYLIST_FILE`` outside dev)."""
    return var_dir() / "keys" / "revoked-tokens.txt"


@cli.command()
def mint(role: Role = typer.Option(..., help="admin, officer, bank, merchant, platform or service"),
         bank_id: str = typer.Option("", help="for role bank"),
         merchant_id: str = typer.Option("", help="for role merchant"),
         region: str = typer.Option("", help="for role officer: the whole region code it may see"),
         service: str = typer.Option("", help="for role service: " + ", ".join(SERVICE_IDENTITIES)),
         audience: list[str] = typer.Option([], help="a service the token is for (repeatable; default: the role's)"),
         sub: str = typer.Option("", help="who the token is for"),
         minutes: int = typer.Option(60, help=f"valid for this many minutes (services refuse more than "
                                              f"{int(MAX_TTL.total_seconds() // 60)})"),
         key: Path = typer.Option(None, help="the county's private key (default: var/keys)")) -> None:
    private = key or ensure_keypair(var_dir() / "keys")[0]
    try:
        token = mint_token(private.read_bytes(), role, sub=sub or None, ttl=timedelta(minutes=minutes),
                           audience=audience or None, bank_id=bank_id, merchant_id=merchant_id, region=region,
                           service=service)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(token)


@cli.command("revoke")
def revoke_cmd(token: str = typer.Argument(..., help="the token itself, or its id (jti)"),
               note: str = typer.Option("", help="why (kept in the list)"),
               file: Path = typer.Option(None, help="the denylist file (default: var/keys/revoked-tokens.txt)")) -> None:
    """Add a token's id to the denylist that every service reads."""
    jti, exp = token, None
    if token.count(".") == 2:  # a whole token: its id and expiry, read without checking the signature
        claims = jwt.decode(token, options={"verify_signature": False})
        jti, exp = str(claims.get("jti", "")), claims.get("exp")
    try:
        revoke(file or denylist_path(), jti, int(exp) if exp else None, note)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"revoked {jti}")


if __name__ == "__main__":
    cli()
