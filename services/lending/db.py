"""The lending service's declarative base: every table of this service hangs off its metadata."""
from typing import TYPE_CHECKING

from common.db import make_base

if TYPE_CHECKING:  # a static class for the type checker; at run time the same thing, made by make_base
    from sqlalchemy.orm import DeclarativeBase

    class Base(DeclarativeBase):
        pass
else:
    Base = make_base()
