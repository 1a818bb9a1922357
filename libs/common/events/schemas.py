"""JSON Schemas of every event type, committed under ``schemas/``: ``envelope.json`` for the
envelope and ``<type>.json`` for each type's ``data``. Producers validate before writing to the
outbox, consumers validate on receipt; validators are compiled once. The validator is the Rust
one (jsonschema-rs): about ten times faster than pure Python, and every consumed event pays it."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SCHEMA_DIR = Path(__file__).with_name("schemas")


class EventSchemaError(ValueError):
    pass


def event_types() -> list[str]:
    return sorted(p.stem for p in SCHEMA_DIR.glob("*.json") if p.stem != "envelope")


@cache
def schema_of(name: str) -> dict[str, Any]:
    path = SCHEMA_DIR / f"{name}.json"
    if not path.exists():
        raise EventSchemaError(f"no schema for event type {name!r}")
    return dict(json.loads(path.read_text()))


@cache
def _validator(name: str) -> Any:
    return jsonschema_rs.Draft202012Validator(schema_of(name), validate_formats=True)


def validate_event(raw: dict[str, Any]) -> None:
    """Raise EventSchemaError naming the first offending path if ``raw`` is not a valid event."""
    try:
        _validator("envelope").validate(raw)
        _validator(raw["type"]).validate(raw["data"])
    except jsonschema_rs.ValidationError as exc:
        where = "/".join(str(p) for p in exc.instance_path) or "(root)"
        raise EventSchemaError(f"{raw.get('type')}: {where}: {exc.message}") from exc
