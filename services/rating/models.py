"""The rating service's tables (one module per concept as they grow)."""
from rating.db import Base  # noqa: F401
