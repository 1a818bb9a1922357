"""The registry service's tables (one module per concept as they grow)."""
from registry.db import Base  # noqa: F401
