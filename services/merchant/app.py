"""The merchant service's application: its routers, the events it consumes, the disclosure log and
(``run_webhooks``) the webhook worker."""
import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.links import Link
from common.pii import PIICipher
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings
from merchant.access import merchant_gate
from merchant.codes.rotating import RotatingCodes
from merchant.codes.router import router as codes_router
from merchant.disclosures.log import DisclosureLog
from merchant.disclosures.router import router as disclosures_router
from merchant.grade_changes.router import router as grade_changes_router
from merchant.handlers import HANDLERS
from merchant.merchants.router import router as merchants_router
from merchant.offers.router import router as offers_router
from merchant.pos.repository import SQLiteVerifyReader
from merchant.pos.router import FAST_VERIFY
from merchant.pos.router import router as pos_router
from merchant.programmes.router import router as programmes_router
from merchant.redemptions.router import router as redemptions_router
from merchant.settings import MerchantSettings
from merchant.webhooks.router import router as webhooks_router
from merchant.webhooks.worker import WebhookWorker

ISSUE = ("POST", "/v1/households/{subject_id}/codes")
VERIFY = ("POST", "/v1/pos/verify")
REDEEM = ("POST", "/v1/pos/redemptions")
REFUND = ("POST", "/v1/pos/redemptions/{redemption_id}/refund")
RECEIPT = ("GET", "/v1/pos/redemptions/{redemption_id}")
# The POS flow (code → verify → redeem → refund), as OpenAPI links: a client, and the stateful fuzz
# test (tests/reliability/test_stateful.py), chain the real codes and redemption ids.
LINKS = [
    Link("Verify", ISSUE, 201, VERIFY, body={"code": "$response.body#/code"}, description="a till scans the code"),
    Link("Redeem", ISSUE, 201, REDEEM, body={"code": "$response.body#/code"}, description="a purchase with the code"),
    Link("Redeem", VERIFY, 200, REDEEM, body={"code": "$request.body#/code", "offer_id": "$response.body#/offers/0/offer_id"},
         description="the first offer the verify named"),
    Link("Refund", REDEEM, 201, REFUND, {"path.redemption_id": "$response.body#/redemption_id"},
         description="the purchase refunded"),
    Link("Receipt", REDEEM, 201, RECEIPT, {"path.redemption_id": "$response.body#/redemption_id"},
         description="the purchase's redemptions"),
    Link("Refund", REFUND, 200, REFUND, {"path.redemption_id": "$response.body#/redemption_id"},
         description="the same refund again (refused)"),
    Link("Receipt", REFUND, 200, RECEIPT, {"path.redemption_id": "$response.body#/redemption_id"},
         description="the purchase after its refund"),
]


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or MerchantSettings()
    if not isinstance(settings, MerchantSettings):
        raise TypeError("the merchant service runs on MerchantSettings (it holds the code keys)")
    spec = ServiceSpec(
        name="merchant",
        title="Merchant service",
        description="Merchants and offers of the credit business circle (信用商圈), public benefits, household credit codes (一户一码), POS verify and redeem.",
        routers=[pos_router, codes_router, merchants_router, offers_router, programmes_router, redemptions_router,
                 disclosures_router, grade_changes_router, webhooks_router],
        handlers=dict(HANDLERS),
        caller_gate=merchant_gate,
        links=LINKS,
    )
    app = create_service_app(spec, settings)
    app.router.routes.insert(0, FAST_VERIFY)
    # The merchant's own keys: the registry's ID-number keys are never here.
    app.state.code_cipher = PIICipher(settings.code_key)
    app.state.rotating_codes = RotatingCodes(base64.b64decode(settings.rotating_code_key),
                                             timedelta(seconds=settings.rotating_code_seconds))
    # Its own key for the merchants' webhook secrets at rest.
    app.state.webhook_cipher = PIICipher(settings.webhook_secret_key)
    app.state.webhook_worker = None
    base_lifespan = app.router.lifespan_context
    interval = settings.disclosure_flush_seconds

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with base_lifespan(app):
            # The disclosure log's writer lives as long as the database does (it flushes before dispose).
            log = DisclosureLog(app.state.db, interval=interval)
            app.state.disclosures = log
            keyed = app.state.db.keyed.sqlite
            app.state.verify_reader = SQLiteVerifyReader(keyed) if keyed is not None else None
            log.start()
            if settings.run_webhooks:  # a process role: never driven from a request
                worker = WebhookWorker(app.state.db, settings, app.state.webhook_cipher)
                app.state.webhook_worker = worker
                app.state.webhook_task = asyncio.create_task(worker.run(), name="merchant-webhooks")
            try:
                yield
            finally:
                if app.state.webhook_worker is not None:
                    await app.state.webhook_worker.stop()
                    app.state.webhook_task.cancel()
                    await asyncio.gather(app.state.webhook_task, return_exceptions=True)
                await log.close()

    app.router.lifespan_context = lifespan
    return app


DEFINITION = ServiceDefinition(
    name="merchant",
    settings_cls=MerchantSettings,
    create_app=create_app,
    migrations_dir=Path(__file__).with_name("migrations"),
)
