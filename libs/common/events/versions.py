"""Per-subject version check: an event older than what was already applied is stale and skipped."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import insert_for
from common.tables import subject_versions as versions

_UPSERT: dict[str, Any] = {}
# How far past the last applied version an event may be. A producer bumps a subject's version by
# one per change, so a consumer sees gaps only of what it missed, and a restored producer's jump
# (tools.admin.backup.RESTORE_VERSION_JUMP, a tenth of this); an event further ahead is forged or
# broken, and accepting it would make the subject's real events stale for that many changes.
MAX_VERSION_STEP = 10_000


class VersionTooFarAhead(ValueError):
    """An event's version lies more than ``MAX_VERSION_STEP`` past the subject's last applied one:
    refused, so the consumer sends it to the DLQ for a person to look at."""


def check_step(stream: str, subject_id: str, version: int, current: int) -> None:
    """The one rule, for every consumer (stats keeps its versions in its own read model)."""
    if version > current + MAX_VERSION_STEP:
        raise VersionTooFarAhead(f"{stream}: version {version} of {subject_id} is more than {MAX_VERSION_STEP} "
                                 f"past its last applied ({current})")


def _upsert(dialect: str) -> Any:
    """Built once per dialect and run as an executemany: SQLAlchemy batches it into multi-row
    INSERTs ("insertmanyvalues") from one compiled form, where ``.values(rows)`` compiled anew
    for every batch (a tenth of a consumer's CPU in a county round)."""
    if dialect not in _UPSERT:
        stmt = insert_for(dialect, versions)
        _UPSERT[dialect] = stmt.on_conflict_do_update(
            index_elements=[versions.c.stream, versions.c.subject_id],
            set_={"version": stmt.excluded.version},
            where=versions.c.version < stmt.excluded.version,
        ).returning(versions.c.subject_id)
    return _UPSERT[dialect]


async def accept_version(session: AsyncSession, stream: str, subject_id: str, version: int) -> bool:
    """True (and the version recorded) if ``version`` is newer than the last applied for this subject.

    One statement, atomic on both databases: the row is inserted, or raised only if older; a
    stale or repeated version leaves it as it is and returns no row."""
    return subject_id in await accept_versions(session, stream, [(subject_id, version)])


async def accept_versions(session: AsyncSession, stream: str, pairs: Iterable[tuple[str, int]]) -> set[str]:
    """The set form of ``accept_version``: of ``(subject_id, version)`` pairs (one per subject: see
    ``common.events.batch.subject_rounds``), the subject ids whose version is newer than the last
    applied, all recorded in one executemany."""
    rows = [{"stream": stream, "subject_id": s, "version": int(v)} for s, v in pairs]
    if len({r["subject_id"] for r in rows}) != len(rows):
        raise ValueError("accept_versions takes one version per subject; split the batch into rounds")
    if not rows:
        return set()
    await _refuse_far_ahead(session, stream, rows)
    result = await session.execute(_upsert(session.get_bind().dialect.name), rows)
    return set(result.scalars())


async def _refuse_far_ahead(session: AsyncSession, stream: str, rows: list[dict[str, Any]]) -> None:
    """Raise ``VersionTooFarAhead`` for a version beyond the subject's last + ``MAX_VERSION_STEP``.
    Only versions above the step itself can be, so the usual batch reads nothing."""
    high = {r["subject_id"]: r["version"] for r in rows if r["version"] > MAX_VERSION_STEP}
    if not high:
        return
    current: dict[str, int] = dict((await session.execute(
        select(versions.c.subject_id, versions.c.version)
        .where(versions.c.stream == stream, versions.c.subject_id.in_(list(high))))).tuples().all())
    for subject_id, version in sorted(high.items()):
        check_step(stream, subject_id, version, current.get(subject_id, 0))
