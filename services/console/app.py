"""The console's app: static pages (plain HTML and ES modules), third-party scripts from
node_modules, the forwarding of ``/api/<service>/...``, the household's link and session, and the
demo log-in list in dev."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import ORJSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from common.errors import ProblemError, install_error_handlers
from common.i18n import Text
from common.observability import RequestContextMiddleware, configure_logging
from console import household, proxy
from console.settings import HERE, ConsoleSettings

log = logging.getLogger("console")
# Scripts only from the console itself (its pages and node_modules), no framing, no referrer: a page
# holds a token, and the household's link carries its code in the fragment.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY",
}
router = APIRouter()
# The demo tokens of `make run` the dev log-in page offers, with who they are (Chinese labels).
DEV_ACCOUNTS = {"OFFICER_TOKEN": "网格员（天长市 341181）", "ADMIN_TOKEN": "县金融监管局管理员",
                "PLATFORM_TOKEN": "省级平台"}


class Health(BaseModel):
    status: str


class ServiceState(BaseModel):
    service: str
    ready: bool


class Status(BaseModel):
    services: list[ServiceState]


class DevAccount(BaseModel):
    name: str
    label: str
    token: str


class DevAccounts(BaseModel):
    accounts: list[DevAccount]


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_id: str = Field(min_length=1, max_length=64)


class LinkOut(BaseModel):
    subject_id: str
    masked_name: str
    path: str = Field(description="the personal link (专属链接) to give the household, relative to the console")
    expires_at: datetime


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=8, max_length=128)
    id_ending: str = Field(min_length=4, max_length=4, pattern=r"^[0-9Xx]{4}$",
                           description="the last four characters of the head's ID-card number")


class SessionOut(BaseModel):
    token: str
    subject_id: str
    expires_at: datetime


def settings_of(request: Request) -> ConsoleSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def base_url(settings: ConsoleSettings, service: str) -> str:
    return str(getattr(settings, f"{service}_url")).rstrip("/")


@router.get("/healthz", response_model=Health, include_in_schema=False)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, include_in_schema=False)
async def readyz() -> Health:
    # The console holds nothing of its own: it is ready when it answers (each page says which service is not).
    return Health(status="ready")


@router.get("/console/api/status", response_model=Status, summary="Which services answer now")
async def status(request: Request) -> Status:
    settings, client = settings_of(request), request.app.state.http
    states = []
    for name in proxy.SERVICES:
        try:
            ready = (await client.get(base_url(settings, name) + "/readyz", timeout=2.0)).status_code == 200
        except httpx.HTTPError:
            ready = False
        states.append(ServiceState(service=name, ready=ready))
    return Status(services=states)


@router.get("/console/api/dev-accounts", response_model=DevAccounts, summary="The demo log-in (dev only)")
async def dev_accounts(request: Request) -> DevAccounts:
    settings = settings_of(request)
    path = settings.dev_tokens_path()
    if settings.env != "dev" or not path.is_file():
        raise ProblemError(404, Text("Not found", "未找到"),
                           Text("the demo log-in exists in the embedded run only", "演示登录只在本机嵌入式运行中提供"),
                           type="not-found")
    values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return DevAccounts(accounts=[DevAccount(name=name, label=label, token=values[name].strip())
                                 for name, label in DEV_ACCOUNTS.items() if name in values])


@router.post("/console/api/household-links", response_model=LinkOut, status_code=201,
             summary="Issue a household's personal link (an officer who can see its file)")
async def issue_link(body: LinkIn, request: Request) -> LinkOut:
    settings, client = settings_of(request), request.app.state.http
    authorization = request.headers.get("authorization", "")
    if not authorization:
        raise ProblemError(401, Text("Unauthorized", "未通过身份认证"),
                           Text("an officer's bearer token is required", "需要工作人员的 Bearer 令牌"), type="unauthorized")
    # The registry decides whether this caller may see the file (the officer's own token, unchanged).
    try:
        answer = await client.get(f"{base_url(settings, 'registry')}/v1/subjects/{body.subject_id}",
                                  headers={"authorization": authorization,
                                           "accept-language": request.headers.get("accept-language", "")})
    except httpx.TransportError as exc:
        raise proxy.unavailable("registry") from exc
    if answer.status_code != 200:
        problem = answer.json() if "json" in answer.headers.get("content-type", "") else {}
        raise ProblemError(answer.status_code, problem.get("title", "Refused"), problem.get("detail"),
                           type=problem.get("type", "refused"),
                           errors=[{"field": "subject_id", "message": Text("not visible", "无权查看")}])
    subject = answer.json()
    if subject.get("kind") != "household":
        raise ProblemError(422, Text("Not a household", "不是农户"),
                           Text("personal links are for households", "个人链接只发给农户"), type="not-a-household",
                           errors=[{"field": "subject_id", "message": Text("not a household", "不是农户")}])
    code, link = request.app.state.links.issue(subject["id"], household.id_ending(subject.get("id_number_masked")),
                                               datetime.now(UTC))
    log.info("household link issued", extra={"subject_id": subject["id"]})
    return LinkOut(subject_id=subject["id"], masked_name=subject["masked_name"], path=f"/household.html#{code}",
                   expires_at=link.expires_at)


@router.post("/console/api/household-sessions", response_model=SessionOut, status_code=201,
             summary="A household opens its page: the link's code and its ID-card number's last four characters")
async def open_session(body: SessionIn, request: Request) -> SessionOut:
    settings = settings_of(request)
    link = request.app.state.links.redeem(body.code, body.id_ending, datetime.now(UTC))
    key = settings.issuer_key_path()
    if not key.is_file():
        raise ProblemError(503, Text("No household issuer", "缺少农户令牌签发密钥"),
                           Text("the console has no household issuer key", "控制台没有农户令牌的签发密钥"), type="no-issuer")
    token, expires = household.household_token(key.read_bytes(), link.subject_id, settings.household_token_minutes)
    return SessionOut(token=token, subject_id=link.subject_id, expires_at=expires)


@router.api_route("/api/{service}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                  response_class=Response, summary="Forward to a service (the caller's token unchanged)")
async def forward(service: str, path: str, request: Request) -> Response:
    if service not in proxy.SERVICES:
        raise proxy.unknown_service(service)
    return await proxy.forward(request, request.app.state.http, base_url(settings_of(request), service), service, path)


@router.get("/", include_in_schema=False, response_class=RedirectResponse)
async def home() -> RedirectResponse:
    return RedirectResponse("/index.html")


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.upstream_timeout_seconds) as client:
            app.state.http = client
            yield

    configure_logging("console", settings.log_level)
    app = FastAPI(title="Console (控制台)", version="1.0.0", lifespan=lifespan, default_response_class=ORJSONResponse,
                  description="County console, provincial dashboard and household page on the services' public APIs")
    app.state.settings = settings
    app.state.language = settings.language
    app.state.links = household.LinkBook(settings.household_link_days, settings.household_link_attempts)
    install_error_handlers(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(RequestContextMiddleware, service="console")
    app.include_router(router)
    vendor = Path(settings.node_modules_dir)
    for name, folder in (("echarts", vendor / "echarts" / "dist"), ("axe-core", vendor / "axe-core")):
        if folder.is_dir():  # `npm ci` (make install) puts them there; without them a page says so
            app.mount(f"/vendor/{name}", StaticFiles(directory=folder), name=f"vendor-{name}")
    app.mount("/", StaticFiles(directory=HERE / "static", html=True), name="pages")
    return app

