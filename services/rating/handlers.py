"""What rating consumes: topic → handler (the handlers share the service's settings)."""
from __future__ import annotations

from common.events import TopicHandler
from rating.settings import RatingSettings
from rating.subjects.handlers import make_handlers


def handlers(settings: RatingSettings) -> dict[str, TopicHandler]:
    return make_handlers(settings)
