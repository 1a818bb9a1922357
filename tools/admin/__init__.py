"""The county's admin CLI (`python -m tools.admin`): tokens, the demo county, imports, rating rounds,
grade policies, stats rebuilds. It talks to the services over HTTP like any other caller."""
