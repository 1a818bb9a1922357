"""The console: ``python -m console serve``."""
from console.cli import cli

cli()
