"""SQL of subjects, their identities, change history and disclosures."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.bulk import insert_bound, insert_rows
from common.db import utcnow
from registry.subjects.models import Disclosure, Subject, SubjectChange, SubjectIdentity


async def get(session: AsyncSession, subject_id: str) -> Subject | None:
    return (await session.execute(select(Subject).where(Subject.id == subject_id))).scalar_one_or_none()


async def by_natural_keys(session: AsyncSession, kind: str, keys: Sequence[str]) -> dict[str, Subject]:
    if not keys:
        return {}
    rows = (await session.execute(select(Subject).where(Subject.kind == kind, Subject.natural_key.in_(keys)))).scalars()
    return {s.natural_key: s for s in rows}


async def rows_by_natural_keys(session: AsyncSession, kind: str, keys: Sequence[str], *,
                               lock: bool = False) -> dict[str, Any]:
    """Like ``by_natural_keys`` but plain rows (a bulk import reads thousands at once). ``lock``:
    hold them until the transaction ends (PostgreSQL's FOR UPDATE, in id order so two writers
    take their locks in the same order; a SQLite writer holds the whole database already)."""
    if not keys:
        return {}
    q = select(_subjects).where(_subjects.c.kind == kind, _subjects.c.natural_key.in_(keys))
    if lock:
        q = q.order_by(_subjects.c.id).with_for_update()
    return {r.natural_key: r for r in await session.execute(q)}


async def identities(session: AsyncSession, indexes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """blind index → (subject id, role) for those of ``indexes`` already on file."""
    wanted = list(set(indexes))
    if not wanted:
        return {}
    q = select(SubjectIdentity.id_index, SubjectIdentity.subject_id, SubjectIdentity.role).where(
        SubjectIdentity.id_index.in_(wanted))
    return {r.id_index: (r.subject_id, r.role) for r in await session.execute(q)}


async def resolve(session: AsyncSession, id_index: str) -> Subject | None:
    q = select(Subject).join(SubjectIdentity, SubjectIdentity.subject_id == Subject.id).where(
        SubjectIdentity.id_index == id_index)
    return (await session.execute(q)).scalar_one_or_none()


_subjects = cast(Table, Subject.__table__)
_identities = cast(Table, SubjectIdentity.__table__)
_changes = cast(Table, SubjectChange.__table__)
SUBJECTS, IDENTITIES, CHANGES = _subjects, _identities, _changes


async def insert_bound_rows(session: AsyncSession, table: Table, columns: Sequence[str],
                            rows: list[tuple[Any, ...]]) -> None:
    """Rows of one of the tables above, bound by ``common.bulk.Binder`` (the bulk import's)."""
    assert table in (_subjects, _identities, _changes)
    await insert_bound(session, table, columns, rows)


async def insert_subjects(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await insert_rows(session, _subjects, rows)


async def insert_identities(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await insert_rows(session, _identities, rows)


async def replace_member_identities(session: AsyncSession, subject_id: str, indexes: list[str]) -> None:
    await session.execute(delete(SubjectIdentity).where(SubjectIdentity.subject_id == subject_id,
                                                        SubjectIdentity.role == "member"))
    await insert_identities(session, [{"id_index": i, "subject_id": subject_id, "role": "member"} for i in indexes])


async def insert_changes(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await insert_rows(session, _changes, rows)


async def save_new_version(session: AsyncSession, subject_id: str, from_version: int, values: dict[str, Any]) -> bool:
    """Compare-and-set: write ``values`` as version ``from_version + 1`` only if nobody moved the
    file meanwhile (False if somebody did)."""
    result = await session.execute(
        update(Subject).where(Subject.id == subject_id, Subject.version == from_version)
        .values(**values, version=from_version + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def save_new_versions(session: AsyncSession, changes: list[tuple[str, int, dict[str, Any]]]) -> None:
    """Many ``save_new_version`` at once, (id, from version, values) each, for rows this
    transaction read with ``lock``: nobody can have moved them, so one executemany per set of
    changed columns; a row that moved anyway is an error, not a silent overwrite."""
    groups: dict[tuple[str, ...], list[tuple[str, int, dict[str, Any]]]] = {}
    for change in changes:
        groups.setdefault(tuple(sorted(change[2])), []).append(change)
    for columns, group in groups.items():
        stmt = (update(_subjects).where(_subjects.c.id == bindparam("w_id"), _subjects.c.version == bindparam("w_from"))
                .values(version=bindparam("v_version"), **{c: bindparam(f"v_{c}") for c in columns}))
        params = [{"w_id": sid, "w_from": v, "v_version": v + 1, **{f"v_{c}": values[c] for c in columns}}
                  for sid, v, values in group]
        result = await session.execute(stmt, params)
        written = result.rowcount  # type: ignore[attr-defined]
        if written not in (-1, None, len(params)):  # asyncpg's executemany does not count
            raise RuntimeError(f"{len(params) - written} subject(s) changed meanwhile")


async def bump_version(session: AsyncSession, subject_id: str, actor: str, action: str,
                       changed_fields: list[str], changes: dict[str, Any] | None = None) -> int:
    """One more version of the subject for a change recorded elsewhere (a civility evaluation, a
    negative record); atomic under concurrent writers (row lock / SQLite writer lock)."""
    now = utcnow()
    version = (await session.execute(
        update(Subject).where(Subject.id == subject_id)
        .values(version=Subject.version + 1, updated_at=now, updated_by=actor)
        .returning(Subject.version).execution_options(synchronize_session=False))).scalar_one()
    await insert_changes(session, [{"subject_id": subject_id, "version": version, "action": action, "actor": actor,
                                    "at": now, "changed_fields": changed_fields, "changes": changes or {}}])
    return int(version)


async def listing(session: AsyncSession, *, prefix: str | None, kind: str | None, village: str | None,
                  status: str | None, after: str | None, limit: int) -> list[Subject]:
    q = select(Subject).order_by(Subject.id).limit(limit)
    if prefix:
        q = q.where(Subject.village_code.startswith(prefix, autoescape=True))
    if kind:
        q = q.where(Subject.kind == kind)
    if village:
        q = q.where(Subject.village_code == village)
    if status:
        q = q.where(Subject.status == status)
    if after:
        q = q.where(Subject.id > after)
    return list((await session.execute(q)).scalars())


async def changes(session: AsyncSession, subject_id: str, after: int, limit: int) -> list[SubjectChange]:
    q = (select(SubjectChange).where(SubjectChange.subject_id == subject_id, SubjectChange.version > after)
         .order_by(SubjectChange.version).limit(limit))
    return list((await session.execute(q)).scalars())


async def log_disclosure(session: AsyncSession, *, subject_id: str | None, caller: str, role: str, purpose: str,
                         channel: str, found: bool) -> None:
    await session.execute(insert(Disclosure).values(subject_id=subject_id, caller=caller, role=role, purpose=purpose,
                                                    channel=channel, found=found, at=utcnow()))


async def disclosures(session: AsyncSession, subject_id: str, after: int, limit: int) -> list[Disclosure]:
    q = (select(Disclosure).where(Disclosure.subject_id == subject_id, Disclosure.id > after)
         .order_by(Disclosure.id).limit(limit))
    return list((await session.execute(q)).scalars())
