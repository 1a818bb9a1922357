"""Chinese for people, codes for machines: a problem's title, detail and messages follow the
caller's Accept-Language (zh-CN or en; the county's setting when it names neither, zh-CN by
default), its ``type`` and ``errors[].field`` never change, and no problem in libs/ or services/
is written in English only."""
from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.auth import Role
from common.i18n import FIELD_MESSAGES_ZH, TITLES_ZH, Text, negotiate
from tests.harness import DatabaseFactory, Keys, definition, run_app, settings_for

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("header", "default", "expected"), [
    (None, "zh-CN", "zh-CN"),
    (None, "en", "en"),
    ("", "en", "en"),
    ("en", "zh-CN", "en"),
    ("en-US", "zh-CN", "en"),
    ("EN-gb", "zh-CN", "en"),
    ("zh", "en", "zh-CN"),
    ("zh-CN", "en", "zh-CN"),
    ("zh-Hans", "en", "zh-CN"),
    ("zh-Hans-CN", "en", "zh-CN"),
    ("zh-cn;q=0.9, en;q=0.8", "en", "zh-CN"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "zh-CN", "en"),
    ("fr-FR, en;q=0.5", "zh-CN", "en"),            # the first acceptable one
    ("fr-FR, de", "en", "en"),                      # nothing acceptable: the default
    ("fr-FR, de", "zh-CN", "zh-CN"),
    ("*", "en", "en"),                              # anything: the default
    ("*;q=0.5, en", "zh-CN", "en"),
    ("en;q=0, *", "en", "zh-CN"),                   # English refused, anything else welcome
    ("zh;q=0, en;q=0", "en", "en"),                 # both refused: the default all the same
    ("zh-CN;q=0, zh", "en", "en"),                  # the most specific range decides
    ("en, zh-CN", "zh-CN", "en"),                   # equal weights: the earlier one
    ("zh-TW", "en", "en"),                          # Traditional is not what we offer
    ("zh-TW, zh-CN;q=0.1", "en", "zh-CN"),
    ("en;q=abc, zh;q=0.2", "en", "zh-CN"),          # a malformed weight drops its range
    ("en;q=2", "zh-CN", "zh-CN"),                   # out of range too
    (",,;;, en ;q=0.3", "zh-CN", "en"),
])
def test_negotiate_follows_the_q_values(header: str | None, default: str, expected: str) -> None:
    assert negotiate(header, default) == expected


def test_a_huge_header_is_read_only_in_part() -> None:
    assert negotiate("fr, " * 10_000 + "en", "zh-CN") == "zh-CN"


def test_every_status_a_problem_carries_has_a_chinese_title_and_common_messages_are_translated() -> None:
    from http import HTTPStatus
    assert {s.value for s in HTTPStatus if s.value >= 400} - set(TITLES_ZH) <= {509}
    assert all(CJK.search(t) for t in TITLES_ZH.values())
    assert {"missing", "string_too_short", "greater_than", "less_than_equal", "literal_error",
            "decimal_parsing", "extra_forbidden"} <= set(FIELD_MESSAGES_ZH)
    assert Text("loan", "贷款").get("zh-CN") == "贷款" and Text("loan", "贷款").get("en") == "loan"
    assert str(Text("loan", "贷款")) == "loan"  # logs and exception messages stay English


@pytest.fixture
async def lending(databases: DatabaseFactory, keys: Keys) -> AsyncIterator[httpx.AsyncClient]:
    """Lending as the county runs it: its settings' own default language (the harness's English removed)."""
    url = await databases.create("lending", "sqlite")
    settings = settings_for("lending", url, keys)
    settings = type(settings)(**settings.model_dump(exclude={"language"}))
    assert settings.language == "zh-CN"
    app = definition("lending").create_app(settings)
    async with run_app(app) as client:
        r = await client.post("/v1/banks", json={"id": "rcb", "name": "天长农商银行"}, headers=keys.headers(Role.admin))
        assert r.status_code == 201, r.text
        yield client


def zh(body: dict[str, Any]) -> bool:
    return bool(CJK.search(body["title"])) and bool(CJK.search(body.get("detail", "")))


def english(body: dict[str, Any]) -> bool:
    return not CJK.search(body["title"]) and not CJK.search(body.get("detail", "")) and body["title"].isascii()


async def test_a_service_with_default_settings_answers_in_chinese_and_in_english_when_asked(
        lending: httpx.AsyncClient, keys: Keys) -> None:
    bank = keys.headers(Role.bank, bank_id="rcb")
    r = await lending.get("/v1/credit-lines/nobody", headers=bank)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["content-language"] == "zh-CN" and "accept-language" in r.headers["vary"].lower()
    body = r.json()
    assert body["type"] == "unknown-subject" and zh(body), body
    assert body["title"] == "信用主体不存在" and body["errors"][0]["field"] == "subject_id"
    assert CJK.search(body["errors"][0]["message"])

    r = await lending.get("/v1/credit-lines/nobody", headers={**bank, "Accept-Language": "en-US,en;q=0.9"})
    assert r.headers["content-language"] == "en"
    en = r.json()
    assert english(en) and en["title"] == "Unknown subject" and en["errors"][0]["message"] == "unknown subject"
    # What a program branches on is the same in both languages.
    assert (en["type"], en["status"], en["errors"][0]["field"]) == (body["type"], body["status"], "subject_id")

    # The framework's own answers too: an unknown path, a missing token.
    r = await lending.get("/v1/no-such-thing")
    assert (r.status_code, r.json()["type"], r.json()["title"]) == (404, "not-found", "未找到")
    r = await lending.get("/v1/credit-lines/nobody")
    assert (r.status_code, r.json()["type"]) == (401, "unauthorized") and zh(r.json())
    r = await lending.get("/v1/credit-lines/nobody", headers={"Accept-Language": "en"})
    assert r.json()["detail"] == "a bearer token is required" and r.headers["content-language"] == "en"
    # Refused before the app reads the body (common.app.BodyGuard): Chinese all the same.
    r = await lending.post("/v1/loans", content=b"x" * ((1 << 20) + 1), headers={**bank, "Idempotency-Key": "big"})
    assert (r.status_code, r.json()["type"], r.json()["title"]) == (413, "body-too-large", "请求内容过大")
    assert r.headers["content-language"] == "zh-CN"


async def test_validation_errors_name_the_field_in_chinese(lending: httpx.AsyncClient, keys: Keys) -> None:
    headers = {**keys.headers(Role.bank, bank_id="rcb"), "Idempotency-Key": "lang-1"}
    body = {"subject_id": "hh-1", "amount": "-5", "annual_rate": "4.00"}  # and no term_months
    r = await lending.post("/v1/loans", json=body, headers=headers)
    problem = r.json()
    assert (r.status_code, problem["type"]) == (422, "validation-error")
    assert r.headers["content-language"] == "zh-CN" and zh(problem)
    assert "amount" in problem["detail"] and problem["detail"].startswith("以下字段无效")
    by_field = {e["field"]: e["message"] for e in problem["errors"]}
    assert set(by_field) == {"amount", "term_months"}
    assert all(CJK.search(m) for m in by_field.values()), by_field
    assert by_field["amount"] == "必须大于 0" and by_field["term_months"] == "必填，不能缺少"

    r = await lending.post("/v1/loans", json=body, headers={**headers, "Accept-Language": "en"})
    assert {e["field"] for e in r.json()["errors"]} == set(by_field) and english(r.json())


async def test_a_validator_s_own_refusal_reads_in_chinese(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("registry", "sqlite")
    app = definition("registry").create_app(settings_for("registry", url, keys, language="zh-CN"))
    async with run_app(app) as client:
        r = await client.post("/v1/subjects:lookup", json={"id_number": "123"}, headers=keys.headers(Role.officer, region="341181"))
        problem = r.json()
        assert (r.status_code, problem["errors"][0]["field"]) == (422, "id_number")
        assert problem["errors"][0]["message"] == "应为 17 位数字加 1 位数字或 X"
        r = await client.post("/v1/subjects:lookup", json={"id_number": "123"},
                              headers={**keys.headers(Role.officer, region="341181"), "Accept-Language": "en"})
        assert r.json()["errors"][0]["message"] == "Value error, must be 17 digits followed by a digit or X"


async def test_the_language_setting_and_its_environment_variable(monkeypatch: pytest.MonkeyPatch,
                                                                 databases: DatabaseFactory, keys: Keys) -> None:
    cls = definition("lending").settings_cls
    monkeypatch.setenv("LENDING_LANGUAGE", "en")
    assert cls().language == "en"
    monkeypatch.delenv("LENDING_LANGUAGE")
    assert cls().language == "zh-CN"
    url = await databases.create("lending", "sqlite")
    app = definition("lending").create_app(settings_for("lending", url, keys, language="en"))
    async with run_app(app) as client:
        r = await client.get("/v1/credit-lines/x")
        assert r.headers["content-language"] == "en" and english(r.json())
        r = await client.get("/v1/credit-lines/x", headers={"Accept-Language": "zh-CN"})
        assert r.headers["content-language"] == "zh-CN" and zh(r.json())


# The static check: every problem made in libs/ or services/ carries both languages.

# call name -> (positions, keywords) of its human-readable arguments
CHECKED: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "ProblemError": ((1, 2), ("title", "detail")),
    "field_error": ((1, 3), ("message", "title")),
    "conflict": ((0, 1), ("title", "detail")),
    "not_found": ((0,), ("what",)),
    "forbidden": ((0,), ("detail",)),
    "unauthorized": ((0,), ("detail",)),
}


def _english_only(node: ast.expr) -> bool:
    """A plain string: a literal, an f-string, a sum or %-format of them, or str()/format() of anything."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _english_only(node.left) or _english_only(node.right)
    if isinstance(node, ast.IfExp):
        return _english_only(node.body) or _english_only(node.orelse)
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        return name in {"str", "repr", "format", "join"}
    return False


def english_only_problems(source: str, filename: str = "<source>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in CHECKED:
            continue
        positions, keywords = CHECKED[name]
        args = [node.args[i] for i in positions if i < len(node.args)]
        args += [k.value for k in node.keywords if k.arg in keywords]
        for k in node.keywords:  # errors=[{"field": ..., "message": ...}]
            if k.arg == "errors" and isinstance(k.value, ast.List):
                args += [v for d in k.value.elts if isinstance(d, ast.Dict)
                         for key, v in zip(d.keys, d.values, strict=True)
                         if isinstance(key, ast.Constant) and key.value == "message"]
        found += [f"{filename}:{node.lineno}: {name}(...) {ast.unparse(a)[:60]}" for a in args if _english_only(a)]
    return found


def problem_calls(source: str) -> int:
    return sum(1 for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
               and (node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)) in CHECKED)


def sources() -> Iterator[Path]:
    for top in ("libs", "services"):
        yield from sorted((ROOT / top).rglob("*.py"))


def test_no_problem_is_written_in_english_only() -> None:
    offenders: list[str] = []
    calls = 0
    for path in sources():
        text = path.read_text()
        offenders += english_only_problems(text, str(path.relative_to(ROOT)))
        calls += problem_calls(text)
    assert calls > 150, calls  # the walk does see the services' problems
    assert not offenders, "problems in English only (wrap title/detail/message in Text(en=..., zh=...)):\n" + \
        "\n".join(offenders)


def test_the_static_check_catches_an_english_only_problem() -> None:
    bad = '''
raise ProblemError(409, "Conflict", f"loan {x} is closed", type="loan-closed")
raise field_error("amount", "too much")
raise conflict(Text("a", "甲"), "detail " + x)
raise not_found("loan", 1)
raise forbidden(str(exc))
raise ProblemError(400, Text("a", "甲"), Text("b", "乙"), errors=[{"field": "f", "message": "bad"}])
'''
    found = english_only_problems(bad)
    assert {int(f.split(":")[1]) for f in found} == {2, 3, 4, 5, 6, 7} and len(found) == 7, found
    good = '''
raise ProblemError(409, Text("Loan closed", "贷款已了结"), Text(f"loan {x}", f"贷款 {x}"), type="loan-closed")
raise field_error("amount", message)
raise not_found(LOAN, 1)
raise ProblemError(400, title, detail, errors=[{"field": "f", "message": Text("bad", "无效")}])
'''
    assert english_only_problems(good) == []
