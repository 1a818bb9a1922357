"""The stats service's tables (one module per concept as they grow)."""
from stats.db import Base  # noqa: F401
