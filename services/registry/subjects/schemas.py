"""Payloads of the four kinds of credit subject and their files (一户一档).

The scoring inputs (``profile``) are typed; they are what the events carry to rating. Personal
data goes in (names, ID-card and phone numbers) but only masked copies ever come out."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from common.i18n import Text, TextError
from common.pii import id_number_problem, normalize_id_number, phone_problem
from registry.fields import Area, Money, NonNegativeMoney, money_str
from registry.regions.codes import code_problem

Kind = Literal["household", "new_entity", "collective", "village"]
EducationLevel = Literal["none", "primary", "junior", "senior", "college", "university"]
PoliticalStatus = Literal["party_member", "probationary_member", "league_member", "masses", "other"]
Relation = Literal["head", "spouse", "child", "parent", "sibling", "grandchild", "in_law", "other"]
EntityType = Literal["family_farm", "cooperative", "company"]
Scope = Literal["rating", "lending", "merchant", "benefits", "statistics"]
Count = Annotated[int, Field(ge=0, le=100_000)]

_LOOKS_PERSONAL = re.compile(r"(?<!\d)(\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")
# Unified social credit code (统一社会信用代码, GB 32100-2015).
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def uscc_problem(value: str) -> Text | None:
    if len(value) != 18 or any(c not in _USCC_CHARS for c in value):
        return Text("must be an 18-character unified social credit code", "应为 18 位的统一社会信用代码")
    if uscc_check_char(value[:17]) != value[17]:
        return Text("the check character does not match (GB 32100)", "校验码不符（GB 32100）")
    return None


def _check_region_code(v: str | None) -> str | None:
    if v is None:
        return None
    v = v.strip()
    problem = code_problem(v)
    if problem:
        raise TextError(problem)
    return v


class Consent(BaseModel):
    """The subject's consent to the use of its credit information (授权)."""

    model_config = ConfigDict(extra="forbid")
    given: bool = False
    date: dt.date | None = None
    scopes: list[Scope] = Field(default_factory=list, max_length=5)

    def as_event(self) -> dict[str, Any]:
        return {"given": self.given, "date": self.date.isoformat() if self.date else None,
                "scopes": sorted(set(self.scopes))}


class ConsentOut(BaseModel):
    """The consent on file (授权): given or not, when, and to which uses."""

    given: bool = False
    date: str | None = Field(None, description="the day it was given, YYYY-MM-DD")
    scopes: list[str] = Field(default_factory=list, description="rating, lending, merchant, benefits, statistics")


class Profile(BaseModel):
    """Scoring inputs of the indicator systems, typed (money as exact decimals)."""

    model_config = ConfigDict(extra="forbid")
    members_count: Count | None = None
    labour_count: Count | None = None
    party_members: Count | None = None
    max_education: EducationLevel | None = None
    annual_income: Money | None = None
    land_mu: Area | None = None
    agri_assets_value: NonNegativeMoney | None = None
    other_assets_value: NonNegativeMoney | None = None
    industry: str | None = Field(None, max_length=80)
    production_years: Annotated[int, Field(ge=0, le=200)] | None = None
    entity_type: EntityType | None = None
    employees: Count | None = None
    annual_revenue: Money | None = None
    debts_outstanding: NonNegativeMoney | None = None
    private_borrowing: NonNegativeMoney | None = None
    overdue_count: Count | None = None
    overdue_months_max: Annotated[int, Field(ge=0, le=1200)] | None = None
    pboc_report_clean: bool | None = None
    households_count: Count | None = None
    collective_income: Money | None = None

    def as_event(self) -> dict[str, Any]:
        """The event/JSON form: money as "0.00" strings, absent fields left out. By hand: the
        serializer with per-field callbacks costs more than a whole import row's encryption."""
        return {k: (f"{v:.2f}" if isinstance(v, Decimal) else v) for k, v in self.__dict__.items() if v is not None}


class PersonIn(BaseModel):
    """The head of the household, a member, or an entity's legal representative."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=40)
    id_number: str | None = Field(None, description="resident ID-card number (GB 11643); stored encrypted")
    phone: str | None = Field(None, description="mobile number; stored encrypted")
    relation: Relation = "other"
    political_status: PoliticalStatus = "masses"
    education: EducationLevel | None = None
    labour: bool = Field(False, description="counts as household labour (劳动力)")

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v is None:
            return None
        problem = id_number_problem(v)
        if problem:
            raise TextError(problem)
        return normalize_id_number(v)

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is None:
            return None
        problem = phone_problem(v)
        if problem:
            raise TextError(problem)
        return v.strip()


class HeadIn(PersonIn):
    id_number: str = Field(description="resident ID-card number (GB 11643); stored encrypted")  # type: ignore[assignment]
    relation: Relation = "head"


class AssetIn(BaseModel):
    """An agricultural asset with the inputs of the county's valuation method (涉农资产评估办法):
    value = quantity × unit value."""

    model_config = ConfigDict(extra="forbid")
    category: Literal["land", "machinery", "livestock", "buildings", "crops", "facilities", "other"]
    description: str | None = Field(None, max_length=120)
    quantity: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2), PlainSerializer(money_str, return_type=str)]
    unit: str = Field(min_length=1, max_length=16, description="mu (亩), head, set, m2 ...")
    unit_value: NonNegativeMoney

    @property
    def value(self) -> Decimal:
        return (self.quantity * self.unit_value).quantize(Decimal("0.01"))


class DebtIn(BaseModel):
    """An existing debt and its repayment record (no lender names: a private lender is a person)."""

    model_config = ConfigDict(extra="forbid")
    lender_type: Literal["bank", "credit_union", "microfinance", "private", "other"]
    outstanding: NonNegativeMoney
    overdue_months: Annotated[int, Field(ge=0, le=1200)] = 0


Extras = dict[str, str | int | float | bool | None]


class _FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    village: str = Field(description="12-digit village code; it must be a known region")
    group: str | None = Field(None, description="village group (村民组) code, inside the village")
    profile: Profile = Field(default_factory=Profile)
    consent: Consent = Field(default_factory=Consent)
    extras: Extras = Field(default_factory=dict, max_length=50,
                           description="structured extras of the file that no indicator uses; never personal data")

    _village = field_validator("village")(_check_region_code)
    _group = field_validator("group")(_check_region_code)

    @field_validator("extras")
    @classmethod
    def _extras(cls, v: Extras | None) -> Extras | None:
        if v is None:  # a patch that leaves the extras as they are
            return v
        for key, value in v.items():
            if len(key) > 40 or (isinstance(value, str) and len(value) > 500):
                raise TextError(Text(f"{key}: keys up to 40 and texts up to 500 characters",
                                     f"{key}：键最多 40 个字符，文本最多 500 个字符"))
            if isinstance(value, str) and _LOOKS_PERSONAL.search(value):
                raise TextError(Text(f"{key}: looks like an ID-card or phone number; those go in their own fields",
                                     f"{key}：看起来是身份证号或手机号，这些须填在各自的字段中"))
        return v


class HouseholdIn(_FileIn):
    """A farm household (农户): the head, the members, land and assets, production, debts."""

    kind: Literal["household"] = "household"
    head: HeadIn
    members: list[PersonIn] = Field(default_factory=list, max_length=30)
    assets: list[AssetIn] = Field(default_factory=list, max_length=100)
    debts: list[DebtIn] = Field(default_factory=list, max_length=50)


class EntityIn(_FileIn):
    """A new agricultural business entity (新型农业经营主体): family farm, cooperative or company."""

    kind: Literal["new_entity"] = "new_entity"
    name: str = Field(min_length=1, max_length=120)
    entity_type: EntityType
    registration_number: str = Field(description="unified social credit code (统一社会信用代码)")
    legal_representative: PersonIn | None = None
    phone: str | None = None
    business_scope: str | None = Field(None, max_length=500)
    assets: list[AssetIn] = Field(default_factory=list, max_length=100)
    debts: list[DebtIn] = Field(default_factory=list, max_length=50)

    @field_validator("registration_number")
    @classmethod
    def _uscc(cls, v: str) -> str:
        v = v.strip().upper()
        problem = uscc_problem(v)
        if problem:
            raise TextError(problem)
        return v

    _phone = field_validator("phone")(PersonIn._phone.__func__)  # type: ignore[attr-defined]


class CollectiveIn(_FileIn):
    """The village collective economic organisation (村集体经济组织): one per village."""

    kind: Literal["collective"] = "collective"
    name: str = Field(min_length=1, max_length=120)
    registration_number: str | None = None
    phone: str | None = None
    assets: list[AssetIn] = Field(default_factory=list, max_length=100)

    _phone = field_validator("phone")(PersonIn._phone.__func__)  # type: ignore[attr-defined]


class VillageIn(_FileIn):
    """The administrative village (行政村) itself, rated as a credit village (信用村)."""

    kind: Literal["village"] = "village"
    name: str | None = Field(None, max_length=120, description="defaults to the region's name")


SubjectIn = HouseholdIn | EntityIn | CollectiveIn | VillageIn
MODELS: dict[str, type[_FileIn]] = {"household": HouseholdIn, "new_entity": EntityIn,
                                    "collective": CollectiveIn, "village": VillageIn}


class SubjectPatch(BaseModel):
    """A change to a file. Only the fields given change; ``profile`` merges field by field."""

    model_config = ConfigDict(extra="forbid")
    expected_version: int | None = Field(None, ge=1, description="refuse (409) if the file moved on meanwhile")
    village: str | None = Field(None, description="a move (迁居) to another village: the 12-digit code of a known "
                                "village; ``group`` is then one of its groups or left out (none)")
    group: str | None = None
    status: Literal["active", "archived"] | None = None
    phone: str | None = None
    profile: Profile | None = None
    consent: Consent | None = None
    members: list[PersonIn] | None = Field(None, max_length=30)
    assets: list[AssetIn] | None = Field(None, max_length=100)
    debts: list[DebtIn] | None = Field(None, max_length=50)
    business_scope: str | None = Field(None, max_length=500)
    extras: Extras | None = None

    _codes = field_validator("village", "group")(_check_region_code)
    _phone = field_validator("phone")(PersonIn._phone.__func__)  # type: ignore[attr-defined]
    _extras = field_validator("extras")(_FileIn._extras.__func__)  # type: ignore[attr-defined]


class RegionCodes(BaseModel):
    county: str
    town: str
    village: str
    group: str | None = None


class SubjectOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "hh-3a9f", "kind": "household", "status": "active", "version": 3, "region": {"county": "341181", "town": "341181100", "village": "341181100201", "group": None}, "name": None, "masked_name": "张*", "id_number_masked": "3411**********123X", "phone_masked": "138****5678", "registration_number": None, "entity_type": None, "profile": {"members_count": 4, "annual_income": "120000.00", "land_mu": "30"}, "details": {}, "consent": {"given": True, "date": "2026-03-01", "scopes": ["rating", "lending", "merchant", "statistics"]}, "extras": {}, "created_at": "2026-03-01T02:00:00Z", "updated_at": "2026-11-25T08:00:00Z"}]})
    id: str
    kind: Kind
    status: str
    version: int
    region: RegionCodes
    name: str | None = Field(None, description="organisations only; a household shows masked_name")
    masked_name: str
    id_number_masked: str | None = None
    phone_masked: str | None = None
    registration_number: str | None = None
    entity_type: str | None = None
    profile: dict[str, Any]
    details: dict[str, Any]
    consent: ConsentOut
    extras: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


class SubjectPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [{"id": "hh-3a9f", "kind": "household", "status": "active", "version": 3, "region": {"county": "341181", "town": "341181100", "village": "341181100201", "group": None}, "name": None, "masked_name": "张*", "id_number_masked": "3411**********123X", "phone_masked": "138****5678", "registration_number": None, "entity_type": None, "profile": {"members_count": 4, "annual_income": "120000.00", "land_mu": "30"}, "details": {}, "consent": {"given": True, "date": "2026-03-01", "scopes": ["rating", "lending", "merchant", "statistics"]}, "extras": {}, "created_at": "2026-03-01T02:00:00Z", "updated_at": "2026-11-25T08:00:00Z"}], "next_after": None}]})
    items: list[SubjectOut]
    next_after: str | None = Field(None, description="pass as ?after= for the next page")


class ChangeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 3, "action": "updated", "actor": "officer-tc", "at": "2026-11-25T08:00:00Z", "changed_fields": ["profile.annual_income"], "changes": {"profile.annual_income": {"old": "100000.00", "new": "120000.00"}}}]})
    version: int
    action: str
    actor: str
    at: dt.datetime
    changed_fields: list[str]
    changes: dict[str, Any]


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(description="resident ID-card number of the head or a member")
    purpose: str = Field("credit_check", min_length=1, max_length=40, pattern=r"^[a-z_]+$",
                         description="why the caller asks; logged with the disclosure")
    on_behalf_of: str | None = Field(None, max_length=90, pattern=r"^bank:[A-Za-z0-9_.-]+$",
                                     description="a service identity asking for a partner bank names it "
                                                 "(bank:<id>); logged as the caller")

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str) -> str:
        problem = id_number_problem(v)
        if problem:
            raise TextError(problem)
        return normalize_id_number(v)


class LookupOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"subject_id": "hh-3a9f", "kind": "household", "region": {"county": "341181", "town": "341181100", "village": "341181100201", "group": None}, "masked_name": "张*", "status": "active"}]})
    subject_id: str
    kind: Kind
    region: RegionCodes
    masked_name: str
    status: str


class DisclosureOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 88, "caller": "bank:bank-tcrcb", "role": "service", "purpose": "credit_check", "channel": "lookup", "found": True, "at": "2026-11-25T08:00:00Z"}]})
    id: int
    caller: str
    role: str
    purpose: str
    channel: str
    found: bool
    at: dt.datetime
