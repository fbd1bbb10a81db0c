"""Tables of the base registries, private to the registries component (only its services touch them).

Two registries live here, as two agencies would run them: the population registry (CSDL quốc gia về
dân cư, Ministry of Public Security) and the enterprise registry (CSDL quốc gia về đăng ký doanh
nghiệp, Ministry of Finance). Other systems read them only through the data exchange.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from vnegov.kernel.db import Base, BigId, JSONType, UTCDateTime, utcnow


class Household(Base):
    """A household (hộ gia đình): its code, head and address of permanent residence."""

    __tablename__ = "registries_household"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    head_personal_id: Mapped[str | None] = mapped_column(sa.String(12), nullable=True)
    commune: Mapped[str] = mapped_column(sa.String(10))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Citizen(Base):
    """A citizen (công dân) as the population registry records them.

    Relatives are named by personal ID, not by foreign key: a parent may have died before the
    registry began or live abroad. Residences and places are commune codes of the admin-units
    catalogue; `*_address` is the street part. The date of birth may be partial (year, or year and
    month). `version` grows with every change; `CitizenChange` keeps what each change was.
    """

    __tablename__ = "registries_citizen"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    personal_id: Mapped[str] = mapped_column(sa.String(12), unique=True)
    family_name: Mapped[str] = mapped_column(sa.String(50))
    middle_name: Mapped[str] = mapped_column(sa.String(100), default="")
    given_name: Mapped[str] = mapped_column(sa.String(50))
    name_folded: Mapped[str] = mapped_column(sa.String(200), index=True)
    birth_year: Mapped[int] = mapped_column(sa.SmallInteger)
    birth_month: Mapped[int | None] = mapped_column(sa.SmallInteger, nullable=True)
    birth_day: Mapped[int | None] = mapped_column(sa.SmallInteger, nullable=True)
    sex: Mapped[str] = mapped_column(sa.String(1))
    ethnicity: Mapped[str] = mapped_column(sa.String(4))
    religion: Mapped[str] = mapped_column(sa.String(4))
    nationality: Mapped[str] = mapped_column(sa.String(2))
    birth_place_commune: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    birth_place: Mapped[str] = mapped_column(sa.String(300), default="")
    hometown_commune: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    permanent_commune: Mapped[str | None] = mapped_column(sa.String(10), nullable=True, index=True)
    permanent_address: Mapped[str] = mapped_column(sa.String(300), default="")
    current_commune: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    current_address: Mapped[str] = mapped_column(sa.String(300), default="")
    father_personal_id: Mapped[str | None] = mapped_column(sa.String(12), nullable=True, index=True)
    mother_personal_id: Mapped[str | None] = mapped_column(sa.String(12), nullable=True, index=True)
    spouse_personal_id: Mapped[str | None] = mapped_column(sa.String(12), nullable=True)
    household_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registries_household.id"), nullable=True, index=True
    )
    household_relation: Mapped[str] = mapped_column(sa.String(30), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="living")
    death_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Enterprise(Base):
    """An enterprise, branch or representative office (doanh nghiệp, chi nhánh) in the enterprise registry.

    `code` is compact (10 digits, 13 for a branch); `business_lines` lists VSIC codes, the main
    line flagged. Charter capital is in đồng.
    """

    __tablename__ = "registries_enterprise"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(13), unique=True)
    parent_code: Mapped[str | None] = mapped_column(sa.String(10), nullable=True, index=True)
    name_vi: Mapped[str] = mapped_column(sa.String(400))
    name_en: Mapped[str] = mapped_column(sa.String(400), default="")
    short_name: Mapped[str] = mapped_column(sa.String(200), default="")
    name_folded: Mapped[str] = mapped_column(sa.String(1000), index=True)
    enterprise_type: Mapped[str] = mapped_column(sa.String(10))
    head_office_commune: Mapped[str] = mapped_column(sa.String(10))
    head_office_address: Mapped[str] = mapped_column(sa.String(300), default="")
    representative_personal_id: Mapped[str | None] = mapped_column(sa.String(12), nullable=True, index=True)
    charter_capital: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    business_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    registered_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(12), default="active")
    status_since: Mapped[date] = mapped_column(sa.Date)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecordChange(Base):
    """One change to a registry record (lịch sử thay đổi): who, when, why, and the fields before/after."""

    __tablename__ = "registries_change"
    __table_args__ = (sa.Index("ix_registries_change_record", "database", "record_key", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    database: Mapped[str] = mapped_column(sa.String(20))  # population | enterprise
    record_key: Mapped[str] = mapped_column(sa.String(13))  # personal ID or enterprise code
    version: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(20))  # registered, corrected, died, moved, status
    reason: Mapped[str] = mapped_column(sa.String(1000), default="")
    actor: Mapped[str] = mapped_column(sa.String(300))
    agency_code: Mapped[str] = mapped_column(sa.String(40), default="")
    before: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FieldGrant(Base):
    """Which fields of a registry a client system may read (phạm vi dữ liệu được chia sẻ).

    The exchange's access right decides whether a system may call the read service at all; this
    grant, kept by the registry that owns the data, decides which fields it gets (data minimisation,
    Decree 13/2023 Art. 3). `legal_basis` names the law or agreement that allows the sharing.
    """

    __tablename__ = "registries_field_grant"
    __table_args__ = (sa.UniqueConstraint("database", "client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    database: Mapped[str] = mapped_column(sa.String(20))  # population | enterprise
    client: Mapped[str] = mapped_column(sa.String(1100))  # subsystem id VN/GOV/H24/MCDT
    fields: Mapped[list[str]] = mapped_column(JSONType, default=list)
    legal_basis: Mapped[str] = mapped_column(sa.String(500))
    granted_by: Mapped[str] = mapped_column(sa.String(300))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Base):
    """A citizen's consent (sự đồng ý) that a system may read more of their data than the law allows by
    itself (Decree 13/2023 Art. 11): which fields, for what purpose, until when; revocable."""

    __tablename__ = "registries_consent"
    __table_args__ = (sa.Index("ix_registries_consent_subject", "personal_id", "recipient"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    personal_id: Mapped[str] = mapped_column(sa.String(12))
    recipient: Mapped[str] = mapped_column(sa.String(1100))
    purpose: Mapped[str] = mapped_column(sa.String(500))
    fields: Mapped[list[str]] = mapped_column(JSONType, default=list)
    valid_until: Mapped[date] = mapped_column(sa.Date)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(sa.String(300))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DataAccess(Base):
    """One read of a person's data (nhật ký truy cập dữ liệu cá nhân): the system and official who read,
    why, which fields, under which exchange message. Shown to the person ("who looked at my data")."""

    __tablename__ = "registries_data_access"
    __table_args__ = (sa.Index("ix_registries_data_access_subject", "personal_id", "accessed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    personal_id: Mapped[str] = mapped_column(sa.String(12))
    accessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client: Mapped[str] = mapped_column(sa.String(1100))
    agency_code: Mapped[str] = mapped_column(sa.String(255))
    official: Mapped[str] = mapped_column(sa.String(300), default="")
    purpose: Mapped[str] = mapped_column(sa.String(1000))
    operation: Mapped[str] = mapped_column(sa.String(30))  # verify | read | kinship | search | …
    fields: Mapped[list[str]] = mapped_column(JSONType, default=list)
    message_id: Mapped[str] = mapped_column(sa.String(200), default="")
    found: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class Notification(Base):
    """A change that subscribers are told of (thông báo thay đổi): a death, a move, an enterprise's
    status; read as a feed (`since` = the last id seen), and queued on the outbox for in-platform
    handlers."""

    __tablename__ = "registries_notification"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    database: Mapped[str] = mapped_column(sa.String(20))  # population | enterprise
    topic: Mapped[str] = mapped_column(sa.String(60))
    record_key: Mapped[str] = mapped_column(sa.String(13))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
