"""The event envelope (CloudEvents-shaped): id, type, source, subject, time, schema_version, data."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from common.db import utcnow


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    source: str
    subject: str
    data: dict[str, Any]
    schema_version: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "subject": self.subject,
            "time": self.time.isoformat(),
            "schema_version": self.schema_version,
            "data": self.data,
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), default=str)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Event:
        return cls(
            id=raw["id"], type=raw["type"], source=raw["source"], subject=raw["subject"],
            time=datetime.fromisoformat(raw["time"]), schema_version=raw["schema_version"],
            data=raw["data"],
        )

    @classmethod
    def from_json(cls, payload: bytes) -> Event:
        return cls.from_dict(orjson.loads(payload))
