"""What merchant consumes: topic → handler. Each handler lives with the concept it changes."""
from __future__ import annotations

from common.events import TopicHandler
from merchant.households.events import on_rating, on_subject

HANDLERS: dict[str, TopicHandler] = {"subject-registered": on_subject, "subject-updated": on_subject, "rating-changed": on_rating}
