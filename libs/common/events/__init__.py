"""Events: the CloudEvents-shaped envelope, JSON Schemas, the transactional outbox, the relay and
the at-least-once consumer with its inbox."""
from common.events.batch import BatchHandler, batch, subject_rounds
from common.events.envelope import Event
from common.events.outbox import emit
from common.events.schemas import EventSchemaError, validate_event
from common.events.versions import accept_version, accept_versions

__all__ = ["BatchHandler", "Event", "EventSchemaError", "accept_version", "accept_versions", "batch", "emit",
           "subject_rounds", "validate_event"]
