"""Webhooks for merchants (``/v1/webhooks``): a merchant that asked for grade changes
(``POST /v1/grade-changes:subscribe``) registers an HTTPS endpoint and gets them pushed, signed,
retried; rotates the secret; reads the delivery log; redelivers. These POSTs take no
Idempotency-Key: a stored replay would keep the secret in plain text. Registering the same URL
again answers 409 ``webhook-exists`` (rotate to get a new secret)."""
from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query, Request

from common.db import Session
from common.errors import problems
from common.paging import PageLimit
from common.webhooks import service as common
from merchant.access import Pos, pos_merchant
from merchant.webhooks import service
from merchant.webhooks.models import TABLES
from merchant.webhooks.schemas import DeliveryOut, DeliveryPageOut, SecretOut, WebhookCreatedOut, WebhookIn, WebhookListOut

router = APIRouter(prefix="/v1", tags=["webhooks"], responses=problems(401, 403, 422))
NOT_FOUND = problems(404, s404="not-found (another merchant's webhook answers the same)")


@router.post("/webhooks", response_model=WebhookCreatedOut, status_code=201,
             responses=problems(403, 409, 422, s403="not-subscribed (subscribe to grade changes first)",
                                s409="webhook-exists (with webhook_id)", s422="invalid-field (url: not https)"))
async def register(body: WebhookIn, principal: Pos, session: Session, request: Request) -> WebhookCreatedOut:
    """Register an HTTPS endpoint for the grade changes' pushes (the items of ``GET /v1/grade-changes``,
    from now on); the signing secret is in this answer only (``X-CV-Signature: t=..,v1=..``:
    HMAC-SHA256 over ``f"{t}.{body}"``)."""
    return await service.register(session, pos_merchant(principal), body, request.app.state.webhook_cipher,
                                  request.app.state.settings.webhook_allow_http_loopback)


@router.get("/webhooks", response_model=WebhookListOut)
async def webhooks(principal: Pos, session: Session) -> WebhookListOut:
    return WebhookListOut(items=await common.hooks_of(session, TABLES, pos_merchant(principal)))


@router.post("/webhooks/{webhook_id}/secret:rotate", response_model=SecretOut, responses=NOT_FOUND)
async def rotate_secret(webhook_id: str, principal: Pos, session: Session, request: Request) -> SecretOut:
    """A new secret; the old one signs too (a second ``v1=``) until ``previous_secret_valid_until``."""
    overlap = timedelta(hours=request.app.state.settings.webhook_secret_overlap_hours)
    return await common.rotate(session, TABLES, pos_merchant(principal), webhook_id, request.app.state.webhook_cipher,
                                overlap)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveryPageOut, responses=NOT_FOUND)
async def deliveries(webhook_id: str, principal: Pos, session: Session,
                     after: int = Query(default=0, ge=0, description="the last delivery id read"),
                     limit: PageLimit = 100) -> DeliveryPageOut:
    return await common.deliveries(session, TABLES, pos_merchant(principal), webhook_id, after, limit)


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}:redeliver", response_model=DeliveryOut,
             status_code=202, responses=NOT_FOUND)
async def redeliver(webhook_id: str, delivery_id: int, principal: Pos, session: Session,
                    request: Request) -> DeliveryOut:
    """Send a delivery again (the same changes, the same ids), as soon as the worker gets to it."""
    window = timedelta(hours=request.app.state.settings.webhook_retry_hours)
    return await common.redeliver(session, TABLES, pos_merchant(principal), webhook_id, delivery_id, window)
