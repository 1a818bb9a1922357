"""The region tree (行政区划): county → town/street → village/community → village group."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(String(15), ForeignKey("regions.code"), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    # Raised by every rename: ``region-changed`` carries it, so a consumer keeps the newest name.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
