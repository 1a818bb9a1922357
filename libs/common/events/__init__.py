"""Events: the CloudEvents-shaped envelope, JSON Schemas, the transactional outbox, the relay and
the at-least-once consumer with its inbox."""
from common.events.envelope import Event
from common.events.outbox import emit
from common.events.schemas import EventSchemaError, validate_event
from common.events.versions import accept_version

__all__ = ["Event", "EventSchemaError", "accept_version", "emit", "validate_event"]
