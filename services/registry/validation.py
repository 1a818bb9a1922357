"""Validating a payload by hand (the body's model depends on its ``kind``) with the same
problem+json shape FastAPI's own validation gives: one error per field, named by its path."""
from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from common.errors import validation_problem

M = TypeVar("M", bound=BaseModel)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """("members", 0, "id_number") → "members[0].id_number"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "body"


def clean_message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "msg": clean_message(e["msg"])} for e in exc.errors()]
        raise validation_problem(errors, field_path) from None
