"""Region payloads."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.i18n import Text, TextError
from registry.regions.codes import code_problem


class RegionIn(BaseModel):
    code: str = Field(description="statistical area code: 6 county, 9 town, 12 village, 13-15 village group digits")
    name: str = Field(min_length=1, max_length=80)

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        v = v.strip()
        problem = code_problem(v)
        if problem:
            raise TextError(problem)
        return v


class RegionRenameIn(BaseModel):
    """A region's new name (更名)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise TextError(Text("must not be blank", "不能为空"))
        return v


class RegionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "341181100", "name": "秦栏镇", "level": "town", "parent_code": "341181", "version": 1, "created_at": "2026-01-05T02:00:00Z"}]})
    code: str
    name: str
    level: str
    parent_code: str | None
    version: int = Field(description="raised by every rename")
    created_at: datetime


class RegionImportOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"created": 151, "renamed": 0, "unchanged": 14}]})
    created: int
    renamed: int = Field(description="rows whose region existed under another name")
    unchanged: int
