"""Typed path parameters shared by the services' routers.

An integer id in a path is bounded to what the databases store (PostgreSQL ``integer``): a bigger
or negative number is a 422 naming the parameter, not an overflow in the driver (a 500)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Path

INT32_MAX = 2_147_483_647

SerialId = Annotated[int, Path(ge=1, le=INT32_MAX, description="a positive integer id")]
"""An autoincrement row id or a version number in a path."""
