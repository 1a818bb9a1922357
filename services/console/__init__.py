"""The console (控制台): the county console, the provincial dashboard and the household's page, in
Simplified Chinese, built on the five services' public APIs only (it owns no table of theirs)."""
