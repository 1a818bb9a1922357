"""RFC 9457 problem+json for every error a service returns."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("common.errors")


class FieldProblem(BaseModel):
    """One field at fault: where (``members[0].id_number``, ``query.limit``) and why."""

    field: str = Field(examples=["amount"])
    message: str = Field(examples=["Input should be greater than 0"])


class Problem(BaseModel):
    """The body of every error answer (RFC 9457, ``application/problem+json``). Clients branch on
    ``type``; people read ``title`` and ``detail``. Some problems add members of their own (e.g.
    ``offer_id`` on ``budget-exhausted``)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "validation-error", "title": "Invalid request", "status": 422,
        "detail": "invalid field(s): amount", "instance": "/v1/loans",
        "errors": [{"field": "amount", "message": "Input should be greater than 0"}]}]})

    type: str = Field(description="a stable short code, e.g. ``over-available-line``; ``about:blank`` when the "
                                  "status says it all")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(None, description="the path of the request that failed")
    errors: list[FieldProblem] | None = Field(None, description="the fields at fault, when particular fields are")


# What each status means on every route; a route adds its own words (which problem types) if it wants.
PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "the request could not be read",
    401: "no token, or a bad, expired or revoked one",
    403: "the caller's role, region, bank or merchant may not do this",
    404: "not found (outside an officer's region, exactly as if it did not exist)",
    409: "conflicts with the current state (or an Idempotency-Key still in flight / reused with another body)",
    413: "request body too large",
    415: "unsupported media type",
    422: "invalid input; ``errors`` names each field",
    429: "too many requests",
    503: "not ready (database or broker unreachable)",
}
PROBLEM_REF = "#/components/schemas/Problem"


def problems(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route's error answers, each a :class:`Problem` as problem+json:
    ``responses=problems(401, 403, 404)``; ``problems(409, s409="line-frozen, over-available-line")``
    puts the route's own words on a status."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"description": described.get(f"s{status}", PROBLEM_DESCRIPTIONS.get(status, "error")),
                       "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}}
    return out


class ProblemResponse(ORJSONResponse):
    media_type = PROBLEM_JSON


class ProblemError(Exception):
    """Raise from anywhere in a request to answer with a problem document.

    ``type`` is a short slug (``over-available-line``); clients branch on it, people read ``detail``.
    ``errors`` lists ``{"field": ..., "message": ...}`` when particular fields are at fault.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type: str = "about:blank",
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.errors = errors
        self.extra = extra

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class ProblemHTTPException(StarletteHTTPException):
    """A problem raised while a request's body is being read: FastAPI passes an HTTP exception from
    there on as it is (any other becomes a bare 400), and the handler answers with ``problem``."""

    def __init__(self, problem: ProblemError) -> None:
        super().__init__(problem.status, problem.detail)
        self.problem = problem


def not_found(what: str, ident: object) -> ProblemError:
    return ProblemError(404, f"{what} not found", f"no {what} with id {ident}", type="not-found")


def field_error(field: str, message: str, status: int = 422, title: str = "Invalid request") -> ProblemError:
    return ProblemError(status, title, f"{field}: {message}", type="invalid-field",
                        errors=[{"field": field, "message": message}])


def conflict(title: str, detail: str, type: str = "conflict", **extra: Any) -> ProblemError:
    return ProblemError(409, title, detail, type=type, **extra)


def problem_response(problem: ProblemError, request: Request | None = None,
                     headers: dict[str, str] | None = None) -> ProblemResponse:
    instance = request.url.path if request is not None else None
    return ProblemResponse(problem.to_dict(instance), status_code=problem.status, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "members", 0, "id_number") -> "members[0].id_number"; the location part stays for
    # query, path and header parameters, where it tells the caller where to look.
    parts = list(loc)
    prefix = ""
    if parts and parts[0] == "body":
        parts = parts[1:]
    elif parts and parts[0] in ("query", "path", "header", "cookie"):
        prefix = f"{parts[0]}."
        parts = parts[1:]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return prefix + (out or "body")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> ProblemResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> ProblemResponse:
        errors = [
            {"field": _field_path(e.get("loc", ())), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        problem = ProblemError(422, "Invalid request", f"invalid field(s): {fields}",
                               type="validation-error", errors=errors)
        return problem_response(problem, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        if isinstance(exc, ProblemHTTPException):
            return problem_response(exc.problem, request)
        titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
                  413: "Request body too large", 415: "Unsupported media type"}
        problem = ProblemError(exc.status_code, titles.get(exc.status_code, "Error"),
                               str(exc.detail) if exc.detail else None)
        return problem_response(problem, request, headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> ProblemResponse:
        # A race the route's own checks could not see (two writers, one unique key): nothing was written.
        log.warning("integrity conflict", extra={"path": request.url.path})
        return problem_response(ProblemError(409, "Conflict", "the change conflicts with data written meanwhile; "
                                             "nothing was written", type="conflict"), request)

    @app.exception_handler(DBAPIError)
    async def _data(request: Request, exc: DBAPIError) -> ProblemResponse:
        # SQLSTATE class 22 (data exception: a NUL character in a text, a number out of the column's
        # range, ...) is the caller's input the schema let through: a 422, and nothing was written.
        if not str(getattr(exc.orig, "sqlstate", None) or "").startswith("22"):
            return await _unexpected(request, exc)
        log.warning("data exception", extra={"path": request.url.path, "sqlstate": getattr(exc.orig, "sqlstate", None)})
        return problem_response(ProblemError(422, "Invalid data", "a value cannot be stored (a NUL character in a "
                                             "text, or a number out of range); nothing was written",
                                             type="invalid-data"), request)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> ProblemResponse:
        # SQLite's driver refuses integers beyond 64 bits before the database sees them.
        log.warning("number out of range", extra={"path": request.url.path})
        return problem_response(ProblemError(422, "Invalid data", "a number is out of range; nothing was written",
                                             type="invalid-data"), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(ProblemError(500, "Internal error", "the error was logged"), request)
