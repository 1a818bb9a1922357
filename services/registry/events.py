"""The registry's events, one typed builder per event type (no personal data by construction),
and the bulk import's writer of pre-built outbox rows. Every emit site calls a builder; a consumer's tests build
their input with the same builders, so a field no producer sets cannot be read unnoticed."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.bulk import insert_bound
from common.events import Event
from common.events.outbox import OUTBOX_COLUMNS, mark_written
from common.events.payload import day, instant, region
from common.tables import outbox_events
from registry.subjects.files import region_of
from registry.subjects.schemas import Profile

SOURCE = "registry"
SUBJECT_REGISTERED = "subject-registered"
SUBJECT_UPDATED = "subject-updated"
CIVILITY_EVALUATED = "civility-evaluated"
NEGATIVE_RECORD_CHANGED = "negative-record-changed"
REGION_CHANGED = "region-changed"

PROFILE_FIELDS = tuple(Profile.model_fields)


def _profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    """Every scoring input, null where the file does not answer it; money as "0.00" strings."""
    get = profile.get
    return {k: _plain(get(k)) for k in PROFILE_FIELDS}


def _plain(value: Any) -> Any:
    return f"{value:.2f}" if isinstance(value, Decimal) else value


def _consent(consent: Mapping[str, Any]) -> dict[str, Any]:
    when = consent.get("date")
    return {"given": bool(consent.get("given")), "date": when.isoformat() if isinstance(when, date) else when,
            "scopes": sorted(set(consent.get("scopes") or []))}


def _subject(subject_id: str, kind: str, region_codes: Mapping[str, str | None], version: int, masked_name: str,
             profile: Mapping[str, Any], consent: Mapping[str, Any], status: str) -> dict[str, Any]:
    return {"subject_id": subject_id, "kind": kind, "region": region(region_codes), "version": version,
            "masked_name": masked_name, "profile": _profile(profile), "consent": _consent(consent), "status": status}


def registered(*, subject_id: str, kind: str, region_codes: Mapping[str, str | None], version: int,
               masked_name: str, profile: Mapping[str, Any], consent: Mapping[str, Any], registered_at: datetime,
               status: str = "active") -> Event:
    """subject-registered: a credit subject's file (一户一档) was created."""
    data = _subject(subject_id, kind, region_codes, version, masked_name, profile, consent, status) | {
        "registered_at": instant(registered_at)}
    return Event(type=SUBJECT_REGISTERED, source=SOURCE, subject=subject_id, data=data)


def updated(*, subject_id: str, kind: str, region_codes: Mapping[str, str | None], version: int, masked_name: str,
            profile: Mapping[str, Any], consent: Mapping[str, Any], status: str, changed_fields: Sequence[str],
            updated_at: datetime) -> Event:
    """subject-updated: the file changed; carries the whole current profile."""
    data = _subject(subject_id, kind, region_codes, version, masked_name, profile, consent, status) | {
        "changed_fields": list(changed_fields), "updated_at": instant(updated_at)}
    return Event(type=SUBJECT_UPDATED, source=SOURCE, subject=subject_id, data=data)


def _get(row: Any, key: str) -> Any:
    return row[key] if isinstance(row, Mapping) else getattr(row, key)


def subject_fields(row: Any) -> dict[str, Any]:
    """The builder arguments a subject row (ORM object, Row mapping or dict) answers."""
    return {"subject_id": _get(row, "id"), "kind": _get(row, "kind"), "region_codes": region_of(row),
            "version": _get(row, "version"), "masked_name": _get(row, "masked_name"),
            "profile": _get(row, "profile") or {}, "consent": _get(row, "consent") or {},
            "status": _get(row, "status")}


def civility_evaluated(*, subject_id: str, evaluation_id: str, catalogue_version: int, score: Decimal | int,
                       base: Decimal | int, positive_points: Decimal | int, negative_points: Decimal | int,
                       veto: bool, veto_items: Sequence[str], aspects: Mapping[str, Decimal | int], version: int,
                       published_at: datetime) -> Event:
    """civility-evaluated: a civility evaluation (乡风文明评议) was published. ``score`` is the
    0–100 civility score ``registry.civility.scoring`` computed from the other parts."""
    data = {"subject_id": subject_id, "evaluation_id": evaluation_id, "catalogue_version": catalogue_version,
            "score": _number(score), "base": _number(base), "positive_points": _number(positive_points),
            "negative_points": _number(negative_points), "veto": veto, "veto_items": list(veto_items),
            "aspects": {k: _number(v) for k, v in aspects.items()}, "version": version,
            "published_at": instant(published_at)}
    return Event(type=CIVILITY_EVALUATED, source=SOURCE, subject=subject_id, data=data)


def negative_record_changed(*, record_id: str, subject_id: str, agency: str, record_kind: str, status: str,
                            veto: bool, effective_from: date | None, expires_on: date | None, version: int,
                            changed_at: datetime) -> Event:
    """negative-record-changed: a negative-list record (负面清单) was raised or cleared; a cleared
    record vetoes nothing any more, whatever ``veto`` the record had."""
    data = {"record_id": record_id, "subject_id": subject_id, "agency": agency, "record_kind": record_kind,
            "status": status, "veto": veto and status == "raised", "effective_from": day(effective_from),
            "expires_on": day(expires_on), "version": version, "changed_at": instant(changed_at)}
    return Event(type=NEGATIVE_RECORD_CHANGED, source=SOURCE, subject=subject_id, data=data)


def region_changed(*, code: str, name: str, level: str, parent_code: str | None, version: int,
                   changed_at: datetime) -> Event:
    """region-changed: a region (行政区划) was created or renamed; keyed by its code, so one
    region's changes stay in order. Stats names its figures from these."""
    data = {"code": code, "name": name, "level": level, "parent_code": parent_code, "version": version,
            "changed_at": instant(changed_at)}
    return Event(type=REGION_CHANGED, source=SOURCE, subject=code, data=data)


def region_fields(row: Any) -> dict[str, Any]:
    """The builder arguments a region row (ORM object or mapping) answers, but ``changed_at``."""
    return {"code": _get(row, "code"), "name": _get(row, "name"), "level": _get(row, "level"),
            "parent_code": _get(row, "parent_code"), "version": _get(row, "version")}


def _number(value: Decimal | int | float) -> int | float:
    """A JSON number: whole values as integers (the catalogue's points are whole)."""
    d = Decimal(str(value))
    return int(d) if d == d.to_integral_value() else float(d)


async def write_bound(session: AsyncSession, rows: list[tuple[Any, ...]]) -> None:
    """The bulk import's events: outbox rows made by ``outbox_row`` (in the worker processes) and
    bound for ``OUTBOX_COLUMNS`` by ``common.bulk.Binder``, one executemany per chunk."""
    await insert_bound(session, outbox_events, OUTBOX_COLUMNS, rows)
    if rows:
        mark_written(session)
