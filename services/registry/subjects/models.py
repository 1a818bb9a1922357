"""Credit subjects (信用主体) and their files (一户一档): the subject row, the identities that
resolve an ID-card number to it, its change history, and the disclosure log of look-ups."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Subject(Base):
    """One credit subject of any kind. Personal data (names, ID-card and phone numbers of the head,
    members, legal representative) lives only in ``pii_enc`` (AES-GCM, bound to the subject id);
    the row keeps masked copies for display and a blind index for look-ups."""

    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("kind", "natural_key", name="uq_subjects_kind_natural_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # household: blind index of the head's ID number; new_entity: registration number;
    # collective and village: the village code (one of each per village).
    natural_key: Mapped[str] = mapped_column(String(64))
    county_code: Mapped[str] = mapped_column(String(6))
    town_code: Mapped[str] = mapped_column(String(9))
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    group_code: Mapped[str | None] = mapped_column(String(15))
    display_name: Mapped[str | None] = mapped_column(String(120))  # organisations only: not personal
    masked_name: Mapped[str] = mapped_column(String(80))
    id_masked: Mapped[str | None] = mapped_column(String(24))
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    pii_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    registration_number: Mapped[str | None] = mapped_column(String(32))
    entity_type: Mapped[str | None] = mapped_column(String(20))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    consent: Mapped[dict[str, Any]] = mapped_column(JSON)
    extras: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(120))


class SubjectIdentity(Base):
    """Blind index (HMAC) of an ID-card number → the household it belongs to (head or member).
    The primary key makes one person belong to one household file only."""

    __tablename__ = "subject_identities"

    id_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))


class SubjectChange(Base):
    """Every change of a subject: who, when, which fields (never the personal values themselves)."""

    __tablename__ = "subject_changes"
    __table_args__ = (UniqueConstraint("subject_id", "version", name="uq_subject_changes_subject_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime]
    changed_fields: Mapped[list[str]] = mapped_column(JSON)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)


class Disclosure(Base):
    """A look-up of a subject by ID-card number (信息披露记录): who asked, for which subject, when, why."""

    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_id: Mapped[str | None] = mapped_column(String(36), index=True)
    caller: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    found: Mapped[bool]
    at: Mapped[datetime]
