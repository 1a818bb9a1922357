"""Events: the CloudEvents-shaped envelope, JSON Schemas, the transactional outbox, the relay and
the at-least-once consumer with its inbox."""
from common.events.batch import BatchHandler, Handler, TopicHandler, apply_events, batch, subject_rounds
from common.events.envelope import Event
from common.events.outbox import emit, emit_many
from common.events.schemas import EventSchemaError, validate_event
from common.events.versions import accept_version, accept_versions

__all__ = [
           "BatchHandler",
           "Event",
           "EventSchemaError",
           "Handler",
           "TopicHandler",
           "accept_version",
           "accept_versions",
           "apply_events",
           "batch",
           "emit",
           "emit_many",
           "subject_rounds",
           "validate_event",
]
