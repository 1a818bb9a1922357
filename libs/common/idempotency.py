"""``Idempotency-Key`` for POST routes, kept in the service's own database.

The key is claimed in a short transaction of its own (so a second request with the same key sees
it in flight and gets 409); the response is stored in the request's own transaction, so it commits
with the change it describes. A replay returns that stored response; the same key with another
body gets 422. If the request fails, the claim is released and the key can be used again.
"""
from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request, Response
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import ANY_ROLE, AUTH_ROLES_ATTR, Principal, authenticate
from common.db import Database, Session, utcnow
from common.errors import ProblemError
from common.tables import idempotency_keys as keys

IN_FLIGHT, DONE = "in_flight", "done"
# A claim whose request died with its process is taken over after this long.
STALE_AFTER = timedelta(seconds=60)


class IdempotentRequest:
    def __init__(self, db: Database, caller: str, key: str | None, route: str, request_hash: str) -> None:
        self.db = db
        self.caller = caller
        self.key = key
        self.route = route
        self.request_hash = request_hash
        self.replay: Response | None = None

    async def claim(self) -> None:
        if self.key is None:
            return
        now = utcnow()
        row = {"caller": self.caller, "key": self.key, "route": self.route, "request_hash": self.request_hash,
               "state": IN_FLIGHT, "created_at": now}
        try:
            async with self.db.transaction() as session:
                await session.execute(insert(keys).values(**row))
            return
        except IntegrityError:
            pass
        async with self.db.transaction() as session:
            existing = (await session.execute(select(keys).where(
                keys.c.caller == self.caller, keys.c.key == self.key))).one_or_none()
            if existing is None:  # released in between: try once more
                await session.execute(insert(keys).values(**row))
                return
            if existing.request_hash != self.request_hash or existing.route != self.route:
                raise ProblemError(422, "Idempotency key reused", "this Idempotency-Key was used with "
                                   "another request body", type="idempotency-key-reused",
                                   errors=[{"field": "Idempotency-Key", "message": "used with another body"}])
            if existing.state == DONE:
                self.replay = Response(existing.response_body, status_code=existing.response_status,
                                       media_type="application/json", headers={"Idempotent-Replayed": "true"})
                return
            if now - existing.created_at < STALE_AFTER:
                raise ProblemError(409, "Request in flight", "a request with this Idempotency-Key is "
                                   "still being processed", type="idempotency-key-in-flight")
            await session.execute(update(keys).where(keys.c.caller == self.caller, keys.c.key == self.key)
                                  .values(created_at=now))

    async def remember(self, session: AsyncSession, status: int, body: Any) -> Response:
        """Store the response in the request's transaction and return it."""
        payload = orjson.dumps(body, default=str)
        if self.key is not None:
            await session.execute(update(keys).where(keys.c.caller == self.caller, keys.c.key == self.key)
                                  .values(state=DONE, response_status=status, response_body=payload))
        return Response(payload, status_code=status, media_type="application/json")

    async def release(self) -> None:
        if self.key is None:
            return
        async with self.db.transaction() as session:
            await session.execute(delete(keys).where(keys.c.caller == self.caller, keys.c.key == self.key,
                                                     keys.c.state == IN_FLIGHT))


async def idempotent(request: Request, caller: Principal, *, required: bool = True) -> IdempotentRequest:
    """Begin an idempotent POST: returns a handle whose ``replay`` is set if this is a replay."""
    key = request.headers.get("idempotency-key")
    if key is None and required:
        raise ProblemError(400, "Idempotency-Key required", "POST from a bank or a POS takes an "
                           "Idempotency-Key header", type="idempotency-key-required",
                           errors=[{"field": "Idempotency-Key", "message": "header is required"}])
    if key is not None and not (1 <= len(key) <= 200):
        raise ProblemError(400, "Invalid Idempotency-Key", "1 to 200 characters",
                           errors=[{"field": "Idempotency-Key", "message": "1 to 200 characters"}])
    body = await request.body()
    digest = hashlib.sha256(request.method.encode() + b" " + request.url.path.encode() + b"\n" + body).hexdigest()
    handle = IdempotentRequest(request.app.state.db, caller.caller_id, key, request.url.path, digest)
    await handle.claim()
    return handle


async def idempotency_guard(request: Request, session: Session) -> AsyncIterator[IdempotentRequest]:
    """Dependency for bank and POS POST routes. Use as ``guard: Idempotency``; start the route
    with ``if guard.replay: return guard.replay`` and end it with ``return await guard.remember(...)``.

    It commits the request's session itself, so that a failed commit releases the key too."""
    handle = await idempotent(request, authenticate(request))
    try:
        yield handle
        await session.commit()
    except BaseException:
        await session.rollback()
        await handle.release()
        raise


setattr(idempotency_guard, AUTH_ROLES_ATTR, ANY_ROLE)  # the body is read only from a known caller
Idempotency = Annotated[IdempotentRequest, Depends(idempotency_guard, scope="function")]
