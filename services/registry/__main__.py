from registry.cli import cli

cli()
