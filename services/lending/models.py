"""The lending service's tables (one module per concept as they grow)."""
from lending.db import Base  # noqa: F401
