"""Typed everywhere: every operation of every service's OpenAPI document declares a typed 2xx body
(or none, for a 202/204 without one) and documents its 4xx answers as problem+json; and what a
few representative routes per service really answer validates against what their document says."""
from __future__ import annotations

import ast
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from common.auth import Role
from common.errors import PROBLEM_JSON
from tests.harness import DatabaseFactory, Keys, definition, settings_for, start_service
from tests.merchant import support as merchant_support
from tests.rating import helpers as rating_helpers

SERVICES = ["registry", "rating", "lending", "merchant", "stats"]
METHODS = {"get", "post", "put", "patch", "delete"}
# Open to everyone (no token): these answer no 401.
OPEN = {"/healthz", "/readyz", "/metrics"}


def openapi_of(service: str, keys: Keys) -> dict[str, Any]:
    """The service's document, from its app as deployed (no database is touched to build it)."""
    app = definition(service).create_app(settings_for(service, "sqlite+aiosqlite:///:memory:", keys))
    return app.openapi()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def is_typed(schema: dict[str, Any]) -> bool:
    """A $ref, a scalar type, an array of typed items, an object with properties (or typed values),
    or a union of typed schemas; ``{}`` and a bare ``object`` are not."""
    if "$ref" in schema:
        return True
    for union in ("anyOf", "oneOf", "allOf"):
        if union in schema:
            return all(is_typed(s) for s in schema[union])
    kind = schema.get("type")
    if kind == "array":
        return is_typed(schema.get("items", {}))
    if kind == "object":
        extra = schema.get("additionalProperties")
        return bool(schema.get("properties")) or (isinstance(extra, dict) and is_typed(extra))
    return kind in ("string", "integer", "number", "boolean", "null")


def contract_faults(doc: dict[str, Any]) -> list[str]:
    """Every operation lacking a typed 2xx body, or a problem+json body on a documented 4xx."""
    faults: list[str] = []
    for path, method, op in operations(doc):
        where = f"{method.upper()} {path}"
        responses: dict[str, Any] = op.get("responses", {})
        ok = {s: r for s, r in responses.items() if s.startswith("2")}
        if not ok:
            faults.append(f"{where}: no 2xx response documented")
        for status, response in ok.items():
            content = response.get("content")
            if not content:
                if status not in ("202", "204"):
                    faults.append(f"{where}: {status} has no body schema")
                continue
            for media_type, body in content.items():
                if not is_typed(body.get("schema", {})):
                    faults.append(f"{where}: {status} {media_type} is untyped: {body.get('schema')}")
        for status, response in responses.items():
            if status.startswith("4"):
                schema = response.get("content", {}).get(PROBLEM_JSON, {}).get("schema", {})
                if schema.get("$ref") != "#/components/schemas/Problem":
                    faults.append(f"{where}: {status} is not documented as application/problem+json")
                if set(response.get("content", {})) - {PROBLEM_JSON}:
                    faults.append(f"{where}: {status} documents another body than problem+json")
        if path not in OPEN and "401" not in responses:
            faults.append(f"{where}: takes a token but does not document 401")
    return faults


def loose_objects(doc: dict[str, Any]) -> list[str]:
    """Response components' properties that are objects of unknown shape (``dict[str, Any]``)."""
    found = []
    for name, schema in doc["components"]["schemas"].items():
        for prop, sub in schema.get("properties", {}).items():
            for alt in sub.get("anyOf", [sub]):
                if alt == {} or (alt.get("type") == "object" and not alt.get("properties")
                                 and alt.get("additionalProperties") in (None, True, {})):
                    found.append(f"{name}.{prop}")
    return found


# Free-form on purpose: the county's own extra fields and a file's per-kind details, an audit
# trail's before/after values, and an indicator system's category lookup tables.
FREE_FORM = {"SubjectOut.extras", "SubjectOut.details", "SubjectOut.profile", "ChangeOut.changes",
             "SubjectPatch.extras", "SubjectPatch.details", "SubjectPatch.profile"}


def test_the_checks_tell_typed_from_untyped() -> None:
    assert not is_typed({}) and not is_typed({"type": "object"}) and not is_typed({"type": "array", "items": {}})
    assert is_typed({"$ref": "#/components/schemas/X"}) and is_typed({"type": "array", "items": {"type": "string"}})
    assert is_typed({"type": "object", "additionalProperties": {"type": "integer"}})
    assert not is_typed({"anyOf": [{"type": "object"}, {"type": "null"}]})
    doc = {"paths": {"/v1/x": {"get": {"responses": {
        "200": {"content": {"application/json": {"schema": {}}}},
        "404": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}}}}
    faults = contract_faults(doc)
    assert any("200 application/json is untyped" in f for f in faults)
    assert any("404 is not documented as application/problem+json" in f for f in faults)
    assert any("does not document 401" in f for f in faults)


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_has_a_typed_answer_and_problem_errors(service: str, keys: Keys) -> None:
    doc = openapi_of(service, keys)
    assert "Problem" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]  # never answered: a Problem is
    faults = contract_faults(doc)
    assert not faults, f"{service}:\n" + "\n".join(faults)


@pytest.mark.parametrize("service", SERVICES)
def test_nested_objects_in_answers_have_their_own_schema(service: str, keys: Keys) -> None:
    loose = [f for f in loose_objects(openapi_of(service, keys)) if f not in FREE_FORM]
    assert not loose, f"{service}: objects of unknown shape: {loose}"


def without_example(doc: dict[str, Any]) -> set[str]:
    """The models of 2xx JSON answers with no example: none of their own, nor (a page) on their items."""
    components = doc["components"]["schemas"]

    def has_example(name: str) -> bool:
        schema = components[name]
        if "examples" in schema:
            return True
        item_ref = schema.get("properties", {}).get("items", {}).get("items", {}).get("$ref")
        return bool(item_ref) and "examples" in components[item_ref.split("/")[-1]]

    missing = set()
    for _, _, op in operations(doc):
        for status, response in op["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
            if status.startswith("2") and ref and not has_example(ref.split("/")[-1]):
                missing.add(ref.split("/")[-1])
    return missing


def test_answers_come_with_examples(keys: Keys) -> None:
    missing = set().union(*(without_example(openapi_of(s, keys)) for s in SERVICES))
    assert not missing, f"answers without an example: {sorted(missing)}"
    problem = openapi_of("lending", keys)["components"]["schemas"]["Problem"]
    assert problem["examples"][0]["errors"][0]["field"] == "amount"


def example_faults(doc: dict[str, Any]) -> list[str]:
    """Examples that do not validate against the schema they illustrate."""
    faults = []
    for name, schema in doc["components"]["schemas"].items():
        validator = jsonschema_rs.Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                                        "components": doc["components"]})
        for example in schema.get("examples", []):
            faults += [f"{name}: {e}" for e in validator.iter_errors(example)]
    return faults


@pytest.mark.parametrize("service", SERVICES)
def test_examples_match_their_schemas(service: str, keys: Keys) -> None:
    faults = example_faults(openapi_of(service, keys))
    assert not faults, "\n".join(faults[:20])


def test_non_json_answers_declare_their_media_type(keys: Keys) -> None:
    docs = {s: openapi_of(s, keys) for s in SERVICES}
    csv_routes = [("lending", "/v1/reconciliation"), ("rating", "/v1/publications"), ("stats", "/v1/stats/summary"),
                  ("registry", "/v1/imports/{job_id}/errors")]
    for service, path in csv_routes:
        content = docs[service]["paths"][path]["get"]["responses"]["200"]["content"]
        assert content["text/csv"]["schema"] == {"type": "string"}, (service, path)
    image = docs["merchant"]["paths"]["/v1/households/{subject_id}/code.{fmt}"]["get"]["responses"]["200"]["content"]
    assert image["image/png"]["schema"] == {"type": "string", "format": "binary"}


# --- what the routes really answer -------------------------------------------------------------

def check(doc: dict[str, Any], method: str, path: str, response: httpx.Response) -> Any:
    """``response`` (its status and body) is one the document declares for the operation."""
    op = doc["paths"][path][method.lower()]
    declared = op["responses"].get(str(response.status_code))
    assert declared is not None, f"{method} {path} answered undeclared {response.status_code}: {response.text[:300]}"
    media_type = response.headers["content-type"].split(";")[0]
    assert media_type in declared.get("content", {}), f"{method} {path}: {media_type} not declared"
    schema = {**declared["content"][media_type]["schema"], "components": doc["components"]}
    body = response.json()
    errors = [str(e) for e in jsonschema_rs.Draft202012Validator(schema).iter_errors(body)]
    assert not errors, f"{method} {path} {response.status_code}: {errors[:5]}\n{response.text[:500]}"
    return body


async def test_lending_answers_match_their_documents(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("lending", "sqlite")
    admin, bank = keys.headers(Role.admin), keys.headers(Role.bank, bank_id="b-contract")
    async with start_service("lending", url, keys) as svc:
        doc = (await svc.client.get("/openapi.json")).json()
        c = svc.client
        check(doc, "POST", "/v1/banks", await c.post("/v1/banks", json={"id": "b-contract", "name": "农商行"}, headers=admin))
        check(doc, "GET", "/v1/banks", await c.get("/v1/banks", headers=bank))
        check(doc, "GET", "/v1/policies/current", await c.get("/v1/policies/current", headers=bank))
        check(doc, "GET", "/v1/loans", await c.get("/v1/loans", headers=bank))
        check(doc, "GET", "/v1/credit-lines/{subject_id}", await c.get("/v1/credit-lines/nobody", headers=bank))
        check(doc, "POST", "/v1/loans", await c.post("/v1/loans", headers={**bank, "Idempotency-Key": "k1"},
                                                     json={"subject_id": "s", "amount": "-1", "annual_rate": "4",
                                                           "term_months": 12}))
        check(doc, "GET", "/healthz", await c.get("/healthz"))
        check(doc, "GET", "/readyz", await c.get("/readyz"))


async def test_registry_answers_match_their_documents(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("registry", "sqlite")
    admin = keys.headers(Role.admin)
    async with start_service("registry", url, keys) as svc:
        doc = (await svc.client.get("/openapi.json")).json()
        c = svc.client
        check(doc, "POST", "/v1/regions", await c.post("/v1/regions", json={"code": "341181", "name": "天长市"},
                                                       headers=admin))
        check(doc, "GET", "/v1/regions", await c.get("/v1/regions", headers=admin))
        check(doc, "GET", "/v1/subjects", await c.get("/v1/subjects", headers=admin))
        check(doc, "GET", "/v1/subjects/{subject_id}", await c.get("/v1/subjects/nobody", headers=admin))
        check(doc, "GET", "/v1/civility/catalogue", await c.get("/v1/civility/catalogue", headers=admin))


async def test_rating_answers_match_their_documents(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("rating", "sqlite")
    officer = keys.headers(Role.officer, region=rating_helpers.COUNTY)
    async with start_service("rating", url, keys) as svc:
        doc = (await svc.client.get("/openapi.json")).json()
        c = svc.client
        for n in range(3):
            await rating_helpers.apply(svc.db, svc.settings,
                                       rating_helpers.subject_event(f"hh-c{n}", rating_helpers.GOOD))
        rated = check(doc, "POST", "/v1/ratings", await c.post("/v1/ratings", json={"subject_id": "hh-c0"},
                                                               headers=officer))
        check(doc, "GET", "/v1/ratings/{rating_id}", await c.get(f"/v1/ratings/{rated['id']}", headers=officer))
        check(doc, "GET", "/v1/subjects/{subject_id}/grade", await c.get("/v1/subjects/hh-c0/grade", headers=officer))
        check(doc, "GET", "/v1/subjects/{subject_id}/ratings", await c.get("/v1/subjects/hh-c0/ratings", headers=officer))
        check(doc, "GET", "/v1/indicator-systems", await c.get("/v1/indicator-systems", headers=officer))
        check(doc, "GET", "/v1/indicator-systems/{kind}/current",
              await c.get("/v1/indicator-systems/household/current", headers=officer))
        entry = check(doc, "POST", "/v1/points", await c.post("/v1/points", headers=officer, json={
            "subject_id": "hh-c1", "points": -50, "reason": "骗取补贴", "serious": True, "grade_drop": 1}))
        assert entry["grade"]  # a serious item re-rates at once, and says so
        check(doc, "GET", "/v1/subjects/{subject_id}/points", await c.get("/v1/subjects/hh-c1/points", headers=officer))
        check(doc, "GET", "/v1/points/rankings", await c.get(f"/v1/points/rankings?village={rating_helpers.VILLAGE}",
                                                             headers=officer))
        check(doc, "POST", "/v1/ratings/{rating_id}/objections", await c.post(
            f"/v1/ratings/{rated['id']}/objections", json={"reason": "收入少算"}, headers=officer))
        check(doc, "GET", "/v1/objections", await c.get("/v1/objections", headers=officer))
        check(doc, "GET", "/v1/pairings", await c.get("/v1/pairings", headers=officer))
        check(doc, "GET", "/v1/publications", await c.get(f"/v1/publications?region={rating_helpers.VILLAGE}",
                                                          headers=officer))
        check(doc, "GET", "/v1/villages/{code}", await c.get(f"/v1/villages/{rating_helpers.VILLAGE}", headers=officer))
        check(doc, "GET", "/v1/rating-rounds/{round_id}", await c.get(f"/v1/rating-rounds/{uuid.uuid4()}",
                                                                      headers=officer))


async def test_merchant_answers_match_their_documents(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("merchant", "sqlite")
    async with start_service("merchant", url, keys) as svc:
        doc = (await svc.client.get("/openapi.json")).json()
        c, county = svc.client, merchant_support.County(svc.client, keys)
        admin = county.admin
        subject_id = await merchant_support.household(svc.db, "AA", scopes=["merchant", "benefits"])
        shop = await county.merchant()
        check(doc, "GET", "/v1/merchants/{merchant_id}", await c.get(f"/v1/merchants/{shop}", headers=admin))
        check(doc, "GET", "/v1/merchants", await c.get("/v1/merchants", headers=admin))
        offer = check(doc, "POST", "/v1/merchants/{merchant_id}/offers", await c.post(
            f"/v1/merchants/{shop}/offers", headers=admin, json={
                "title": "九折", "rule": {"kind": "percent", "percent": "10", "cap": "20.00"},
                "eligible_grades": ["AAA", "AA", "A"]}))
        check(doc, "GET", "/v1/merchants/{merchant_id}/offers", await c.get(f"/v1/merchants/{shop}/offers", headers=admin))
        issued = check(doc, "POST", "/v1/households/{subject_id}/codes",
                       await c.post(f"/v1/households/{subject_id}/codes", headers=admin))
        check(doc, "GET", "/v1/households/{subject_id}", await c.get(f"/v1/households/{subject_id}", headers=admin))
        verdict = check(doc, "POST", "/v1/pos/verify", await c.post("/v1/pos/verify", json={"code": issued["code"]},
                                                                    headers=county.pos(shop)))
        assert verdict["valid"] and verdict["offers"][0]["rule"]["kind"] == "percent"
        redeemed = check(doc, "POST", "/v1/pos/redemptions", await county.redeem(shop, issued["code"], offer["id"],
                                                                                 "100.00"))
        check(doc, "GET", "/v1/pos/redemptions", await c.get("/v1/pos/redemptions", headers=county.pos(shop)))
        check(doc, "GET", "/v1/pos/redemptions/{redemption_id}",
              await c.get(f"/v1/pos/redemptions/{redeemed['redemption_id']}", headers=county.pos(shop)))
        check(doc, "POST", "/v1/pos/redemptions/{redemption_id}/refund",
              await c.post(f"/v1/pos/redemptions/{redeemed['redemption_id']}/refund", headers=county.pos(shop)))
        check(doc, "POST", "/v1/pos/redemptions/{redemption_id}/refund",  # a second refund: a problem
              await c.post(f"/v1/pos/redemptions/{redeemed['redemption_id']}/refund", headers=county.pos(shop)))
        check(doc, "GET", "/v1/merchants/{merchant_id}/statistics",
              await c.get(f"/v1/merchants/{shop}/statistics", headers=admin))
        check(doc, "GET", "/v1/disclosures", await c.get(f"/v1/disclosures?subject_id={subject_id}", headers=admin))
        programme = check(doc, "POST", "/v1/programmes", await c.post("/v1/programmes", headers=admin, json={
            "name": "免费乘车", "rule": {"kind": "benefit", "benefit": "免费乘车"}, "eligible_grades": ["AAA"]}))
        assert programme["offer"]["rule"] == {"kind": "benefit", "benefit": "免费乘车"}
        check(doc, "GET", "/v1/programmes", await c.get("/v1/programmes", headers=admin))


async def test_stats_answers_match_their_documents(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("stats", "sqlite")
    platform = keys.headers(Role.platform)
    async with start_service("stats", url, keys) as svc:
        doc = (await svc.client.get("/openapi.json")).json()
        c = svc.client
        check(doc, "GET", "/v1/stats/summary", await c.get("/v1/stats/summary", headers=platform))
        check(doc, "GET", "/v1/stats/regions", await c.get("/v1/stats/regions?level=county", headers=platform))
        check(doc, "GET", "/v1/stats/timeseries",
              await c.get("/v1/stats/timeseries?metric=lines", headers=platform))
        check(doc, "GET", "/v1/stats/timeseries", await c.get("/v1/stats/timeseries?metric=nope", headers=platform))


def test_the_documented_figures_are_every_figure_stats_shows() -> None:
    from stats.figures.render import FIGURE_NAMES
    from stats.figures.schemas import FiguresOut

    assert list(FiguresOut.model_fields) == list(FIGURE_NAMES)


@pytest.mark.parametrize("service", ["merchant", "rating"])
def test_routers_leave_sql_to_repositories(service: str) -> None:
    """A router parses and answers; SQL lives in a domain's repository.py, rules in its service.py."""
    root = Path(__file__).resolve().parents[2] / "services" / service
    offenders = []
    for router in sorted(root.glob("*/*router.py")):
        for node in ast.walk(ast.parse(router.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and (
                    node.module.startswith("sqlalchemy") or node.module.endswith(".repository")
                    or any(a.name in ("repository", "repo") for a in node.names)):
                offenders.append(f"{router.relative_to(root)}: from {node.module} import ...")
    assert not offenders, offenders


# --- the one paging style ----------------------------------------------------------------------

async def pages(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[list[Any]]:
    """Every page of a cursor list, following ``next`` links to the end."""
    out: list[list[Any]] = []
    next_url: str | None = url
    while next_url:
        body = (await client.get(next_url, headers=headers)).json()
        out.append(body["items"])
        assert (body["next"] is None) == (body["next_after"] is None)
        next_url = body["next"]
    return out


async def test_county_lists_page_by_cursor_with_a_next_link(databases: DatabaseFactory, keys: Keys) -> None:
    async with start_service("merchant", await databases.create("merchant", "sqlite"), keys) as svc:
        county = merchant_support.County(svc.client, keys)
        made = sorted([await county.merchant() for _ in range(5)])
        got = await pages(svc.client, "/v1/merchants?limit=2", county.admin)
        assert [len(p) for p in got] == [2, 2, 1]
        assert [m["id"] for p in got for m in p] == made  # each once, in id order
    async with start_service("rating", await databases.create("rating", "sqlite"), keys) as svc:
        officer = keys.headers(Role.officer, region=rating_helpers.COUNTY)
        filed = []
        for n in range(3):
            await rating_helpers.apply(svc.db, svc.settings, rating_helpers.subject_event(f"hh-o{n}", rating_helpers.GOOD))
            rated = (await svc.client.post("/v1/ratings", json={"subject_id": f"hh-o{n}"}, headers=officer)).json()
            filed.append((await svc.client.post(f"/v1/ratings/{rated['id']}/objections", json={"reason": "收入少算"},
                                                headers=officer)).json()["id"])
        got = await pages(svc.client, "/v1/objections?limit=2", officer)
        assert [len(p) for p in got] == [2, 1] and [o["id"] for p in got for o in p] == filed
