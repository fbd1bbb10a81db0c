"""Request and response models of the base registries (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


POPULATION = "population"
ENTERPRISE = "enterprise"
Database = Literal["population", "enterprise"]

POPULATION_FIELDS: tuple[str, ...] = (
    "full_name",
    "birth_date",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "birth_place",
    "hometown",
    "permanent_residence",
    "current_residence",
    "parents",
    "spouse",
    "household",
    "status",
)
"""What a field grant or consent can name for the population registry (the personal ID is always
returned: the caller sent it)."""

ENTERPRISE_FIELDS: tuple[str, ...] = (
    "names",
    "type",
    "head_office",
    "representative",
    "charter_capital",
    "business_lines",
    "dates",
    "status",
    "branches",
)
"""Everything but `representative` is public by law (Luật Doanh nghiệp 2020 Điều 33); the
representative's personal ID is personal data."""

PUBLIC_ENTERPRISE_FIELDS: tuple[str, ...] = tuple(f for f in ENTERPRISE_FIELDS if f != "representative")

Relation = Literal["father", "mother", "parent", "child", "spouse", "sibling"]


# ------------------------------------------------------------------------------- the exchange side


class VerifyCitizen(Strict):
    """Does the population registry know a living or dead person with these details? (like
    XacThucThongTinCongDan)."""

    personal_id: str = Field(description="12-digit personal ID (số định danh cá nhân)")
    full_name: str = Field(min_length=1, max_length=200, description="Họ và tên, as on the ID card")
    birth_date: str = Field(description="YYYY-MM-DD, YYYY-MM, YYYY or DD/MM/YYYY")


class VerifyResult(BaseModel):
    match: bool = Field(description="True only when the ID exists and name and date of birth agree")


class KinshipQuery(Strict):
    personal_id: str
    relative_personal_id: str
    relation: Relation = Field(description="What the relative is to the person: father, mother, …")


class KinshipResult(BaseModel):
    match: bool


class AccessEntry(BaseModel):
    """One read of a person's data, as shown to that person."""

    accessed_at: datetime
    client: str
    agency_code: str
    agency_name: str = ""
    official: str
    purpose: str
    operation: str
    fields: list[str]
    message_id: str


class NotificationRead(BaseModel):
    id: int
    topic: str
    key: str
    payload: dict[str, Any]
    created_at: datetime


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    next_since: int = Field(description="Pass as `since` to get what came after")


# ------------------------------------------------------------------------------ registry officials


class CitizenCreate(Strict):
    personal_id: str
    family_name: str = Field(min_length=1, max_length=50)
    middle_name: str = Field("", max_length=100)
    given_name: str = Field(min_length=1, max_length=50)
    birth_date: str
    sex: str = Field(description="`sexes` catalogue: 1 male, 2 female")
    ethnicity: str = Field("01", description="`ethnic-groups` catalogue")
    religion: str = Field("00", description="`religions` catalogue")
    nationality: str = Field("VN", description="`nationalities` catalogue (ISO 3166-1 alpha-2)")
    birth_place_commune: str | None = None
    birth_place: str = Field("", max_length=300)
    hometown_commune: str | None = None
    permanent_commune: str | None = None
    permanent_address: str = Field("", max_length=300)
    current_commune: str | None = None
    current_address: str = Field("", max_length=300)
    father_personal_id: str | None = None
    mother_personal_id: str | None = None
    spouse_personal_id: str | None = None
    household_code: str | None = Field(None, max_length=20)
    household_relation: str = Field("", max_length=30)


CORRECTABLE: tuple[str, ...] = (
    "family_name",
    "middle_name",
    "given_name",
    "birth_date",
    "ethnicity",
    "religion",
    "nationality",
    "birth_place_commune",
    "birth_place",
    "hometown_commune",
    "permanent_commune",
    "permanent_address",
    "current_commune",
    "current_address",
    "father_personal_id",
    "mother_personal_id",
    "spouse_personal_id",
    "household_relation",
    "status",
    "death_date",
)


class CitizenCorrection(Strict):
    """A correction (điều chỉnh thông tin) with its reason; only the fields given change."""

    reason: str = Field(min_length=5, max_length=1000, description="Why, and on which document")
    changes: dict[str, Any] = Field(description=f"Field → new value; fields: {', '.join(CORRECTABLE)}")


class ChangeRead(BaseModel):
    version: int
    kind: str
    reason: str
    actor: str
    agency_code: str
    before: dict[str, Any]
    after: dict[str, Any]
    changed_at: datetime


class CitizenSummary(BaseModel):
    personal_id: str
    full_name: str
    birth_date: str
    sex: str
    permanent_commune: str | None
    status: str


class EnterpriseCreate(Strict):
    code: str = Field(description="10 digits, or 13 for a branch (0100233488-001)")
    name_vi: str = Field(min_length=1, max_length=400)
    name_en: str = Field("", max_length=400)
    short_name: str = Field("", max_length=200)
    enterprise_type: str
    head_office_commune: str
    head_office_address: str = Field("", max_length=300)
    representative_personal_id: str | None = None
    charter_capital: int = Field(0, ge=0, description="đồng")
    business_lines: list[dict[str, Any]] = Field(default_factory=list)
    registered_on: date


class EnterpriseChange(Strict):
    reason: str = Field(min_length=5, max_length=1000)
    changes: dict[str, Any]


class EnterpriseSummary(BaseModel):
    code: str
    name_vi: str
    enterprise_type: str
    head_office_commune: str
    status: str


class FieldGrantSet(Strict):
    database: Database
    client: str = Field(description="Client subsystem, VN/GOV/H24/MCDT")
    fields: list[str]
    legal_basis: str = Field(min_length=3, max_length=500)


class FieldGrantRead(BaseModel):
    database: str
    client: str
    fields: list[str]
    legal_basis: str
    granted_by: str
    granted_at: datetime


class ConsentCreate(Strict):
    personal_id: str
    recipient: str = Field(description="The system that may read: VN/GOV/H24/MCDT")
    purpose: str = Field(min_length=3, max_length=500)
    fields: list[str]
    valid_until: date


class ConsentRead(BaseModel):
    id: int
    personal_id: str
    recipient: str
    purpose: str
    fields: list[str]
    valid_until: date
    given_at: datetime
    revoked_at: datetime | None
