"""Applying a batch of ops to the read model, in the consumer's transaction.

Handlers only parse their event into an op and queue it on the session. Just before the batch's
transaction commits, the queue is applied at once: the touched subjects are loaded in one query,
their ops applied in event order, and the counter changes written as a few bulk upserts. A batch of
500 events costs a handful of statements instead of several per event, and it all commits (with the
consumer's inbox rows) or none of it does.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from stats.readmodel import repository
from stats.readmodel.regions import RegionOp, save_regions
from stats.readmodel.state import Deltas, Fact, FlowOp, StateOp, SubjectState, apply_op, merge, state_delta

Op = StateOp | FlowOp | RegionOp
_PENDING = "stats.pending_ops"


def queue(session: AsyncSession | Session, op: Op) -> None:
    """Queue ``op`` to be applied when ``session`` commits."""
    session.info.setdefault(_PENDING, []).append(op)


@event.listens_for(Session, "before_commit")
def _apply_pending(session: Session) -> None:
    ops = session.info.pop(_PENDING, None)
    if ops:
        project(session, ops)


class Changes:
    """What a batch does to the read model: new subject states, counter deltas, counted facts."""

    def __init__(self) -> None:
        self.states: dict[str, SubjectState] = {}
        self.touched: set[str] = set()
        self.monthly: dict[str, Deltas] = defaultdict(dict)
        self.facts: dict[str, Fact] = {}
        self.consent_moved: set[str] = set()  # subjects whose consent to statistics changed in the batch
        self.recounted: dict[str, bool] = {}  # stored facts whose ``counted`` changed

    def add(self, month: str, deltas: Deltas) -> None:
        merge(self.monthly[month], deltas)

    def count(self, fact: Fact, sign: int) -> None:
        self.add(fact.month, {cell: {k: sign * v for k, v in fact.figures.items()} for cell in fact.cells})

    def recount(self, key: str, fact: Fact, counted: bool, stored: bool) -> None:
        """Bring a fact in line with its subject's consent: in or out of its own month's figures."""
        if fact.counted == counted:
            return
        self.count(fact, 1 if counted else -1)
        fact.counted = counted
        if stored:
            self.recounted[key] = counted

    @property
    def current(self) -> Deltas:
        """The change of the current counters: the months' changes added up."""
        out: Deltas = {}
        for deltas in self.monthly.values():
            merge(out, deltas)
        return out


def plan(ops: list[StateOp | FlowOp], states: dict[str, SubjectState], counted: set[str]) -> Changes:
    """Pure: the changes ``ops`` make, given the subjects' stored states and the facts already counted."""
    changes = Changes()
    changes.states = dict(states)
    for op in ops:
        if isinstance(op, FlowOp):
            if op.fact_key in counted or op.fact_key in changes.facts:
                continue
            state = changes.states.get(op.subject_id) if op.subject_id else None
            fact = Fact(op.month, op.subject_id, op.cells, op.figures, state is None or state.consent_stats)
            changes.facts[op.fact_key] = fact
            if fact.counted:
                changes.count(fact, 1)
            continue
        old = changes.states.get(op.subject_id) or SubjectState(op.subject_id)
        new = apply_op(old, op)
        if new is None:  # stale: a version already applied
            continue
        changes.states[op.subject_id] = new
        changes.touched.add(op.subject_id)
        changes.add(op.month, state_delta(old, new))
        if old.consent_stats != new.consent_stats:
            changes.consent_moved.add(op.subject_id)
    # The batch's own facts follow their subject's consent as it stands at the end of the batch.
    for key, fact in changes.facts.items():
        if fact.subject_id in changes.consent_moved:
            changes.recount(key, fact, changes.states[fact.subject_id].consent_stats, stored=False)
    return changes


def recount_stored(changes: Changes, stored: dict[str, Fact]) -> None:
    """Pure: the stored facts of subjects whose consent moved, in or out of their months' figures."""
    for key, fact in stored.items():
        if fact.subject_id is not None:
            changes.recount(key, fact, changes.states[fact.subject_id].consent_stats, stored=True)


def project(session: Session, all_ops: list[Op]) -> Changes:
    # Region names feed no counter: written apart (the answers' generation still moves).
    save_regions(session, [op for op in all_ops if isinstance(op, RegionOp)])
    ops = [op for op in all_ops if not isinstance(op, RegionOp)]
    # Flow facts' subjects are loaded too: a fact counts only while its subject consents.
    ids = {op.subject_id for op in ops if op.subject_id is not None}
    keys = {op.fact_key for op in ops if isinstance(op, FlowOp)}
    states = repository.load_states(session, ids)
    counted = repository.counted_facts(session, keys)
    changes = plan(ops, states, counted)
    if changes.consent_moved:
        recount_stored(changes, repository.facts_of(session, changes.consent_moved))
        repository.set_counted(session, changes.recounted)
    repository.save_states(session, [changes.states[i] for i in sorted(changes.touched)])
    repository.add_to_cells(session, changes.current)
    for month in sorted(changes.monthly):
        repository.add_to_monthly(session, month, changes.monthly[month])
    repository.record_facts(session, changes.facts)
    repository.bump_generation(session)
    return changes


