"""The registry service's declarative base: every table of this service hangs off its metadata."""
from common.db import make_base

Base = make_base()
