"""Schemathesis's stateful mode over the bank and POS flows: sequences of requests built from the
services' OpenAPI links (``common.links``; lending's and merchant's ``LINKS``), so each step uses
the real ids of the step before (look-up or application → credit line → loan → repayment; code →
verify → redeem → refund). Every answer: no 5xx, every 4xx a problem document; and after every step
the books hold: no line is drawn past its amount (the available amount is never negative) and a
line's drawn balance is what its active loans owe; a refund gives back exactly what its redemption
took, once, and an offer's spent budget is what its standing redemptions took.

The services run in-process on the test's event loop (with the registry behind lending's look-up,
fed by the registry's own events); the state machine runs in a worker thread and hands each request
to the loop. ``CV_FUZZ_SCENARIOS`` (default 50) sequences of up to ``CV_FUZZ_STEPS`` (default 10)
steps per flow."""
from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from copy import deepcopy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from hypothesis.stateful import Bundle
from schemathesis.core import NOT_SET
from schemathesis.core.transport import Response
from schemathesis.engine.errors import is_inconsistent_replay
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.stateful.state_machine import StepInput, normalize_name
from schemathesis.specs.openapi.stateful import _step_case_strategy, is_root_allowed, transition
from sqlalchemy import func, select

from common.auth import Role
from common.errors import PROBLEM_JSON
from common.events import Event, apply_events
from common.links import Link, add_links
from common.tables import outbox_events
from lending.app import LINKS as BANK_LINKS
from lending.credit_lines.models import CreditLine
from lending.handlers import HANDLERS as LENDING_HANDLERS
from lending.loans.models import Loan
from merchant.app import LINKS as POS_LINKS
from merchant.handlers import HANDLERS as MERCHANT_HANDLERS
from merchant.offers.models import offer_household_usage, offers
from merchant.redemptions.models import RECORDED, redemptions
from rating.ratings import events as rating_events
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.registry.support import VILLAGE_A, household, id_number, seed_regions

SCENARIOS = int(os.environ.get("CV_FUZZ_SCENARIOS", "50"))
STEPS = int(os.environ.get("CV_FUZZ_STEPS", "10"))
RANDOM = os.environ.get("CV_FUZZ_RANDOM") == "1"
# The county's households: their grades, and whether they consented to lending and merchant use.
HOUSEHOLDS = [(1, "AAA", True), (2, "AA", True), (3, "A", True), (4, "B", True), (5, "AA", False)]


def flow_schema(raw: dict[str, Any], links: list[Link]) -> dict[str, Any]:
    """The app's OpenAPI cut down to the flow's operations (what the links join)."""
    keep = {op for link in links for op in (link.source, link.target)}
    out = deepcopy(raw)
    out["paths"] = {path: {m: op for m, op in ops.items() if (m.upper(), path) in keep}
                    for path, ops in out["paths"].items() if any((m.upper(), path) in keep for m in ops)}
    return out


def narrow(raw: dict[str, Any], component: str, field: str, values: list[Any] | None) -> None:
    """One body field drawn from ``values`` (None: the field dropped). Where a flow starts from
    nothing (an ID number, a household), or a value decides only whether the chain goes on (a rate
    under the cap, one of ``offer_id``/``offer_ids``), the generated requests use the county's."""
    props = raw["components"]["schemas"][component]["properties"]
    if values is None:
        props.pop(field)
    else:
        props[field] = {"enum": values}


def narrow_path(raw: dict[str, Any], path: str, method: str, name: str, values: list[str]) -> None:
    for param in raw["paths"][path][method]["parameters"]:
        if param["name"] == name:
            param["schema"] = {"type": "string", "enum": values}


def with_roots(schema: Any, labels: list[str]) -> type:
    """The schema's state machine, where a sequence starts only at ``labels`` (``POST /v1/...``),
    with the county's ids from the narrowed schema (positive data; the rule built as schemathesis
    builds its own roots): every other step follows a link. Schemathesis would start anywhere it
    expects generated data to succeed (a repayment of a random loan id: a 404 the plain fuzz test
    already sends), and not at a household code's issue (its ``subject_id`` has no producer)."""
    base = schema.as_state_machine()
    extra: dict[str, Any] = {name: None for name in base.root_rules}  # hides schemathesis's own roots
    for label in labels:
        operation = next(r.ok() for r in schema.get_all_operations() if r.ok().label == label)
        name = normalize_name(f"COUNTY -> {label}")
        extra[name] = transition(name=name, target=Bundle("catch_all"), precondition=is_root_allowed(label),
                                 input=_step_case_strategy(operation, [GenerationMode.POSITIVE],
                                                           feedback=NO_FEEDBACK).map(StepInput.initial))
    return type("CountyFlow", (base,), {**extra, "root_rules": frozenset(k for k, v in extra.items() if v),
                                        "_root_labels": frozenset(labels)})


class Driver:
    """Runs the state machine (in a worker thread) against a service on the test's event loop."""

    def __init__(self, svc: RunningService, loop: asyncio.AbstractEventLoop,
                 headers: Callable[[Case], dict[str, str]],
                 books: Callable[[Case, httpx.Response], Awaitable[list[str]]]) -> None:
        self.svc, self.loop, self.headers, self.books = svc, loop, headers, books
        self.steps = 0
        self.statuses: dict[str, set[int]] = {}
        self.failures: list[str] = []

    def on_loop(self, coro: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)  # type: ignore[arg-type]

    def machine(self, raw: dict[str, Any], roots: list[str]) -> Any:
        schema = schemathesis.openapi.from_dict(raw)
        driver = self

        class Flow(with_roots(schema, roots)):  # type: ignore[misc]
            def call(self, case: Case, **kwargs: Any) -> Response:
                kw = case.as_transport_kwargs(base_url="http://test", headers=driver.headers(case))
                request: dict[str, Any] = {"params": kw.get("params"), "headers": kw.get("headers")}
                for name in ("json", "data", "content"):
                    if kw.get(name) is not None:  # raw bytes go as content (httpx's data is for forms)
                        request["content" if isinstance(kw[name], bytes | str) and name == "data" else name] = kw[name]
                r = driver.on_loop(driver.svc.client.request(kw["method"], kw["url"], **request))
                driver.steps += 1
                driver.statuses.setdefault(f"{case.method} {case.operation.path}", set()).add(r.status_code)
                self.last = r
                return Response.from_httpx(r, verify=True)

            def validate_response(self, response: Response, case: Case, additional_checks: Any = None,
                                  **kwargs: Any) -> None:
                r: httpx.Response = self.last
                body = "" if case.body is NOT_SET else f" {case.body!r:.300}"
                where = f"{case.method} {case.formatted_path}{body} → {r.status_code} {r.text[:300]}"
                broken = driver.on_loop(driver.books(case, r))
                if r.status_code >= 500:
                    broken.append("a server error")
                elif r.status_code >= 400 and not r.headers.get("content-type", "").startswith(PROBLEM_JSON):
                    broken.append(f"a {r.status_code} that is not a problem document")
                if broken:  # kept by the driver too: a replay that cannot reproduce it does not lose it
                    driver.failures.append(where + "\n  " + "\n  ".join(broken))
                    raise AssertionError(driver.failures[-1])

        return Flow

    async def run(self, raw: dict[str, Any], roots: tuple[str, ...] = ()) -> None:
        """Up to ``SCENARIOS`` sequences; every failure found is reported. The services keep their
        state from one sequence to the next (loans drawn, codes re-issued), so Hypothesis may find
        that replaying a sequence answers differently and stop (``Flaky``): as schemathesis's own
        runner does, that ends a run without a failure, and a new run goes on (at most three)."""
        machine = self.machine(raw, list(roots))
        options = settings(max_examples=SCENARIOS, stateful_step_count=STEPS, deadline=None, database=None,
                           phases=[Phase.generate], suppress_health_check=list(HealthCheck), derandomize=not RANDOM)
        for _ in range(3):
            try:
                await asyncio.to_thread(machine.run, settings=options)
                break
            except Exception as exc:
                if self.failures:  # reported below, whatever Hypothesis made of its replay
                    break
                if not (isinstance(exc, Flaky) or is_inconsistent_replay(exc)):
                    raise
        assert not self.failures, "\n".join(self.failures[:10])


async def registry_events(registry: RunningService) -> list[Event]:
    async with registry.db.transaction(write=False) as session:
        rows = (await session.execute(select(outbox_events.c.payload).order_by(outbox_events.c.id))).scalars().all()
    return [Event.from_json(bytes(p)) for p in rows]


async def apply(svc: RunningService, handlers: Any, events: list[Event]) -> None:
    """Each event as the consumer applies it (the service's own handler, one transaction)."""
    for event in events:
        if event.type in handlers:
            async with svc.db.transaction() as session:
                await apply_events(handlers[event.type], session, [event])


def graded(subject_id: str, grade: str) -> Event:
    """rating-changed, by rating's own builder."""
    return rating_events.rating_changed(
        subject_id=subject_id, kind="household", county=VILLAGE_A[:6], town=VILLAGE_A[:9], village=VILLAGE_A,
        old_grade=None, new_grade=grade, score=Decimal(85), version=1, effective_at=datetime.now(UTC),
        reason="publication: final after publication", vetoed=False, indicator_system_version=1)


async def county(keys: Keys, registry: RunningService) -> dict[str, str]:
    """The households registered at the registry (its events are what lending and merchant hear),
    with the grade each is given: subject id → grade."""
    await seed_regions(registry, keys)
    officer = keys.headers(Role.officer, region="341181")
    grades = {}
    for seq, grade, consents in HOUSEHOLDS:
        scopes = ["rating", "lending", "merchant"] if consents else ["rating"]
        body = household(seq, consent={"given": True, "date": "2026-03-01", "scopes": scopes})
        r = await registry.client.post("/v1/subjects", json=body, headers={**officer, "Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 201, r.text
        grades[r.json()["id"]] = grade
    return grades


@pytest.mark.slow
async def test_the_bank_flow_chains_real_ids_and_never_overdraws(databases: DatabaseFactory, backend: str,
                                                                 keys: Keys) -> None:
    async with start_service("registry", await databases.create("registry", backend), keys) as registry, \
            start_service("lending", await databases.create("lending", backend), keys) as lending:
        grades = await county(keys, registry)
        await apply(lending, LENDING_HANDLERS, await registry_events(registry))
        await apply(lending, LENDING_HANDLERS, [graded(s, grade) for s, grade in grades.items()])
        await lending.app.state.registry_client.aclose()  # lending's look-up asks this registry
        lending.app.state.registry_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=registry.app),
                                                              base_url="http://registry")
        admin = keys.headers(Role.admin)
        assert (await lending.client.post("/v1/banks", json={"id": "rcb", "name": "天长农商银行"},
                                          headers=admin)).status_code == 201
        bank = keys.headers(Role.bank, bank_id="rcb")

        async def books(case: Case, r: httpx.Response) -> list[str]:
            broken = []
            async with lending.db.transaction(write=False) as session:
                lines = (await session.execute(select(CreditLine))).scalars().all()
                owed: dict[str, int] = {row[0]: int(row[1]) for row in (await session.execute(
                    select(Loan.subject_id, func.sum(Loan.outstanding_fen))
                    .where(Loan.status == "active").group_by(Loan.subject_id))).all()}
                loans = (await session.execute(select(Loan))).scalars().all()
            for line in lines:
                if not 0 <= line.drawn_fen <= line.line_fen:
                    broken.append(f"line {line.subject_id}: drawn {line.drawn_fen} of {line.line_fen}")
                if line.drawn_fen != owed.get(line.subject_id, 0):
                    broken.append(f"line {line.subject_id}: drawn {line.drawn_fen}, its loans owe {owed.get(line.subject_id)}")
            broken += [f"loan {loan.id}: owes {loan.outstanding_fen} of {loan.amount_fen}" for loan in loans
                       if not 0 <= loan.outstanding_fen <= loan.amount_fen]
            if r.status_code < 400 and case.operation.path != "/v1/credit-lines/{subject_id}":
                subject = r.json().get("subject_id") if isinstance(r.json(), dict) else None
                if subject:  # what a bank is shown after the step
                    shown = await lending.client.get(f"/v1/credit-lines/{subject}", headers=admin)
                    if shown.status_code == 200 and Decimal(shown.json()["available"]) < 0:
                        broken.append(f"line {subject}: available {shown.json()['available']}")
            return broken

        raw = flow_schema((await lending.client.get("/openapi.json")).json(), BANK_LINKS)
        narrow(raw, "LookupIn", "id_number", [id_number(seq) for seq, _, _ in HOUSEHOLDS] + [id_number(99)])
        narrow(raw, "LoanIn", "annual_rate", ["3.60", "4.20", "9.90"])
        narrow(raw, "LoanIn", "amount", ["1000.00", "30000.00", "100000.00", "500000.00"])
        narrow(raw, "LoanIn", "product", None)
        narrow(raw, "RepaymentIn", "amount", ["500.00", "30000.00", "600000.00"])
        narrow(raw, "RepaymentIn", "repaid_at", None)
        narrow(raw, "ApplicationIn", "bank_id", ["rcb"])
        narrow(raw, "ApplicationIn", "product", None)
        narrow(raw, "ApplicationIn", "amount", ["2000.00", "80000.00", "400000.00"])
        narrow(raw, "DecisionIn", "annual_rate", ["3.80", "9.90"])
        driver = Driver(lending, asyncio.get_running_loop(),
                        lambda case: {**bank, "Idempotency-Key": uuid.uuid4().hex}, books)
        await driver.run(raw, roots=("POST /v1/subjects:lookup",))
        # The chains reached the end of the flow: loans were made and repaid.
        assert 201 in driver.statuses.get("POST /v1/loans", set()), driver.statuses
        assert 201 in driver.statuses.get("POST /v1/loans/{loan_id}/repayments", set()), driver.statuses


@pytest.mark.slow
async def test_the_pos_flow_chains_real_codes_and_a_refund_never_exceeds_its_redemption(
        databases: DatabaseFactory, backend: str, keys: Keys) -> None:
    async with start_service("registry", await databases.create("registry", backend), keys) as registry, \
            start_service("merchant", await databases.create("merchant", backend), keys) as merchant:
        grades = await county(keys, registry)
        await apply(merchant, MERCHANT_HANDLERS, await registry_events(registry))
        await apply(merchant, MERCHANT_HANDLERS, [graded(s, grade) for s, grade in grades.items()])
        admin = keys.headers(Role.admin)
        r = await merchant.client.post("/v1/merchants", headers=admin, json={
            "name": "供销超市", "kind": "shop", "category": "grocery", "region_code": VILLAGE_A})
        assert r.status_code == 201, r.text
        shop = r.json()["id"]
        for rule, terms in (({"kind": "percent", "percent": "10"}, {"budget_total": "200.00", "per_household_limit": 3}),
                            ({"kind": "spend_save", "threshold": "100", "save": "15"}, {"budget_daily": "45.00"})):
            r = await merchant.client.post(f"/v1/merchants/{shop}/offers", headers=admin, json={
                "title": "信用户优惠", "rule": rule, "eligible_grades": ["AAA", "AA", "A"], **terms})
            assert r.status_code == 201, r.text
        pos = keys.headers(Role.merchant, merchant_id=shop)
        taken: dict[str, Decimal] = {}  # redemption → the discount it took, as the till was told

        async def books(case: Case, r: httpx.Response) -> list[str]:
            broken = []
            path = case.operation.path
            if path == "/v1/pos/redemptions" and r.status_code == 201:
                taken[r.json()["redemption_id"]] = Decimal(r.json()["discount"])
            if path.endswith("/refund") and r.status_code == 200:
                given, was = Decimal(r.json()["discount_returned"]), taken.get(r.json()["redemption_id"])
                if was is None or given != was:
                    broken.append(f"refund of {r.json()['redemption_id']} gave back {given}, it took {was}")
            async with merchant.db.transaction(write=False) as session:
                standing: dict[str, int] = {row[0]: int(row[1]) for row in (await session.execute(
                    select(redemptions.c.offer_id, func.sum(redemptions.c.discount_fen))
                    .where(redemptions.c.status == RECORDED).group_by(redemptions.c.offer_id))).all()}
                for offer in (await session.execute(select(offers))).all():
                    if offer.spent_fen != standing.get(offer.id, 0) or offer.spent_fen < 0:
                        broken.append(f"offer {offer.id}: spent {offer.spent_fen}, standing {standing.get(offer.id)}")
                    if offer.budget_total_fen is not None and offer.spent_fen > offer.budget_total_fen:
                        broken.append(f"offer {offer.id}: spent {offer.spent_fen} over {offer.budget_total_fen}")
                broken += [f"offer {u.offer_id} household {u.subject_id}: {u.uses} uses"
                           for u in (await session.execute(select(offer_household_usage))).all() if u.uses < 0]
            return broken

        raw = flow_schema((await merchant.client.get("/openapi.json")).json(), POS_LINKS)
        narrow_path(raw, "/v1/households/{subject_id}/codes", "post", "subject_id", list(grades))
        narrow(raw, "RedeemIn", "offer_ids", None)
        narrow(raw, "RedeemIn", "bill_amount", ["0.00", "88.00", "150.00", "2000.00"])
        narrow(raw, "RedeemIn", "quantity", [1])

        def headers(case: Case) -> dict[str, str]:
            who = admin if case.operation.path.startswith("/v1/households/") else pos
            return {**who, "Idempotency-Key": uuid.uuid4().hex}

        driver = Driver(merchant, asyncio.get_running_loop(), headers, books)
        await driver.run(raw, roots=("POST /v1/households/{subject_id}/codes",))
        assert 201 in driver.statuses.get("POST /v1/pos/redemptions", set()), driver.statuses
        assert 200 in driver.statuses.get("POST /v1/pos/redemptions/{redemption_id}/refund", set()), driver.statuses


def test_a_link_to_an_operation_the_app_lacks_fails_loudly() -> None:
    """A renamed path or status breaks the document at once, not the stateful test's chains quietly."""
    schema: dict[str, Any] = {"paths": {"/v1/loans": {"post": {"responses": {"201": {}}}}}}
    with pytest.raises(ValueError, match="no operation GET /v1/loans/"):
        add_links(schema, [Link("Loan", ("POST", "/v1/loans"), 201, ("GET", "/v1/loans/{loan_id}"))])
    with pytest.raises(ValueError, match="has no 200 response"):
        add_links(schema, [Link("Again", ("POST", "/v1/loans"), 200, ("POST", "/v1/loans"))])
    add_links(schema, [Link("Again", ("POST", "/v1/loans"), 201, ("POST", "/v1/loans"), body={"subject_id": "$response.body#/subject_id"})])
    assert schema["paths"]["/v1/loans"]["post"]["responses"]["201"]["links"] == {
        "Again": {"operationRef": "#/paths/~1v1~1loans/post", "requestBody": {"subject_id": "$response.body#/subject_id"}}}
