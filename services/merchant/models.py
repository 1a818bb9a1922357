"""The merchant service's tables (one module per concept as they grow)."""
from merchant.db import Base  # noqa: F401
