"""Assembling a subject's file from a validated payload: pure functions, no database.

Personal data is split off into one encrypted blob per subject; what stays in the row and goes
out in responses and events is masked or typed and free of personal data."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from common.pii import PIICipher, mask_id_number, mask_name, mask_phone
from registry.fields import EDUCATION_RANK, money_str
from registry.regions.codes import split_codes
from registry.subjects.schemas import (
    AssetIn,
    CollectiveIn,
    DebtIn,
    EntityIn,
    HouseholdIn,
    PersonIn,
    Profile,
    VillageIn,
)

AGRICULTURAL = {"land", "machinery", "livestock", "buildings", "crops", "facilities"}


@dataclass
class Draft:
    """A new subject ready to insert: its row (personal data sealed) and the identities (blind
    indexes) that resolve to it; ``announcement`` is its registration event once built."""

    row: dict[str, Any]
    identities: list[tuple[str, str]] = field(default_factory=list)  # (blind index, role)
    announcement: Any = None


def new_subject_id() -> str:
    return str(uuid.uuid4())


def seal(cipher: PIICipher, subject_id: str, pii: dict[str, Any]) -> bytes:
    """Encrypt a subject's personal data, bound to its id (a blob cannot be moved to another row)."""
    return cipher.encrypt(orjson.dumps(pii).decode(), context=subject_id.encode())


def unseal(cipher: PIICipher, subject_id: str, blob: bytes | None) -> dict[str, Any]:
    if not blob:
        return {}
    return orjson.loads(cipher.decrypt(blob, context=subject_id.encode()))  # type: ignore[no-any-return]


def person_public(p: PersonIn) -> dict[str, Any]:
    return {"masked_name": mask_name(p.name), "id_number_masked": mask_id_number(p.id_number) if p.id_number else None,
            "phone_masked": mask_phone(p.phone) if p.phone else None, "relation": p.relation,
            "political_status": p.political_status, "education": p.education, "labour": p.labour}


def person_private(p: PersonIn) -> dict[str, Any]:
    return {"name": p.name, "id_number": p.id_number, "phone": p.phone}


def asset_public(a: AssetIn) -> dict[str, Any]:
    return {**a.model_dump(mode="json"), "value": money_str(a.value)}


def derive_profile(profile: Profile, *, people: list[PersonIn] | None = None, assets: list[AssetIn] | None = None,
                   debts: list[DebtIn] | None = None) -> Profile:
    """Fill the scoring inputs the file itself answers: member counts from the people listed (head included),
    asset values by the valuation method, debt totals from the debts listed."""
    if not (assets or debts or people):
        return profile  # nothing the file answers itself (the common case of a field-collected row)
    values = profile.model_dump(exclude_none=True)
    if people:
        values["members_count"] = len(people)
        values["labour_count"] = sum(p.labour for p in people)
        values["party_members"] = sum(p.political_status in ("party_member", "probationary_member") for p in people)
        levels = [p.education for p in people if p.education]
        if levels:
            values["max_education"] = max(levels, key=EDUCATION_RANK.__getitem__)
    if assets:
        values["agri_assets_value"] = sum((a.value for a in assets if a.category in AGRICULTURAL), Decimal("0"))
        other = [a.value for a in assets if a.category not in AGRICULTURAL]
        if other:
            values["other_assets_value"] = sum(other, Decimal("0"))
        land = [a.quantity for a in assets if a.category == "land" and a.unit.lower() in ("mu", "亩")]
        if land:
            values["land_mu"] = sum(land, Decimal("0"))
    if debts:
        values["debts_outstanding"] = sum((d.outstanding for d in debts if d.lender_type != "private"), Decimal("0"))
        values["private_borrowing"] = sum((d.outstanding for d in debts if d.lender_type == "private"), Decimal("0"))
        values["overdue_count"] = sum(d.overdue_months > 0 for d in debts)
        values["overdue_months_max"] = max(d.overdue_months for d in debts)
    return Profile(**values)


def _base_row(subject_id: str, kind: str, body: Any, actor: str, now: datetime) -> dict[str, Any]:
    codes = split_codes(body.village, body.group)
    return {"id": subject_id, "kind": kind, "status": "active", "county_code": codes["county"],
            "town_code": codes["town"], "village_code": body.village, "group_code": body.group,
            "consent": body.consent.as_event(), "extras": body.extras, "version": 1,
            "created_at": now, "created_by": actor, "updated_at": now, "updated_by": actor,
            "display_name": None, "id_masked": None, "phone_masked": None, "pii_enc": None,
            "registration_number": None, "entity_type": None}


def household_draft(body: HouseholdIn, cipher: PIICipher, actor: str, now: datetime,
                    subject_id: str | None = None) -> Draft:
    sid = subject_id or new_subject_id()
    head = body.head
    head_index = cipher.blind_index(head.id_number)
    # Member counts come from the members listed; a field-collected file may give only the counts.
    people: list[PersonIn] | None = [head, *body.members] if body.members else None
    profile = derive_profile(body.profile, people=people, assets=body.assets, debts=body.debts)
    row = _base_row(sid, "household", body, actor, now)
    row.update(
        natural_key=head_index, masked_name=mask_name(head.name), id_masked=mask_id_number(head.id_number),
        phone_masked=mask_phone(head.phone) if head.phone else None,
        pii_enc=seal(cipher, sid, {"head": person_private(head), "members": [person_private(m) for m in body.members]}),
        profile=profile.as_event(),
        details={"head": person_public(head), "members": [person_public(m) for m in body.members],
                 "assets": [asset_public(a) for a in body.assets], "debts": [d.model_dump(mode="json") for d in body.debts]},
    )
    identities = [(head_index, "head")] + [(cipher.blind_index(m.id_number), "member") for m in body.members if m.id_number]
    return Draft(row, identities)


def entity_draft(body: EntityIn, cipher: PIICipher, actor: str, now: datetime) -> Draft:
    sid = new_subject_id()
    rep = body.legal_representative
    profile = derive_profile(body.profile.model_copy(update={"entity_type": body.entity_type}),
                             assets=body.assets, debts=body.debts)
    row = _base_row(sid, "new_entity", body, actor, now)
    row.update(
        natural_key=body.registration_number, display_name=body.name, masked_name=mask_name(body.name),
        registration_number=body.registration_number, entity_type=body.entity_type,
        phone_masked=mask_phone(body.phone) if body.phone else None,
        pii_enc=seal(cipher, sid, {"phone": body.phone, "legal_representative": person_private(rep) if rep else None}),
        profile=profile.as_event(),
        details={"legal_representative": person_public(rep) if rep else None, "business_scope": body.business_scope,
                 "assets": [asset_public(a) for a in body.assets], "debts": [d.model_dump(mode="json") for d in body.debts]},
    )
    return Draft(row)


def collective_draft(body: CollectiveIn, cipher: PIICipher, actor: str, now: datetime) -> Draft:
    sid = new_subject_id()
    row = _base_row(sid, "collective", body, actor, now)
    row.update(
        natural_key=body.village, display_name=body.name, masked_name=mask_name(body.name),
        registration_number=body.registration_number, phone_masked=mask_phone(body.phone) if body.phone else None,
        pii_enc=seal(cipher, sid, {"phone": body.phone}) if body.phone else None,
        profile=derive_profile(body.profile, assets=body.assets).as_event(),
        details={"assets": [asset_public(a) for a in body.assets]},
    )
    return Draft(row)


def village_draft(body: VillageIn, region_name: str, actor: str, now: datetime) -> Draft:
    sid = new_subject_id()
    name = body.name or region_name
    row = _base_row(sid, "village", body, actor, now)
    row.update(natural_key=body.village, display_name=name, masked_name=mask_name(name),
               profile=body.profile.as_event(), details={})
    return Draft(row)


def region_of(row: Any) -> dict[str, str | None]:
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    return {"county": get("county_code"), "town": get("town_code"), "village": get("village_code"),
            "group": get("group_code")}
