"""The rating service's declarative base: every table of this service hangs off its metadata."""
from typing import TYPE_CHECKING

from common.db import make_base

if TYPE_CHECKING:  # mypy needs a class, not a variable, as a base
    from sqlalchemy.orm import DeclarativeBase as Base
else:
    Base = make_base()
