"""Registering and changing credit subjects' files: region checks, duplicates, versions, events."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.db import utcnow
from common.errors import ProblemError, conflict, field_error, not_found
from common.events import emit
from common.i18n import KINDS_ZH, Text
from common.pii import PIICipher, mask_phone
from registry import events
from registry.access import require_in_region
from registry.regions import repository as regions
from registry.regions.codes import split_codes
from registry.regions.models import Region
from registry.subjects import files, repository
from registry.subjects.models import Subject
from registry.subjects.schemas import (
    MODELS,
    CollectiveIn,
    EntityIn,
    HouseholdIn,
    LookupIn,
    PersonIn,
    Profile,
    SubjectPatch,
    VillageIn,
)
from registry.validation import parse

log = logging.getLogger("registry.subjects")


def duplicate(field: str, what: Text) -> ProblemError:
    """一户一档: one file per household, entity, collective or village."""
    return conflict(Text("Duplicate file", "档案重复"),
                    Text(f"{field}: {what.en} already has a file (一户一档)", f"{field}：{what.zh}已建档（一户一档）"),
                    type="duplicate-subject",
                    errors=[{"field": field, "message": Text("already on file", "已建档")}])


SAME_PERSON = Text("the person with this ID-card number", "持该身份证号的人")


async def check_region(session: AsyncSession, village: str, group: str | None) -> Region:
    """The village must be a known village region, the group one of its groups."""
    found = await regions.get_many(session, [c for c in (village, group) if c])
    region = found.get(village)
    if region is None or region.level != "village":
        raise field_error("village", Text(f"unknown village {village}", f"没有行政村 {village}"))
    if group is not None:
        g = found.get(group)
        if g is None or g.level != "group" or g.parent_code != village:
            raise field_error("group", Text(f"unknown village group {group} in village {village}",
                                            f"行政村 {village} 下没有村民小组 {group}"))
    return region


async def register(session: AsyncSession, cipher: PIICipher, principal: Principal, raw: Any) -> Subject:
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if not isinstance(kind, str) or kind not in MODELS:  # a list or an object is unhashable: no TypeError
        raise field_error("kind", Text("must be one of " + ", ".join(MODELS), "应为以下之一：" + ", ".join(MODELS)))
    body = parse(MODELS[kind], raw)
    # The region first: whether a village outside the officer's region exists is not its business.
    require_in_region(principal, body.village, "village")
    village = await check_region(session, body.village, body.group)
    actor, now = principal.caller_id, utcnow()
    if isinstance(body, HouseholdIn):
        draft = files.household_draft(body, cipher, actor, now)
        await _check_household_identities(session, draft, body)
    elif isinstance(body, EntityIn):
        draft = files.entity_draft(body, cipher, actor, now)
        if await repository.by_natural_keys(session, kind, [body.registration_number]):
            raise duplicate("registration_number", Text("this registration number", "该统一社会信用代码"))
    elif isinstance(body, CollectiveIn):
        draft = files.collective_draft(body, cipher, actor, now)
        if await repository.by_natural_keys(session, kind, [body.village]):
            raise duplicate("village", Text("this village's collective economic organisation", "该村的村集体经济组织"))
    else:
        assert isinstance(body, VillageIn)
        draft = files.village_draft(body, village.name, actor, now)
        if await repository.by_natural_keys(session, kind, [body.village]):
            raise duplicate("village", Text("this village", "该行政村"))
    row = draft.row
    try:
        await repository.insert_subjects(session, [row])
        await repository.insert_identities(session, [{"id_index": i, "subject_id": row["id"], "role": r}
                                                     for i, r in draft.identities])
    except IntegrityError:  # a concurrent registration of the same file won the race
        raise duplicate("id_number" if kind == "household" else "registration_number" if kind == "new_entity"
                        else "village", Text("this subject", "该信用主体")) from None
    await repository.insert_changes(session, [{"subject_id": row["id"], "version": 1, "action": "registered",
                                               "actor": actor, "at": now, "changed_fields": [], "changes": {}}])
    await emit(session, events.registered(**events.subject_fields(row), registered_at=row["created_at"]))
    log.info("subject registered", extra={"subject_id": row["id"], "kind": kind, "village": body.village})
    subject = await repository.get(session, row["id"])
    assert subject is not None
    return subject


async def _check_household_identities(session: AsyncSession, draft: files.Draft, body: HouseholdIn) -> None:
    paths = ["head.id_number"] + [f"members[{i}].id_number" for i, m in enumerate(body.members) if m.id_number]
    seen: dict[str, str] = {}
    for (index, _), path in zip(draft.identities, paths, strict=True):
        if index in seen:
            raise field_error(path, Text(f"the same ID-card number as {seen[index]}",
                                         f"与 {seen[index]} 的身份证号相同"))
        seen[index] = path
    existing = await repository.identities(session, seen)
    for index, path in seen.items():
        if index in existing:
            raise duplicate(path, SAME_PERSON)


def visible(principal: Principal, subject: Subject | None) -> Subject | None:
    if subject is None:
        return None
    return subject if principal.in_region(subject.village_code) or principal.is_self(subject.id) else None


async def get_visible(session: AsyncSession, principal: Principal, subject_id: str) -> Subject:
    subject = visible(principal, await repository.get(session, subject_id))
    if subject is None:  # outside an officer's region it does not exist for that officer
        raise not_found(Text("subject", "信用主体"), subject_id)
    return subject


async def update(session: AsyncSession, cipher: PIICipher, principal: Principal, subject_id: str,
                 patch: SubjectPatch) -> Subject:
    subject = await get_visible(session, principal, subject_id)
    if patch.expected_version is not None and patch.expected_version != subject.version:
        raise version_conflict(subject)
    given = patch.model_fields_set - {"expected_version"}
    allowed = {"household": {"village", "group", "status", "phone", "profile", "consent", "members", "assets", "debts", "extras"},
               "new_entity": {"village", "group", "status", "phone", "profile", "consent", "assets", "debts", "business_scope",
                              "extras"},
               "collective": {"group", "status", "phone", "profile", "consent", "assets", "extras"},
               "village": {"status", "profile", "consent", "extras"}}[subject.kind]
    for name in sorted(given - allowed):
        raise field_error(name, Text(f"a {subject.kind} file has no {name}",
                                     f"{KINDS_ZH.get(subject.kind, subject.kind)}档案没有 {name} 这一项"))
    values: dict[str, Any] = {}
    changed: list[str] = []
    diff: dict[str, Any] = {}

    def record(name: str, before: Any, after: Any, personal: bool = False) -> None:
        if before != after:
            changed.append(name)
            diff[name] = {"changed": True} if personal else {"from": before, "to": after}

    if "village" in given and patch.village is not None and patch.village != subject.village_code:
        # A move (迁居): the file keeps its id and history; the new region goes out with the
        # subject-updated event, and every service (lines, codes, statistics, officers) follows it.
        require_in_region(principal, patch.village, "village")
        await check_region(session, patch.village, patch.group if "group" in given else None)
        codes = split_codes(patch.village)
        for level in ("county", "town", "village"):
            record(level, getattr(subject, f"{level}_code"), codes[level])
            values[f"{level}_code"] = codes[level]
        record("group", subject.group_code, patch.group if "group" in given else None)
        values["group_code"] = patch.group if "group" in given else None
    elif "group" in given:
        if patch.group is not None:
            await check_region(session, subject.village_code, patch.group)
        record("group", subject.group_code, patch.group)
        values["group_code"] = patch.group
    if "status" in given and patch.status:
        record("status", subject.status, patch.status)
        values["status"] = patch.status
    if "consent" in given and patch.consent is not None:
        consent = patch.consent.as_event()
        record("consent", subject.consent, consent)
        values["consent"] = consent
    if "extras" in given and patch.extras is not None:
        record("extras", subject.extras, patch.extras)
        values["extras"] = patch.extras
    details = dict(subject.details)
    if "business_scope" in given:
        record("business_scope", details.get("business_scope"), patch.business_scope)
        details["business_scope"] = patch.business_scope

    pii = files.unseal(cipher, subject.id, subject.pii_enc) if given & {"phone", "members"} else None
    people: list[PersonIn] | None = None
    if pii is not None and "phone" in given:
        holder = pii.setdefault("head", {}) if subject.kind == "household" else pii
        record("phone", holder.get("phone"), patch.phone, personal=True)
        holder["phone"] = patch.phone
        values["phone_masked"] = mask_phone(patch.phone) if patch.phone else None
        if subject.kind == "household":
            details["head"] = {**details["head"], "phone_masked": values["phone_masked"]}
    if pii is not None and "members" in given and patch.members is not None:
        members = patch.members
        await _check_new_members(session, cipher, subject, members)
        before = [(m.get("name"), m.get("id_number"), m.get("phone")) for m in pii.get("members", [])]
        after = [(m.name, m.id_number, m.phone) for m in members]
        public = [files.person_public(m) for m in members]
        if before != after or details.get("members") != public:
            changed.append("members")
            diff["members"] = {"changed": True}  # who the members are is personal: only that it changed
        pii["members"] = [files.person_private(m) for m in members]
        details["members"] = public
        head = pii["head"]
        head_public = details["head"]
        people = [PersonIn(name=head["name"], id_number=head["id_number"], relation="head",
                           political_status=head_public["political_status"], education=head_public["education"],
                           labour=head_public["labour"]), *members]
        await repository.replace_member_identities(session, subject.id, [
            cipher.blind_index(m.id_number) for m in members if m.id_number])
    assets = patch.assets if "assets" in given else None
    debts = patch.debts if "debts" in given else None
    if assets is not None:
        details["assets"] = [files.asset_public(a) for a in assets]
        record("assets", subject.details.get("assets"), details["assets"])
    if debts is not None:
        details["debts"] = [d.model_dump(mode="json") for d in debts]
        record("debts", subject.details.get("debts"), details["debts"])

    merged = dict(subject.profile)
    if "profile" in given and patch.profile is not None:
        merged.update(patch.profile.model_dump(mode="json", include=patch.profile.model_fields_set))
    profile = files.derive_profile(Profile.model_validate(merged), people=people, assets=assets, debts=debts).as_event()
    for key in sorted(set(profile) | set(subject.profile)):
        record(f"profile.{key}", subject.profile.get(key), profile.get(key))
    values["profile"] = profile
    if details != subject.details:
        values["details"] = details
    if pii is not None:
        values["pii_enc"] = files.seal(cipher, subject.id, pii)
    if not changed:
        return subject
    now = utcnow()
    values.update(updated_at=now, updated_by=principal.caller_id)
    if not await repository.save_new_version(session, subject.id, subject.version, values):
        raise version_conflict(subject)
    version = subject.version + 1
    await repository.insert_changes(session, [{"subject_id": subject.id, "version": version, "action": "updated",
                                               "actor": principal.caller_id, "at": now, "changed_fields": changed,
                                               "changes": diff}])
    await session.refresh(subject)
    await emit(session, events.updated(**events.subject_fields(subject), changed_fields=changed,
                                       updated_at=subject.updated_at))
    log.info("subject updated", extra={"subject_id": subject.id, "version": version, "changed_fields": changed})
    return subject


async def _check_new_members(session: AsyncSession, cipher: PIICipher, subject: Subject, members: list[PersonIn]) -> None:
    indexes: dict[str, str] = {}
    head_index = subject.natural_key
    for i, m in enumerate(members):
        if not m.id_number:
            continue
        index = cipher.blind_index(m.id_number)
        if index in indexes or index == head_index:
            raise field_error(f"members[{i}].id_number", Text("listed twice in this household", "在本户中重复列出"))
        indexes[index] = f"members[{i}].id_number"
    for index, (owner, _) in (await repository.identities(session, indexes)).items():
        if owner != subject.id:
            raise duplicate(indexes[index], SAME_PERSON)


def version_conflict(subject: Subject) -> ProblemError:
    return conflict(Text("Version conflict", "版本冲突"),
                    Text(f"the file is at version {subject.version}; reload and try again",
                         f"档案已是第 {subject.version} 版，请重新读取后再试"),
                    type="version-conflict", current_version=subject.version)


async def lookup(session: AsyncSession, cipher: PIICipher, principal: Principal, body: LookupIn) -> Subject | None:
    """Resolve an ID-card number by its blind index; every look-up is logged as a disclosure,
    found or not (the caller's purpose with it)."""
    if body.on_behalf_of and principal.role != Role.service:
        raise field_error("on_behalf_of", Text("only a service identity asks on another's behalf",
                                               "只有服务身份才能代他人查询"))
    subject = await repository.resolve(session, cipher.blind_index(body.id_number))
    if principal.role == Role.officer:
        subject = visible(principal, subject)
    caller = f"{body.on_behalf_of} via {principal.caller_id}" if body.on_behalf_of else principal.caller_id
    await repository.log_disclosure(session, subject_id=subject.id if subject else None, caller=caller,
                                    role=str(principal.role), purpose=body.purpose, channel="lookup",
                                    found=subject is not None)
    log.info("subject look-up", extra={"caller": caller, "found": subject is not None,
                                       "subject_id": subject.id if subject else None, "purpose": body.purpose})
    return subject
