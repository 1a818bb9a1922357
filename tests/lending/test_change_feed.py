"""The change feed (issue 16): every change to a line that a bank acts on (granted, raised, cut,
frozen, unfrozen, closed ...) is recorded with the change itself, numbered in commit order; a bank
reads the changes of the households it has a relationship with, resumably, each read logged as a
disclosure; a household it has none with stays invisible. Changes come from lending's own paths:
rating's ``rating-changed`` (built by rating's builder) through lending's handler, a default
through the loans route."""
from __future__ import annotations

import asyncio
import contextlib
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from common.auth import Role
from common.clock import beijing_today
from common.db import utcnow
from common.events import apply_events
from lending.changes.models import FeedChange
from lending.changes.service import record_expiries
from lending.handlers import HANDLERS
from tests.harness import Keys, RunningService, eventually
from tests.lending.conftest import apply, bank, rating_changed


async def feed(svc: RunningService, keys: Keys, bank_id: str, after: int = 0, limit: int = 100) -> dict[str, Any]:
    r = await svc.client.get(f"/v1/credit-line-changes?after={after}&limit={limit}", headers=bank(keys, bank_id))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def read_all(svc: RunningService, keys: Keys, bank_id: str, limit: int) -> list[dict[str, Any]]:
    """The whole feed a page at a time, following ``next`` as a client would."""
    items: list[dict[str, Any]] = []
    url = f"/v1/credit-line-changes?after=0&limit={limit}"
    for _ in range(50):
        page = (await svc.client.get(url, headers=bank(keys, bank_id))).json()
        items += page["items"]
        if page["next_after"] == page["latest"]:
            return items
        url = page["next"]
    raise AssertionError("the feed never caught up")


async def look_up(svc: RunningService, keys: Keys, bank_id: str, subject: str) -> None:
    """A bank reads a household's line (shown its grade: a logged disclosure, written at once)."""
    r = await svc.client.get(f"/v1/credit-lines/{subject}", headers=bank(keys, bank_id))
    assert r.status_code == 200, r.text
    await svc.app.state.disclosures.flush()


async def feed_rows(svc: RunningService) -> list[FeedChange]:
    async with svc.db.transaction(write=False) as session:
        return list((await session.execute(select(FeedChange).order_by(FeedChange.id))).scalars().all())


async def test_a_bank_reads_the_changes_of_its_households_only(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-1", "A", 1))
    await apply(lending, rating_changed("hh-2", "AA", 1))
    await apply(lending, rating_changed("hh-3", "AAA", 1))  # nobody's customer
    await look_up(lending, keys, "rcb", "hh-1")
    r = await lending.client.post("/v1/loans", headers=bank(keys, "rcb", "loan-hh2"), json={
        "subject_id": "hh-2", "amount": "1000.00", "annual_rate": "4.00", "term_months": 12})
    assert r.status_code == 201, r.text
    await apply(lending, rating_changed("hh-1", "AAA", 2, old_grade="A"))  # raised
    await apply(lending, rating_changed("hh-1", "AAA", 3, old_grade="AAA"))  # renewed: not in the feed
    await apply(lending, rating_changed("hh-1", "AA", 4, old_grade="AAA"))  # cut
    await apply(lending, rating_changed("hh-1", "B", 5, old_grade="AA"))  # frozen
    await apply(lending, rating_changed("hh-1", "AA", 6, old_grade="B"))  # unfrozen
    await apply(lending, rating_changed("hh-3", "C", 2, old_grade="AAA"))  # frozen, not rcb's
    r = await lending.client.post(f"/v1/loans/{r.json()['id']}/default", json={}, headers=bank(keys, "rcb", "d-hh2"))
    assert r.status_code == 201, r.text

    rows = await feed_rows(lending)
    assert [row.id for row in rows] == list(range(1, len(rows) + 1)), "dense ids, in commit order"
    assert [(row.subject_id, row.kind) for row in rows] == [
        ("hh-1", "granted"), ("hh-2", "granted"), ("hh-3", "granted"), ("hh-1", "raised"), ("hh-1", "cut"),
        ("hh-1", "frozen"), ("hh-1", "unfrozen"), ("hh-3", "frozen"), ("hh-2", "frozen")]

    page = await feed(lending, keys, "rcb")
    seen = [(c["subject_id"], c["kind"], c["old_limit"], c["limit"], c["grade"]) for c in page["items"]]
    assert seen == [("hh-1", "granted", "0.00", "100000.00", "A"), ("hh-2", "granted", "0.00", "300000.00", "AA"),
                    ("hh-1", "raised", "100000.00", "500000.00", "AAA"),
                    ("hh-1", "cut", "500000.00", "300000.00", "AA"), ("hh-1", "frozen", "300000.00", "300000.00", "B"),
                    ("hh-1", "unfrozen", "300000.00", "300000.00", "AA"),
                    ("hh-2", "frozen", "300000.00", "300000.00", "AA")]
    assert page["next_after"] == page["latest"] == len(rows)
    assert page["next"] == f"/v1/credit-line-changes?after={len(rows)}&limit=100"

    # Resumable: two at a time, following next, the same changes once each.
    paged = await read_all(lending, keys, "rcb", limit=2)
    assert [c["id"] for c in paged] == [c["id"] for c in page["items"]]
    # From where it stopped: nothing new, then only what is new.
    assert (await feed(lending, keys, "rcb", after=page["next_after"]))["items"] == []
    await apply(lending, rating_changed("hh-1", "AAA", 7, old_grade="AA"))
    new = (await feed(lending, keys, "rcb", after=page["next_after"]))["items"]
    assert [(c["id"], c["kind"]) for c in new] == [(len(rows) + 1, "raised")]

    # A bank without a relationship sees nothing, though its cursor moves on.
    other = await feed(lending, keys, "abc")
    assert other["items"] == [] and other["next_after"] == other["latest"]

    # Every change shown is a logged disclosure; the feed's own reads make no relationship.
    await lending.app.state.disclosures.flush()
    log = (await lending.client.get("/v1/disclosures?bank_id=rcb&limit=1000", headers=keys.headers(Role.admin))).json()
    shown = [(d["subject_id"], d["grade"]) for d in log if d["channel"] == "change-feed"]
    assert ("hh-1", "A") in shown and ("hh-2", "AA") in shown and not [s for s, _ in shown if s == "hh-3"]


async def test_bad_cursor_and_limit_are_problems_naming_the_field(lending: RunningService, keys: Keys) -> None:
    for query, field in (("after=-1", "query.after"), ("after=abc", "query.after"), ("limit=0", "query.limit"),
                         ("limit=100000", "query.limit")):
        r = await lending.client.get(f"/v1/credit-line-changes?{query}", headers=bank(keys, "rcb"))
        assert r.status_code == 422, (query, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == field
    r = await lending.client.get("/v1/credit-line-changes", headers=keys.headers(Role.officer, region="341181"))
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")


async def test_a_rolled_back_change_leaves_no_trace_in_the_feed(lending: RunningService) -> None:
    await apply(lending, rating_changed("hh-1", "A", 1))
    with pytest.raises(RuntimeError):
        async with lending.db.transaction() as session:
            await apply_events(HANDLERS["rating-changed"], session, [rating_changed("hh-2", "AA", 1)])
            raise RuntimeError("the rest of the batch failed")
    await apply(lending, rating_changed("hh-2", "AAA", 1))
    rows = await feed_rows(lending)
    assert [(r.id, r.subject_id, r.grade) for r in rows] == [(1, "hh-1", "A"), (2, "hh-2", "AAA")]


async def test_a_line_whose_term_ended_is_said_expired_once_per_term(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-1", "AA", 1, effective_at=utcnow() - timedelta(days=2000)))
    await apply(lending, rating_changed("hh-2", "AA", 1))  # in term
    for _ in range(2):  # the worker's sweep, twice: said once
        async with lending.db.transaction() as session:
            await record_expiries(session, beijing_today())
    said = [(r.subject_id, r.kind, r.line_version) for r in await feed_rows(lending)]
    assert said == [("hh-1", "granted", 1), ("hh-2", "granted", 1), ("hh-1", "expired", 1)]

    # Renewed, its new term runs out too (seen from a day after it): said again, once; hh-2's as well.
    await apply(lending, rating_changed("hh-1", "AA", 2, old_grade="AA"))
    line = (await lending.client.get("/v1/credit-lines/hh-1", headers=bank(keys, "rcb"))).json()
    after_term = date.fromisoformat(line["valid_until"]) + timedelta(days=1)
    for _ in range(2):
        async with lending.db.transaction() as session:
            await record_expiries(session, after_term)
    said = [(r.subject_id, r.kind, r.line_version) for r in await feed_rows(lending)]
    assert said[3:] == [("hh-1", "expired", 2), ("hh-2", "expired", 1)]
    await lending.app.state.disclosures.flush()
    kinds = [c["kind"] for c in (await feed(lending, keys, "rcb"))["items"]]
    assert kinds == ["granted", "expired", "expired"], "rcb read hh-1's line: it hears of hh-1 only"


async def test_ids_follow_commit_order_so_a_reader_never_skips_one(lending: RunningService, keys: Keys,
                                                                     backend: str) -> None:
    """Two writers at once (PostgreSQL): the one that started first but commits last gets the later
    id, so a reader that already read past the other's id still finds it."""
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: commit order is start order")
    async with contextlib.AsyncExitStack() as stack:
        slow = await stack.enter_async_context(lending.db.transaction())
        await apply_events(HANDLERS["rating-changed"], slow, [rating_changed("hh-1", "A", 1)])
        await asyncio.wait_for(apply(lending, rating_changed("hh-2", "AA", 1)), 10)  # starts later, commits first
        assert [(r.id, r.subject_id) for r in await feed_rows(lending)] == [(1, "hh-2")]
    assert [(r.id, r.subject_id) for r in await feed_rows(lending)] == [(1, "hh-2"), (2, "hh-1")]


async def test_a_policy_applied_is_said_as_what_it_did_to_each_line(lending: RunningService, keys: Keys) -> None:
    admin = keys.headers(Role.admin)
    for subject, grade in (("hh-1", "A"), ("hh-2", "AA"), ("hh-3", "AAA")):
        await apply(lending, rating_changed(subject, grade, 1))
    r = await lending.client.post("/v1/policies", headers=admin, json={"validity_months": 12, "rows": [
        {"kind": "household", "grade": "A", "line_amount": "150000.00", "max_markup": "0.35"},
        {"kind": "household", "grade": "AA", "line_amount": "200000.00", "max_markup": "0.25"}]})
    assert r.status_code == 201, r.text
    r = await lending.client.post("/v1/policy-applications", headers=admin)
    assert r.status_code == 202, r.text

    async def finished() -> bool:
        job = (await lending.client.get(f"/v1/policy-applications/{r.json()['id']}", headers=admin)).json()
        return job["status"] == "done"  # type: ignore[no-any-return]

    await eventually(finished, timeout=20)
    said = [(row.subject_id, row.kind, row.old_limit_fen, row.limit_fen) for row in await feed_rows(lending)][3:]
    assert said == [("hh-1", "raised", 10_000_000, 15_000_000), ("hh-2", "cut", 30_000_000, 20_000_000),
                    ("hh-3", "frozen", 50_000_000, 50_000_000)]
