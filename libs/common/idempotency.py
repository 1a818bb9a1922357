"""``Idempotency-Key`` for POST routes, kept in the service's own database.

The key is claimed apart from the request's transaction, committed at once (so a second request
with the same key sees it in flight and gets 409); the response is stored in the request's own
transaction, so it commits with the change it describes. A replay returns that stored response;
the same key with another body gets 422. If the request fails, the claim is released and the key can be used again.

Each claim carries a random token. A claim whose request has gone quiet for ``STALE_AFTER`` (its
process died) is taken over by a conditional update on that token, so of two requests that find it
stale only one takes it; and the first request can store its response (and so commit its change)
only while the claim is still its own. A slow request that lost its claim is refused at the end and
its change rolled back: the key never applies twice.

Stored keys expire after ``ttl`` (``ServiceSettings.idempotency_ttl_hours``): an expired key counts as
unused, and ``purge_expired`` (run by every service, see ``common.app``) deletes them.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request, Response
from sqlalchemy import CursorResult, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from common.auth import ANY_CALLER, AUTH_ROLES_ATTR, Principal, authenticate
from common.db import Database, Session, insert_for, utcnow
from common.errors import ProblemError
from common.i18n import Text
from common.tables import idempotency_keys as keys

IN_FLIGHT, DONE = "in_flight", "done"
# A claim whose request died with its process is taken over after this long.
STALE_AFTER = timedelta(seconds=60)
DEFAULT_TTL = timedelta(hours=24)


def _in_flight() -> ProblemError:
    return ProblemError(409, Text("Request in flight", "请求正在处理"),
                        Text("a request with this Idempotency-Key is still being processed",
                             "使用同一幂等键（Idempotency-Key）的请求仍在处理中，请稍后重试"),
                        type="idempotency-key-in-flight")


class IdempotentRequest:
    def __init__(self, db: Database, caller: str, key: str | None, route: str, request_hash: str,
                 ttl: timedelta = DEFAULT_TTL) -> None:
        self.db = db
        self.caller = caller
        self.key = key
        self.route = route
        self.request_hash = request_hash
        self.ttl = ttl
        self.token = secrets.token_hex(16)  # this request's claim
        self.replay: Response | None = None

    def _this_key(self) -> Any:
        return (keys.c.caller == self.caller) & (keys.c.key == self.key)

    @asynccontextmanager
    async def _own_statements(self) -> AsyncIterator[AsyncSession | AsyncConnection]:
        """Where the claim and the release run, apart from the request's transaction. Each of their
        writes is one conditional statement, atomic alone, and the read in between decides nothing
        that the conditional UPDATE does not check again; so on PostgreSQL they run in autocommit,
        one round trip a statement (no BEGIN and COMMIT around them, no ORM session). SQLite keeps a
        writer's transaction (BEGIN IMMEDIATE, in turn with the process's other writers)."""
        if self.db.is_sqlite:
            async with self.db.transaction() as session:
                yield session
            return
        async with self.db.engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")

    async def claim(self) -> None:
        if self.key is None:
            return
        now = utcnow()
        row = {"caller": self.caller, "key": self.key, "route": self.route, "request_hash": self.request_hash,
               "state": IN_FLIGHT, "created_at": now, "claim": self.token}
        # ON CONFLICT DO NOTHING, not a failed INSERT: one transaction, and no IntegrityError (on
        # SQLite a failed statement inside BEGIN IMMEDIATE stalled every other writer for the
        # busy timeout).
        new_claim = insert_for(self.db.dialect, keys).values(**row).on_conflict_do_nothing()
        async with self._own_statements() as session:
            inserted: CursorResult[Any] = await session.execute(new_claim)  # type: ignore[assignment]
            if inserted.rowcount == 1:
                return
            existing = (await session.execute(select(keys).where(self._this_key()))).one_or_none()
            if existing is None:  # released in between: ask again
                raise _in_flight()
            expired = now - existing.created_at >= self.ttl
            if not expired:
                if existing.request_hash != self.request_hash or existing.route != self.route:
                    raise ProblemError(422, Text("Idempotency key reused", "幂等键重复使用"),
                                       Text("this Idempotency-Key was used with another request body",
                                            "该幂等键（Idempotency-Key）已用于另一个请求内容"),
                                       type="idempotency-key-reused",
                                       errors=[{"field": "Idempotency-Key",
                                                "message": Text("used with another body", "已用于另一个请求内容")}])
                if existing.state == DONE:
                    self.replay = Response(existing.response_body, status_code=existing.response_status,
                                           media_type="application/json", headers={"Idempotent-Replayed": "true"})
                    return
                if now - existing.created_at < STALE_AFTER:
                    raise _in_flight()
            # Taken over only if nobody changed it since we read it (another request taking it too, or
            # the first one finishing): the token and the state are the condition.
            taken: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
                update(keys).where(self._this_key(), keys.c.claim.is_not_distinct_from(existing.claim),
                                   keys.c.state == existing.state)
                .values(**{k: v for k, v in row.items() if k not in ("caller", "key")},
                        response_status=None, response_body=None))
            if taken.rowcount != 1:
                raise _in_flight()  # another request took it, or it ended meanwhile: ask again

    async def remember(self, session: AsyncSession, status: int, body: Any) -> Response:
        """Store the response in the request's transaction and return it; refused (409, and the
        request's change rolled back) if the claim was taken over meanwhile."""
        payload = orjson.dumps(body, default=str)
        if self.key is not None:
            stored: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
                update(keys).where(self._this_key(), keys.c.claim == self.token, keys.c.state == IN_FLIGHT)
                .values(state=DONE, response_status=status, response_body=payload))
            if stored.rowcount != 1:
                raise ProblemError(409, Text("Request taken over", "请求已被接管"),
                                   Text("this request took so long that another one with the same Idempotency-Key "
                                        "took it over; nothing was written",
                                        "该请求耗时过长，已由使用同一幂等键的另一请求接管，本次未写入任何内容"),
                                   type="idempotency-key-taken-over")
        return Response(payload, status_code=status, media_type="application/json")

    async def release(self) -> None:
        if self.key is None:
            return
        async with self._own_statements() as session:
            await session.execute(delete(keys).where(self._this_key(), keys.c.claim == self.token,
                                                     keys.c.state == IN_FLIGHT))


async def purge_expired(db: Database, ttl: timedelta = DEFAULT_TTL, batch: int = 10_000) -> int:
    """Delete the keys older than ``ttl``, a batch per transaction (none grows big); returns how many."""
    purged = 0
    while True:
        cutoff = utcnow() - ttl
        async with db.transaction() as session:
            old = select(keys.c.caller, keys.c.key).where(keys.c.created_at < cutoff).limit(batch)
            done: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
                delete(keys).where(tuple_(keys.c.caller, keys.c.key).in_(old)))
        purged += done.rowcount
        if done.rowcount < batch:
            return purged


async def idempotent(request: Request, caller: Principal, *, required: bool = True) -> IdempotentRequest:
    """Begin an idempotent POST: returns a handle whose ``replay`` is set if this is a replay."""
    key = request.headers.get("idempotency-key")
    if key is None and required:
        raise ProblemError(400, Text("Idempotency-Key required", "缺少幂等键"),
                           Text("POST from a bank or a POS takes an Idempotency-Key header",
                                "银行和收银终端（POS）发出的 POST 请求须带 Idempotency-Key（幂等键）请求头"),
                           type="idempotency-key-required",
                           errors=[{"field": "Idempotency-Key", "message": Text("header is required", "必须提供此请求头")}])
    if key is not None and not (1 <= len(key) <= 200):
        length = Text("1 to 200 characters", "长度须为 1 到 200 个字符")
        raise ProblemError(400, Text("Invalid Idempotency-Key", "幂等键无效"), length, type="invalid-idempotency-key",
                           errors=[{"field": "Idempotency-Key", "message": length}])
    body = await request.body()
    digest = hashlib.sha256(request.method.encode() + b" " + request.url.path.encode() + b"\n" + body).hexdigest()
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    handle = IdempotentRequest(request.app.state.db, caller.caller_id, key, request.url.path, digest, ttl)
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


setattr(idempotency_guard, AUTH_ROLES_ATTR, ANY_CALLER)  # the body is read only from a known caller
Idempotency = Annotated[IdempotentRequest, Depends(idempotency_guard, scope="function")]
