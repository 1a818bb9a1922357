"""RFC 9457 problem+json for every error a service returns."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from common.i18n import (
    DEFAULT_LANGUAGE,
    Language,
    Localized,
    Text,
    field_message_zh,
    negotiate,
    render,
    standard_title,
    status_title,
)

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("common.errors")


class FieldProblem(BaseModel):
    """One field at fault: where (``members[0].id_number``, ``query.limit``) and why."""

    field: str = Field(examples=["amount"])
    message: str = Field(examples=["Input should be greater than 0"])


class Problem(BaseModel):
    """The body of every error answer (RFC 9457, ``application/problem+json``). Clients branch on
    ``type`` and ``errors[].field``, the same in every language; people read ``title``, ``detail``
    and ``errors[].message``, in Chinese or English by the request's ``Accept-Language`` (the answer's
    ``Content-Language`` says which). Some problems add members of their own (e.g. ``offer_id`` on
    ``budget-exhausted``)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "validation-error", "title": "Invalid request", "status": 422,
        "detail": "invalid field(s): amount", "instance": "/v1/loans",
        "errors": [{"field": "amount", "message": "Input should be greater than 0"}]}]})

    type: str = Field(description="a stable short code, e.g. ``over-available-line``; a problem with no code of "
                                  "its own is named by its status (``not-found``, ``unauthorized``), never ``about:blank``")
    title: str = Field(description="zh-CN or en, by Accept-Language")
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

    ``type`` is a short, stable slug (``over-available-line``); clients branch on it, people read
    ``title`` and ``detail``, which are ``Text`` (English and Chinese) and follow the request's
    Accept-Language. Without a ``type`` of its own a problem is named by its status (404 ->
    ``not-found``). ``errors`` lists ``{"field": ..., "message": ...}`` when particular fields are at
    fault (``message`` a ``Text`` too; ``field`` is the same in every language).
    """

    def __init__(
        self,
        status: int,
        title: Localized,
        detail: Localized | None = None,
        *,
        type: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(str(detail or title))
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type or status_type(status)
        self.errors = errors
        self.extra = extra

    def to_dict(self, instance: str | None = None, language: str = "en") -> dict[str, Any]:
        """The document in ``language``: title, detail and each error's message rendered."""
        title = self.title
        if isinstance(title, str):
            title = standard_title(self.status, title) or title
        body: dict[str, Any] = {"type": self.type, "title": render(title, language), "status": self.status}
        if self.detail:
            body["detail"] = render(self.detail, language)
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [{k: render(v, language) if isinstance(v, Text) else v for k, v in e.items()}
                              for e in self.errors]
        body.update({k: render(v, language) if isinstance(v, Text) else v for k, v in self.extra.items()})
        return body


class ProblemHTTPException(StarletteHTTPException):
    """A problem raised while a request's body is being read: FastAPI passes an HTTP exception from
    there on as it is (any other becomes a bare 400), and the handler answers with ``problem``."""

    def __init__(self, problem: ProblemError) -> None:
        super().__init__(problem.status, str(problem.detail) if problem.detail else None)
        self.problem = problem


# The type of a problem that names none, by status: a stable slug, never "about:blank".
_STATUS_TYPES = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
                 405: "method-not-allowed", 409: "conflict", 413: "body-too-large", 415: "unsupported-media-type",
                 422: "invalid-request", 429: "too-many-requests", 500: "internal-error", 502: "bad-gateway",
                 503: "unavailable", 504: "gateway-timeout"}


def status_type(status: int) -> str:
    """The default ``type`` of a problem with ``status`` (404 -> ``not-found``)."""
    if status in _STATUS_TYPES:
        return _STATUS_TYPES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "error"
    return re.sub(r"[^a-z0-9]+", "-", phrase.lower()).strip("-")


def not_found(what: Text, ident: object) -> ProblemError:
    """404 for a thing by its id; ``what`` names it (``Text("loan", "贷款")``)."""
    return ProblemError(404, Text(f"{what.en} not found", f"未找到{what.zh}"),
                        Text(f"no {what.en} with id {ident}", f"没有编号为 {ident} 的{what.zh}"), type="not-found")


INVALID_REQUEST = Text("Invalid request", "请求内容无效")


def field_error(field: str, message: Text, status: int = 422, title: Text = INVALID_REQUEST) -> ProblemError:
    return ProblemError(status, title, Text(f"{field}: {message.en}", f"{field}：{message.zh}"), type="invalid-field",
                        errors=[{"field": field, "message": message}])


def conflict(title: Text, detail: Text, type: str = "conflict", **extra: Any) -> ProblemError:
    return ProblemError(409, title, detail, type=type, **extra)


def request_language(request: Request | None) -> Language:
    """The language to answer ``request`` in: its Accept-Language, else the service's ``language``
    setting (``app.state.language``), else Chinese."""
    if request is None:
        return DEFAULT_LANGUAGE
    default = DEFAULT_LANGUAGE
    if "app" in request.scope:
        default = getattr(request.app.state, "language", DEFAULT_LANGUAGE)
    return negotiate(request.headers.get("accept-language"), default)


def problem_response(problem: ProblemError, request: Request | None = None,
                     headers: dict[str, str] | None = None) -> ProblemResponse:
    language = request_language(request)
    instance = request.url.path if request is not None else None
    return ProblemResponse(problem.to_dict(instance, language), status_code=problem.status,
                           headers={**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"})


def validation_problem(errors: Sequence[dict[str, Any]], path: Callable[[Any], str]) -> ProblemError:
    """422 for pydantic's ``errors`` (each named by ``path(loc)``): per field a message in both
    languages (pydantic's English, its Chinese from ``FIELD_MESSAGES_ZH`` or the validator's
    ``TextError``)."""
    rows: list[dict[str, Any]] = []
    for e in errors:
        field = path(e.get("loc", ()))
        rows.append({"field": field, "message": Text(str(e.get("msg", "invalid")), field_message_zh(dict(e), field))})
    fields = ", ".join(sorted({r["field"] for r in rows}))
    return ProblemError(422, INVALID_REQUEST, Text(f"invalid field(s): {fields}", f"以下字段无效：{fields}"),
                        type="validation-error", errors=rows)


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
        return problem_response(validation_problem(exc.errors(), _field_path), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        if isinstance(exc, ProblemHTTPException):
            return problem_response(exc.problem, request)
        return problem_response(http_problem(exc.status_code, exc.detail), request,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> ProblemResponse:
        # A race the route's own checks could not see (two writers, one unique key): nothing was written.
        log.warning("integrity conflict", extra={"path": request.url.path})
        return problem_response(ProblemError(
            409, Text("Conflict", "数据冲突"),
            Text("the change conflicts with data written meanwhile; nothing was written",
                 "这次修改与同时写入的数据冲突，未写入任何内容"), type="conflict"), request)

    @app.exception_handler(DBAPIError)
    async def _data(request: Request, exc: DBAPIError) -> ProblemResponse:
        # SQLSTATE class 22 (data exception: a NUL character in a text, a number out of the column's
        # range, ...) is the caller's input the schema let through: a 422, and nothing was written.
        if not str(getattr(exc.orig, "sqlstate", None) or "").startswith("22"):
            return await _unexpected(request, exc)
        log.warning("data exception", extra={"path": request.url.path, "sqlstate": getattr(exc.orig, "sqlstate", None)})
        return problem_response(ProblemError(
            422, INVALID_DATA,
            Text("a value cannot be stored (a NUL character in a text, or a number out of range); nothing was written",
                 "有值无法保存（文本中含有空字符，或数字超出范围），未写入任何内容"), type="invalid-data"), request)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> ProblemResponse:
        # SQLite's driver refuses integers beyond 64 bits before the database sees them.
        log.warning("number out of range", extra={"path": request.url.path})
        return problem_response(ProblemError(
            422, INVALID_DATA, Text("a number is out of range; nothing was written", "数字超出范围，未写入任何内容"),
            type="invalid-data"), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(ProblemError(500, status_title(500), Text("the error was logged", "错误已记录，请稍后再试")),
                                request)


INVALID_DATA = Text("Invalid data", "数据无效")

# What Starlette and FastAPI say in an HTTP exception of their own (an unknown path, a wrong method,
# a body that does not parse), in Chinese too.
_HTTP_DETAILS_ZH = {"There was an error parsing the body": "请求体无法解析（应为有效的 JSON）"}


def http_problem(status: int, detail: object) -> ProblemError:
    """The problem for an HTTP exception raised by the framework (404 for an unknown path, 405 ...)."""
    title = status_title(status)
    text: Text | None = None
    if detail:
        en = str(detail)
        standard = standard_title(status, en)
        text = Text(en, standard.zh if standard else _HTTP_DETAILS_ZH.get(en, title.zh))
    return ProblemError(status, title, text)
