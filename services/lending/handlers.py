"""What lending consumes: topic → handler. Each handler lives with the concept it changes."""
from __future__ import annotations

from common.events.consumer import Handler
from lending.credit_lines.service import on_rating_changed

HANDLERS: dict[str, Handler] = {"rating-changed": on_rating_changed}
