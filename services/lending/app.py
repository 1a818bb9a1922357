"""The lending service's application: its routers and the events it consumes."""
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.links import Link
from common.pii import PIICipher
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings
from lending.applications.router import router as applications_router
from lending.banks.router import router as banks_router
from lending.banks.service import bank_gate
from lending.changes.router import router as changes_router
from lending.credit_lines.router import FAST_CREDIT_LINE
from lending.credit_lines.router import router as credit_lines_router
from lending.disclosures.log import DisclosureLog
from lending.disclosures.registry_client import make_client
from lending.disclosures.router import router as subjects_router
from lending.handlers import HANDLERS
from lending.loans.comparison_router import router as loan_comparison_router
from lending.loans.router import router as loans_router
from lending.policies.rates import RateBook
from lending.policies.router import router as policies_router
from lending.risk.router import router as risk_router
from lending.settings import LendingSettings
from lending.webhooks.router import router as webhooks_router
from lending.webhooks.worker import WebhookWorker


async def start_lending(app: FastAPI) -> None:
    """Made once per process: the benchmark-rate book, the disclosure log writer, the
    registry client, the webhook secrets' cipher and (``run_webhooks``) the webhook worker."""
    app.state.rates = RateBook(app.state.db)
    app.state.disclosures = DisclosureLog(app.state.db)
    app.state.disclosures.start()
    app.state.registry_client = make_client(app.state.settings.registry_url)
    app.state.policy_tasks = set()  # running policy applications (POST /v1/policy-applications)
    settings: LendingSettings = app.state.settings
    app.state.webhook_cipher = PIICipher(settings.webhook_secret_key)
    app.state.webhook_worker = None
    if settings.run_webhooks:
        worker = WebhookWorker(app.state.db, settings, app.state.webhook_cipher)
        app.state.webhook_worker = worker
        app.state.webhook_task = asyncio.create_task(worker.run(), name="lending-webhooks")


LOOKUP = ("POST", "/v1/subjects:lookup")
LINE = ("GET", "/v1/credit-lines/{subject_id}")
LOAN = ("POST", "/v1/loans")
GET_LOAN = ("GET", "/v1/loans/{loan_id}")
REPAY = ("POST", "/v1/loans/{loan_id}/repayments")
APPLY = ("POST", "/v1/applications")
DECIDE = ("POST", "/v1/applications/{application_id}/decision")
SUBJECT = "$response.body#/subject_id"
# The bank's flow (look-up or application → credit line → draw → repayment), as OpenAPI links: a
# client, and the stateful fuzz test (tests/reliability/test_stateful.py), chain the real ids.
LINKS = [
    Link("CreditLine", LOOKUP, 200, LINE, {"path.subject_id": SUBJECT}, description="the subject's line"),
    Link("DrawLoan", LOOKUP, 200, LOAN, body={"subject_id": SUBJECT}, description="a loan for the subject"),
    Link("Apply", LOOKUP, 200, APPLY, body={"subject_id": SUBJECT}, description="an application for the subject"),
    Link("DrawLoan", LINE, 200, LOAN, body={"subject_id": SUBJECT}, description="a loan on this line"),
    Link("Repay", LOAN, 201, REPAY, {"path.loan_id": "$response.body#/id"}, description="a repayment of this loan"),
    Link("Loan", LOAN, 201, GET_LOAN, {"path.loan_id": "$response.body#/id"}, description="the loan"),
    Link("CreditLine", LOAN, 201, LINE, {"path.subject_id": SUBJECT}, description="the line drawn on"),
    Link("Repay", REPAY, 201, REPAY, {"path.loan_id": "$response.body#/loan_id"}, description="another repayment"),
    Link("Loan", REPAY, 201, GET_LOAN, {"path.loan_id": "$response.body#/loan_id"}, description="the loan repaid"),
    Link("Decide", APPLY, 201, DECIDE, {"path.application_id": "$response.body#/id"}, description="the bank's decision"),
    Link("CreditLine", APPLY, 201, LINE, {"path.subject_id": SUBJECT}, description="the applicant's line"),
    Link("Repay", DECIDE, 200, REPAY, {"path.loan_id": "$response.body#/loan_id"}, description="a repayment of the loan granted"),
    Link("CreditLine", DECIDE, 200, LINE, {"path.subject_id": SUBJECT}, description="the applicant's line"),
]


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="lending",
        title="Lending service",
        description="Grade policies, benchmark rates, credit lines (授信), partner banks and products, applications, draw-downs, repayments, defaults, risk sharing and the risk-compensation fund (风险补偿金).",
        routers=[subjects_router, credit_lines_router, loans_router, applications_router, banks_router,
                 policies_router, risk_router, loan_comparison_router, changes_router, webhooks_router],
        handlers=dict(HANDLERS),
        on_startup=[start_lending],
        caller_gate=bank_gate,
        links=LINKS,
    )
    app = create_service_app(spec, settings or LendingSettings())
    app.router.routes.insert(0, FAST_CREDIT_LINE)
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Around the common lifespan: flush the disclosure log and close the registry client
        # before the database is disposed.
        async with started(app):
            try:
                yield
            finally:
                for task in list(app.state.policy_tasks):
                    task.cancel()  # a job left running stays "running"; started again, it redoes nothing already done
                await asyncio.gather(*app.state.policy_tasks, return_exceptions=True)
                if app.state.webhook_worker is not None:
                    await app.state.webhook_worker.stop()
                    app.state.webhook_task.cancel()
                    await asyncio.gather(app.state.webhook_task, return_exceptions=True)
                await app.state.disclosures.close()
                await app.state.registry_client.aclose()

    app.router.lifespan_context = lifespan
    return app


DEFINITION = ServiceDefinition(
    name="lending",
    settings_cls=LendingSettings,
    create_app=create_app,
    migrations_dir=Path(__file__).with_name("migrations"),
    announced_versions=(("credit_lines", "version"),),
)
