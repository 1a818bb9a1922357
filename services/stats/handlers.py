"""What stats consumes: topic → handler (every topic; each parses its event into a read-model op)."""
from __future__ import annotations

from stats.readmodel.handlers import HANDLERS

__all__ = ["HANDLERS"]
