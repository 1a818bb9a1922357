"""What every service's OpenAPI document promises, in one place: non-JSON bodies (CSV, images,
Prometheus text) declared with a media type and a schema, and every error answer a
:class:`~common.errors.Problem` as ``application/problem+json`` (FastAPI's own 422 shape, which
these apps never answer, is replaced by it)."""
from __future__ import annotations

import copy
import typing
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from common.errors import PROBLEM_JSON, PROBLEM_REF, Problem

CSV = "text/csv"
TEXT_SCHEMA: dict[str, Any] = {"type": "string"}
BINARY_SCHEMA: dict[str, Any] = {"type": "string", "format": "binary"}


def media(*types: str, status: int = 200, description: str = "", binary: bool = False) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route answering a non-JSON body: ``responses=media("text/csv")``; with a
    ``response_model`` too, the route answers either (JSON by default, the other on ``Accept``)."""
    schema = BINARY_SCHEMA if binary else TEXT_SCHEMA
    entry: dict[str, Any] = {"content": {t: {"schema": dict(schema)} for t in types}}
    if description:
        entry["description"] = description
    return {status: entry}


def _is_fastapi_validation_error(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def finish_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Register :class:`Problem` among the components and document every automatic 422 as one."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if _is_fastapi_validation_error(response):
                    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}
                    response["description"] = "invalid input; ``errors`` names each field"
                elif str(status).startswith("4") and not response.get("content"):
                    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema


def _models_of(app: FastAPI) -> dict[str, type[BaseModel]]:
    """The pydantic models the app's answers are made of, by name (nested ones too)."""
    found: dict[str, type[BaseModel]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ not in found:
                found[annotation.__name__] = annotation
                for f in annotation.model_fields.values():
                    visit(f.annotation)
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    for route in app.routes:
        if isinstance(route, APIRoute):
            visit(route.response_model)
            for extra in route.responses.values():
                visit(extra.get("model"))
    return found


def restore_examples(schema: dict[str, Any], app: FastAPI) -> None:
    """Put each answer model's examples back as written: FastAPI drops every null from the
    document it builds, examples' nulls included, which would leave examples their schema refuses."""
    models = _models_of(app)
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        model = models.get(name.split("-")[0])
        extra = model.model_config.get("json_schema_extra") if model is not None else None
        if "examples" in component and isinstance(extra, dict) and "examples" in extra:
            component["examples"] = copy.deepcopy(extra["examples"])


def install_openapi(app: FastAPI) -> None:
    """Build the app's OpenAPI document once, finished by :func:`finish_openapi`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = finish_openapi(FastAPI.openapi(app))
            restore_examples(schema, app)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
