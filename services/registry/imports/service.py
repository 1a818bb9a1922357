"""The bulk import of household files: validated row by row; good rows stored, bad rows reported
(row, column, why); the head's ID-card number is the natural key, so importing a file again
changes what changed and duplicates nothing. Work goes in chunks: one transaction, a handful of
batched statements and one progress update per chunk, and no database round trip per row."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common import cpu
from common.auth import Principal, Role
from common.bulk import Binder, dialect_named
from common.db import Database, utcnow
from common.errors import field_error
from common.events import Event
from common.events.outbox import OUTBOX_COLUMNS, emit_many, outbox_row
from common.pii import PIICipher, mask_phone
from common.tables import outbox_events
from registry import events
from registry.imports import parsing
from registry.imports import repository as jobs
from registry.imports.models import ImportJob
from registry.regions.models import Region
from registry.subjects import files
from registry.subjects import repository as subjects
from registry.subjects.schemas import HouseholdIn

log = logging.getLogger("registry.imports")
CHUNK = 5000
FIRST_CHUNK = 1000  # the writer starts while the workers are still on the next chunks
WORKERS = 2
PARALLEL_FROM = 20_000  # rows; below this, starting worker processes costs more than it saves
Progress = Callable[[int, int], None]


async def create_job(db: Database, principal: Principal, filename: str, path: Path,
                     limits: parsing.Limits = parsing.Limits()) -> tuple[ImportJob, parsing.Table]:
    """Check the file on disk as a whole (its size, readable, within the limits, the needed columns)
    and queue the job. The file stays where it is: the job reads it again, a chunk at a time."""
    try:
        # Off the event loop: a county's file is 100,000 rows.
        table = await asyncio.to_thread(parsing.open_table, filename, path, limits)
    except parsing.FileProblem as exc:
        raise field_error("file", exc.text) from None
    digest = await asyncio.to_thread(_sha256, path)
    job_id = str(uuid.uuid4())
    async with db.transaction() as session:
        await jobs.add(session, {
            "id": job_id, "filename": filename[:200], "sha256": digest,
            "format": table.format, "status": "queued", "total_rows": table.total, "processed_rows": 0,
            "created_count": 0, "updated_count": 0, "unchanged_count": 0, "error_count": 0,
            "scope": principal.region if principal.role == Role.officer else None,
            "created_by": principal.caller_id, "created_at": utcnow()})
        job = await jobs.get(session, job_id)
    assert job is not None
    return job, table


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class _Good(NamedTuple):
    """A good row ready to write: the head's blind index and the row of each table it adds,
    bound as the driver takes them (``common.bulk.Binder``). Plain tuples: cheap to hand back
    from a worker process, and the writer has nothing left to do but hand them to the driver."""

    row: int
    key: str
    subject: tuple[Any, ...]
    identities: list[tuple[Any, ...]]
    change: tuple[Any, ...]
    outbox: tuple[Any, ...]


@dataclass
class _Chunk:
    new: list[_Good] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    updated: int = 0
    unchanged: int = 0


@dataclass
class _Regions:
    villages: set[str]
    groups: dict[str, str]  # group code → its village

    @classmethod
    async def load(cls, session: AsyncSession) -> _Regions:
        rows = await session.execute(select(Region.code, Region.level, Region.parent_code)
                                     .where(Region.level.in_(("village", "group"))))
        villages, groups = set(), {}
        for code, level, parent in rows:
            if level == "village":
                villages.add(code)
            else:
                groups[code] = parent
        return cls(villages, groups)


async def run_job(db: Database, cipher: PIICipher, job_id: str, table: parsing.Table,
                  progress: Progress | None = None, chunk_size: int = CHUNK,
                  pii_keys: tuple[str, str] | None = None) -> ImportJob:
    """Run a queued job. With ``pii_keys`` (the PII key and index key) a big file is prepared by
    a pool of processes; otherwise by one worker thread."""
    async with db.transaction() as session:
        await jobs.set_fields(session, job_id, status="running", started_at=utcnow())
        job = await jobs.get(session, job_id)
        regions = await _Regions.load(session)
    assert job is not None
    actor, scope = job.created_by, job.scope
    seen: dict[str, int] = {}  # head's blind index → first row with it in this file
    done = 0
    drivername = db.engine.url.drivername
    ctx = _Context(cipher, table.header, regions, scope, actor, job_id, _Binders.of(drivername))
    chunks = table.chunks(chunk_size, first=min(FIRST_CHUNK, chunk_size))
    source = (_in_processes(pii_keys, ctx, drivername, chunks)
              if pii_keys and table.total >= PARALLEL_FROM else _in_thread(ctx, chunks))
    try:
        async for size, prepared in source:
            _dedupe(prepared, seen)
            for attempt in (1, 2):
                try:
                    async with db.transaction() as session:
                        if db.is_sqlite:
                            # A bigger page cache for this connection: the unique indexes of a big
                            # import are random (uuids, HMACs) and thrash SQLite's default 2 MB.
                            await session.execute(text("PRAGMA cache_size=-131072"))
                        result = await _store(session, cipher, prepared, actor, scope)
                        await jobs.add_errors(session, [{**e, "import_id": job_id} for e in result.errors])
                        await jobs.add_progress(session, job_id, processed=size, created=len(result.new),
                                                updated=result.updated, unchanged=result.unchanged,
                                                errors=len({e["row"] for e in result.errors}))
                    break
                except IntegrityError:
                    # A file registered over the API meanwhile: read the chunk's state again.
                    if attempt == 2:
                        raise
            done += size
            if progress:
                progress(done, table.total)
        async with db.transaction() as session:
            await jobs.set_fields(session, job_id, status="done", finished_at=utcnow())
    except Exception as exc:
        await source.aclose()  # stops the workers now, not whenever the generator is collected
        log.exception("import failed", extra={"import_id": job_id})
        async with db.transaction() as session:
            await jobs.set_fields(session, job_id, status="failed", finished_at=utcnow(),
                                  failure=f"{type(exc).__name__} after {done} rows; rows before were stored")
    async with db.transaction(write=False) as session:
        final = await jobs.get(session, job_id)
    assert final is not None
    log.info("import finished", extra={"import_id": job_id, "status": final.status,
                                       "created_count": final.created_count, "updated_count": final.updated_count,
                                       "unchanged_count": final.unchanged_count, "error_rows": final.error_count})
    return final


@dataclass
class _Prepared:
    good: list[_Good]
    errors: list[dict[str, Any]]


SUBJECT_COLUMNS = tuple(c.name for c in subjects.SUBJECTS.columns)
IDENTITY_COLUMNS = ("id_index", "subject_id", "role")
CHANGE_COLUMNS = ("subject_id", "version", "action", "actor", "at", "changed_fields", "changes")
_JSON_COLUMNS = ("profile", "details", "consent", "extras")


@dataclass(frozen=True)
class _Binders:
    subject: Binder
    identity: Binder
    change: Binder
    outbox: Binder

    @classmethod
    def of(cls, drivername: str) -> _Binders:
        dialect = dialect_named(drivername)
        return cls(Binder(dialect, subjects.SUBJECTS, SUBJECT_COLUMNS),
                   Binder(dialect, subjects.IDENTITIES, IDENTITY_COLUMNS),
                   Binder(dialect, subjects.CHANGES, CHANGE_COLUMNS),
                   Binder(dialect, outbox_events, OUTBOX_COLUMNS))


@dataclass(frozen=True)
class _Context:
    """What preparing a chunk needs besides its rows (a worker process gets it once)."""

    cipher: PIICipher
    header: list[str]
    regions: _Regions
    scope: str | None
    actor: str
    job_id: str
    binders: _Binders


def _row_errors(n: int, values: list[str], ctx: _Context) -> tuple[HouseholdIn | None, list[dict[str, Any]]]:
    """One row of the file → the validated household, or its (row, column, reason) errors."""
    payload, shaping = parsing.to_payload(ctx.header, values)
    if payload is None:
        return None, [{"row": n, "field": c, "message": m} for c, m in shaping]
    try:
        body = HouseholdIn.model_validate(payload)
    except ValidationError as exc:
        return None, [{"row": n, "field": parsing.column_of(e["loc"]), "message": parsing.message_of(dict(e))}
                      for e in exc.errors()]
    errors = []
    if body.village not in ctx.regions.villages:
        errors.append({"row": n, "field": "village", "message": f"unknown village {body.village}"})
    elif ctx.scope and not body.village.startswith(ctx.scope):
        errors.append({"row": n, "field": "village", "message": "outside your region"})
    if body.group is not None and ctx.regions.groups.get(body.group) != body.village:
        errors.append({"row": n, "field": "group", "message": f"unknown village group {body.group}"})
    return (None if errors else body), errors


def _prepare(ctx: _Context, part: list[list[str]], first_row: int) -> _Prepared:
    """Validate, assemble and bind a chunk's rows in memory (no database): the good rows ready to
    write, (row, column, reason) for the bad ones."""
    now = utcnow()
    good: list[_Good] = []
    errors: list[dict[str, Any]] = []
    b = ctx.binders
    change = {"version": 1, "action": "imported", "actor": ctx.actor, "at": now, "changed_fields": [],
              "changes": {"import_id": ctx.job_id}}
    for offset, values in enumerate(part):
        n = first_row + offset
        if not any(values):
            continue  # blank line
        body, row_errors = _row_errors(n, values, ctx)
        if body is None:
            errors += row_errors
            continue
        draft = files.household_draft(body, ctx.cipher, ctx.actor, now)
        row = draft.row
        event = events.registered(**events.subject_fields(row), registered_at=row["created_at"])
        good.append(_Good(n, row["natural_key"], b.subject(row),
                          [(i, row["id"], r) for i, r in draft.identities],
                          b.change({**change, "subject_id": row["id"]}), b.outbox(outbox_row(event))))
    return _Prepared(good, errors)


def _dedupe(prepared: _Prepared, seen: dict[str, int]) -> None:
    """The same head twice in one file: the first row counts, later ones are refused."""
    kept = []
    for good in prepared.good:
        if good.key in seen:
            prepared.errors.append({"row": good.row, "field": "head_id_number",
                                    "message": f"the same head as row {seen[good.key]}"})
            continue
        seen[good.key] = good.row
        kept.append(good)
    prepared.good = kept


Chunks = Iterator[tuple[int, list[list[str]]]]


async def _ahead(chunks: Chunks, reader: ThreadPoolExecutor, prepare: Callable[[list[list[str]], int], Awaitable[_Prepared]],
                 depth: int) -> AsyncGenerator[tuple[int, _Prepared], None]:
    """(rows, prepared chunk) in file order, up to ``depth`` chunks prepared ahead of the writer
    (``cpu.ahead``); the file is read a chunk at a time in ``reader``, off the event loop."""
    loop = asyncio.get_running_loop()

    async def sized(rows: int, prepared: Awaitable[_Prepared]) -> tuple[int, _Prepared]:
        return rows, await prepared

    async def works() -> AsyncIterator[Awaitable[tuple[int, _Prepared]]]:
        while (chunk := await loop.run_in_executor(reader, next, chunks, None)) is not None:
            start, part = chunk
            yield sized(len(part), prepare(part, start + 2))

    async with aclosing(cpu.ahead(works(), depth)) as prepared:
        async for item in prepared:
            yield item


async def _in_thread(ctx: _Context, chunks: Chunks) -> AsyncGenerator[tuple[int, _Prepared], None]:
    """(rows, prepared chunk) read and prepared in a worker thread, one chunk ahead of the writer
    (the database driver releases the GIL), so the API also keeps answering meanwhile. One
    thread: the file is read in order."""
    loop = asyncio.get_running_loop()
    reader = ThreadPoolExecutor(1, thread_name_prefix="import")

    def prepare(part: list[list[str]], first_row: int) -> Awaitable[_Prepared]:
        return loop.run_in_executor(reader, _prepare, ctx, part, first_row)

    try:
        async with aclosing(_ahead(chunks, reader, prepare, 1)) as prepared:
            async for item in prepared:
                yield item
    finally:
        reader.shutdown(wait=False, cancel_futures=True)


async def _in_processes(keys: tuple[str, str], ctx: _Context, drivername: str,
                        chunks: Chunks) -> AsyncGenerator[tuple[int, _Prepared], None]:
    """(rows, prepared chunk) prepared by a pool of processes (validation, encryption and binding
    are CPU-bound Python), a few chunks ahead of the writer, handed back in file order. The pool
    is the import's own (``common.cpu``'s workers hold no cipher): each worker holds this job's
    keys, header and regions once."""
    from registry.imports import workers

    loop = asyncio.get_running_loop()
    reader = ThreadPoolExecutor(1, thread_name_prefix="import")
    pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=workers.init,
                               initargs=(keys[0], keys[1], ctx.header, ctx.regions.villages, ctx.regions.groups,
                                         ctx.scope, ctx.actor, ctx.job_id, drivername))

    def prepare(part: list[list[str]], first_row: int) -> Awaitable[_Prepared]:
        return loop.run_in_executor(pool, workers.prepare, part, first_row)

    try:
        async with aclosing(_ahead(chunks, reader, prepare, WORKERS * 2)) as prepared:
            async for item in prepared:
                yield item
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        reader.shutdown(wait=False, cancel_futures=True)


def _unbind(subject: tuple[Any, ...]) -> dict[str, Any]:
    """A bound subject row back as values, for comparing with the file on record."""
    row = dict(zip(SUBJECT_COLUMNS, subject, strict=True))
    for name in _JSON_COLUMNS:
        row[name] = orjson.loads(row[name])
    return row


class _Update(NamedTuple):
    subject_id: str
    from_version: int
    values: dict[str, Any]
    change: dict[str, Any]  # its history row
    event: Event


async def _store(session: AsyncSession, cipher: PIICipher, prepared: _Prepared, actor: str,
                 scope: str | None = None) -> _Chunk:
    """Write a chunk: one read of the heads on file (held until the chunk commits), then one
    statement per table for the new households, the changed ones and their events."""
    out = _Chunk(errors=list(prepared.errors))
    # One look-up of every head's ID number (a head on file is a "head" identity), then the files of
    # the heads on file only: a first import reads nothing more.
    known = await subjects.identities(session, [g.key for g in prepared.good])
    existing = await subjects.rows_by_natural_keys(
        session, "household", [k for k, (_, role) in known.items() if role == "head"], lock=True)
    updates: list[_Update] = []
    now = utcnow()
    for good in prepared.good:
        n = good.row
        current = existing.get(good.key)
        if current is None and good.key in known:  # a member of another household cannot head one
            out.errors.append({"row": n, "field": "head_id_number", "message": "listed as a member of another household"})
            continue
        if current is not None and scope and not current.village_code.startswith(scope):
            out.errors.append({"row": n, "field": "head_id_number", "message": "on file in a region outside yours"})
            continue
        if current is None:
            out.new.append(good)
            continue
        update = _compare(cipher, current, _unbind(good.subject), actor, now)
        if update is None:
            out.unchanged += 1
        else:
            updates.append(update)
    out.updated = len(updates)
    await subjects.insert_bound_rows(session, subjects.SUBJECTS, SUBJECT_COLUMNS, [g.subject for g in out.new])
    await subjects.insert_bound_rows(session, subjects.IDENTITIES, IDENTITY_COLUMNS,
                                     [i for g in out.new for i in g.identities])
    await subjects.insert_bound_rows(session, subjects.CHANGES, CHANGE_COLUMNS, [g.change for g in out.new])
    await events.write_bound(session, [g.outbox for g in out.new])
    await subjects.save_new_versions(session, [(u.subject_id, u.from_version, u.values) for u in updates])
    await subjects.insert_changes(session, [u.change for u in updates])
    await emit_many(session, [u.event for u in updates])
    return out


def _compare(cipher: PIICipher, current: Any, new: dict[str, Any], actor: str, now: datetime) -> _Update | None:
    """The same head again: keep what the row does not carry (members, assets, debts), change what
    it does. None if nothing changed, else the new version's values, history row and event."""
    incoming = files.unseal(cipher, new["id"], new["pii_enc"])["head"]
    pii = files.unseal(cipher, current.id, current.pii_enc)
    head = dict(pii.get("head") or {})
    changed: list[str] = []
    values: dict[str, Any] = {}
    if head.get("name") != incoming["name"]:
        changed.append("head.name")
        head["name"] = incoming["name"]
    if incoming.get("phone") is not None and head.get("phone") != incoming["phone"]:
        changed.append("phone")
        head["phone"] = incoming["phone"]
    if (current.village_code, current.group_code) != (new["village_code"], new["group_code"]):
        changed.append("region")
        values.update({k: new[k] for k in ("county_code", "town_code", "village_code", "group_code")})
    head_public = dict(current.details.get("head") or {})
    fresh = {**new["details"]["head"], "phone_masked": mask_phone(head["phone"]) if head.get("phone") else None}
    fresh["labour"] = head_public.get("labour", fresh["labour"])
    if head_public != fresh:
        if "head" not in changed:
            changed.append("head")
        values["details"] = {**current.details, "head": fresh}
        values["masked_name"] = fresh["masked_name"]
        values["phone_masked"] = fresh["phone_masked"]
    profile = {**current.profile, **new["profile"]}
    changed += [f"profile.{k}" for k in sorted(profile) if current.profile.get(k) != profile[k]]
    consent = new["consent"]
    if consent != current.consent:
        changed.append("consent")
    if not changed:
        return None
    if any(f in changed for f in ("head.name", "phone")):
        values["pii_enc"] = files.seal(cipher, current.id, {**pii, "head": head})
    values.update(profile=profile, consent=consent, updated_at=now, updated_by=actor)
    version = current.version + 1
    state = {**current._mapping, **values, "version": version}
    return _Update(current.id, current.version, values,
                   {"subject_id": current.id, "version": version, "action": "imported", "actor": actor, "at": now,
                    "changed_fields": changed, "changes": {}},
                   events.updated(**events.subject_fields(state), changed_fields=changed, updated_at=now))


async def purge_finished(db: Database, ttl: timedelta, batch: int = 500) -> int:
    """The jobs finished more than ``ttl`` ago, and the rows they refused, deleted in batches (each
    its own short transaction, so an import's writer never waits long). Returns how many went."""
    before = utcnow() - ttl
    purged = 0
    while True:
        async with db.transaction() as session:
            n = await jobs.purge_finished(session, before, batch)
        purged += n
        if n < batch:
            return purged
