"""Mint a token with the county key: ``python -m common.tokens --role bank --bank-id bank-x``."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer

from common.auth import Role, ensure_keypair, mint_token
from common.settings import var_dir

cli = typer.Typer(add_completion=False, help=__doc__)


@cli.command()
def mint(role: Role = typer.Option(..., help="admin, officer, bank, merchant, platform or service"),
         bank_id: str = typer.Option("", help="for role bank"),
         merchant_id: str = typer.Option("", help="for role merchant"),
         region: str = typer.Option("", help="for role officer: the region code it may see"),
         sub: str = typer.Option("", help="who the token is for"),
         days: int = typer.Option(30, help="valid for this many days"),
         key: Path = typer.Option(None, help="the county's private key (default: var/keys)")) -> None:
    private = key or ensure_keypair(var_dir() / "keys")[0]
    typer.echo(mint_token(private.read_bytes(), role, sub=sub or None, ttl=timedelta(days=days),
                          bank_id=bank_id, merchant_id=merchant_id, region=region))


if __name__ == "__main__":
    cli()
