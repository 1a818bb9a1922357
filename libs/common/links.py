"""OpenAPI links: which field of one operation's answer feeds which parameter of the next.

A link tells a client (and schemathesis's stateful mode, ``schema.as_state_machine()``) that, e.g.,
the ``id`` of a loan just made is the ``loan_id`` of its repayments, so a generated sequence of
requests chains real ids instead of guessing them. A service lists its links in
``ServiceSpec.links``; they are written into the app's OpenAPI document when it is first built, and
a link naming an operation or response the app does not have fails there, loudly."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI


@dataclass(frozen=True)
class Link:
    """From ``source``'s ``status`` answer to ``target`` (each ``(METHOD, path)`` as in the OpenAPI
    document). ``parameters`` maps a target parameter (``path.loan_id``, ``query.x``) to a runtime
    expression (``$response.body#/id``); ``body`` maps fields of the target's JSON body to
    expressions (merged into the body a client builds)."""

    name: str
    source: tuple[str, str]
    status: int
    target: tuple[str, str]
    parameters: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, str] | None = None
    description: str = ""


def operation_ref(method: str, path: str) -> str:
    """A JSON pointer to an operation of this document (``#/paths/~1v1~1loans/post``)."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()


def add_links(schema: dict[str, Any], links: Sequence[Link]) -> None:
    """Write ``links`` into an OpenAPI document (in place)."""
    paths: dict[str, Any] = schema.get("paths", {})

    def operation(method: str, path: str) -> dict[str, Any]:
        found = paths.get(path, {}).get(method.lower())
        if found is None:
            raise ValueError(f"OpenAPI link: no operation {method} {path}")
        return found  # type: ignore[no-any-return]

    for link in links:
        operation(*link.target)
        responses = operation(*link.source).get("responses", {})
        if str(link.status) not in responses:
            raise ValueError(f"OpenAPI link {link.name}: {link.source[0]} {link.source[1]} has no {link.status} response")
        definition: dict[str, Any] = {"operationRef": operation_ref(*link.target)}
        if link.parameters:
            definition["parameters"] = dict(link.parameters)
        if link.body is not None:
            definition["requestBody"] = dict(link.body)
        if link.description:
            definition["description"] = link.description
        responses[str(link.status)].setdefault("links", {})[link.name] = definition


def install_links(app: FastAPI, links: Sequence[Link]) -> None:
    """Have ``app.openapi()`` (and so ``/openapi.json``) carry ``links``."""
    if not links:
        return
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()  # FastAPI keeps the document it built in app.openapi_schema
            try:
                add_links(schema, links)
            except ValueError:
                app.openapi_schema = None  # never serve a document without its links
                raise
        return build()

    app.openapi = openapi  # type: ignore[method-assign]
