"""The stats service's tables (one module per concept: the read model lives in ``stats.readmodel``)."""
from stats.db import Base  # noqa: F401
from stats.readmodel import tables  # noqa: F401  (registers the read model's tables)
