"""What lending consumes: topic → handler. Each handler lives with the concept it changes."""
from __future__ import annotations

from common.events import TopicHandler
from lending.credit_lines.service import on_rating_changed
from lending.subjects.service import on_subject

HANDLERS: dict[str, TopicHandler] = {
    "rating-changed": on_rating_changed,
    # The registry's facts: industry (products), region (moves), archive (line closed), consent.
    "subject-registered": on_subject,
    "subject-updated": on_subject,
}
