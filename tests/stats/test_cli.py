"""The stats command line offers the rebuild next to serve and migrate."""
from __future__ import annotations

from typer.testing import CliRunner

from stats.cli import cli


def test_rebuild_is_a_command_of_the_service_cli() -> None:
    result = CliRunner().invoke(cli, ["rebuild", "--help"])
    assert result.exit_code == 0
    assert "--idle" in result.output and "--expect" in result.output
    assert "rebuild" in CliRunner().invoke(cli, ["--help"]).output
