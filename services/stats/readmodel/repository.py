"""SQL of the read model's write side (run inside the consumer's transaction, sync API because it
runs in the session's ``before_commit``)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from common.db import insert_for
from stats.readmodel.metrics import ALL_KINDS, COLUMNS
from stats.readmodel.state import STATE_COLUMNS, Cell, Deltas, Fact, SubjectState
from stats.readmodel.tables import cells, facts, meta, monthly, subjects

CHUNK = 500  # ids per IN list
_STATE_COLUMNS = [subjects.c[name] for name in STATE_COLUMNS]  # in the dataclass's field order


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _dialect(session: Session) -> Dialect:
    return session.get_bind().dialect


@dataclass(frozen=True)
class BulkStatement:
    """A write compiled once per dialect to driver SQL, run as one executemany of plain tuples:
    at hundreds of rows per batch, SQLAlchemy's per-row parameter processing costs more than the
    database does."""

    sql: str
    params: tuple[str, ...]

    def run(self, session: Session, rows: list[dict[str, Any]]) -> None:
        if rows:
            session.connection().exec_driver_sql(self.sql, [tuple(r[p] for p in self.params) for r in rows])


def _insert(dialect: Dialect, table: Table) -> Any:
    return insert_for(dialect.name, table)


def _compile(dialect: Dialect, stmt: Any) -> BulkStatement:
    compiled = stmt.compile(dialect=dialect)
    return BulkStatement(str(compiled), tuple(compiled.positiontup or ()))


_COMPILED: dict[tuple[str, str], BulkStatement] = {}


def _once(key: str, dialect: Dialect, build: Callable[[Dialect], BulkStatement]) -> BulkStatement:
    """Compiled once per dialect name (engines come and go; their dialects compile alike)."""
    found = _COMPILED.get((key, dialect.name))
    if found is None:
        found = _COMPILED[(key, dialect.name)] = build(dialect)
    return found


def _upsert_subjects(dialect: Dialect) -> BulkStatement:
    stmt = _insert(dialect, subjects)
    stmt = stmt.on_conflict_do_update(index_elements=[subjects.c.subject_id],
                                      set_={c: stmt.excluded[c] for c in STATE_COLUMNS if c != "subject_id"})
    return _compile(dialect, stmt)


def _add_counters(dialect: Dialect, table_name: str) -> BulkStatement:
    table, keys = (cells, ("region", "kind")) if table_name == cells.name else (monthly, ("region", "kind", "month"))
    stmt = _insert(dialect, table)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c[k] for k in keys],
                                      set_={name: table.c[name] + stmt.excluded[name] for name in COLUMNS})
    return _compile(dialect, stmt)


def _insert_placeholders(dialect: Dialect) -> BulkStatement:
    return _compile(dialect, _insert(dialect, subjects).on_conflict_do_nothing(index_elements=[subjects.c.subject_id]))


def _insert_facts(dialect: Dialect) -> BulkStatement:
    return _compile(dialect, _insert(dialect, facts))


def load_states(session: Session, ids: set[str]) -> dict[str, SubjectState]:
    """The stored states of ``ids``. On PostgreSQL the rows are locked until commit: one subject's
    events come on several topics, so two consumers may hold events of the same subject at once, and
    the second must read what the first wrote (rows made first so that new subjects lock too). SQLite
    serialises writers already."""
    out: dict[str, SubjectState] = {}
    locking = _dialect(session).name == "postgresql"
    ordered = sorted(ids)
    if locking and ordered:
        _once("subjects-placeholder", _dialect(session), _insert_placeholders).run(
            session, [SubjectState(i).as_row() for i in ordered])
    for chunk in _chunks(ordered):
        stmt = select(*_STATE_COLUMNS).where(subjects.c.subject_id.in_(chunk)).order_by(subjects.c.subject_id)
        if locking:
            stmt = stmt.with_for_update()
        for row in session.execute(stmt).tuples():
            out[row[0]] = SubjectState(*row)
    return out


def counted_facts(session: Session, keys: set[str]) -> set[str]:
    out: set[str] = set()
    for chunk in _chunks(sorted(keys)):
        out.update(session.execute(select(facts.c.fact_key).where(facts.c.fact_key.in_(chunk))).scalars())
    return out


def save_states(session: Session, states: list[SubjectState]) -> None:
    _once("subjects", _dialect(session), _upsert_subjects).run(session, [s.as_row() for s in states])


def _metric_row(figures: dict[str, int]) -> dict[str, int]:
    return {name: int(figures.get(name, 0)) for name in COLUMNS}


def with_all_kinds(deltas: Deltas) -> Deltas:
    """The deltas plus their sum over kinds per region (kind ``all``): a region's totals are then
    one row to read, not a sum over its kinds at every request."""
    out: Deltas = dict(deltas)
    for (region, level, _kind), figures in deltas.items():
        target = out.setdefault((region, level, ALL_KINDS), {})
        for name, value in figures.items():
            target[name] = target.get(name, 0) + value
    return out


def add_to_cells(session: Session, deltas: Deltas) -> None:
    # Sorted by key so concurrent consumers (several partitions) lock rows in one order: no deadlock.
    rows = [{"region": region, "kind": kind, "level": level, **_metric_row(figures)}
            for (region, level, kind), figures in sorted(with_all_kinds(deltas).items()) if any(figures.values())]
    _once(cells.name, _dialect(session), lambda d: _add_counters(d, cells.name)).run(session, rows)


def add_to_monthly(session: Session, month: str, deltas: Deltas) -> None:
    rows = [{"region": region, "kind": kind, "month": month, "level": level, **_metric_row(figures)}
            for (region, level, kind), figures in sorted(deltas.items()) if any(figures.values())]
    _once(monthly.name, _dialect(session), lambda d: _add_counters(d, monthly.name)).run(session, rows)


def record_facts(session: Session, new: dict[str, Fact]) -> None:
    rows = [{"fact_key": k, "month": f.month, "subject_id": f.subject_id, "counted": f.counted,
             "detail": orjson.dumps({"cells": f.cells, "figures": f.figures}).decode()} for k, f in sorted(new.items())]
    _once(facts.name, _dialect(session), _insert_facts).run(session, rows)


def facts_of(session: Session, subject_ids: set[str]) -> dict[str, Fact]:
    """The stored facts of ``subject_ids`` (to recount when their consent to statistics moves)."""
    out: dict[str, Fact] = {}
    for chunk in _chunks(sorted(subject_ids)):
        stmt = (select(facts.c.fact_key, facts.c.month, facts.c.subject_id, facts.c.counted, facts.c.detail)
                .where(facts.c.subject_id.in_(chunk)).order_by(facts.c.fact_key))
        for key, month, subject_id, counted, detail in session.execute(stmt).tuples():
            raw = orjson.loads(detail)
            cells: tuple[Cell, ...] = tuple((c[0], c[1], c[2]) for c in raw["cells"])
            out[key] = Fact(month, subject_id, cells, raw["figures"], bool(counted))
    return out


def set_counted(session: Session, counted: dict[str, bool]) -> None:
    if counted:
        stmt = update(facts).where(facts.c.fact_key == bindparam("key")).values(counted=bindparam("counted"))
        session.execute(stmt, [{"key": k, "counted": v} for k, v in sorted(counted.items())])


def bump_generation(session: Session) -> None:
    """Last statement of a batch, so the row is locked only while the batch commits."""
    session.execute(update(meta).where(meta.c.key == "generation").values(value=meta.c.value + 1))
