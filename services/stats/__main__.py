"""The stats service: Read model of every event; aggregate statistics for the provincial platform."""
from stats.cli import cli

cli()
