"""Catalogue tables, private to the catalogs component (only `service` touches them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from vnegov.kernel.db import Base, BigId, JSONType, UTCDateTime, utcnow


class Catalog(Base):
    """A catalogue (danh mục): its code, names, owner agency, issuing decision and field schema.

    `revision` grows by one on every change to the catalogue or its items; it keys ETags.
    """

    __tablename__ = "catalogs_catalog"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    owner_agency: Mapped[str] = mapped_column(sa.String(40), index=True)
    decision: Mapped[str] = mapped_column(sa.String(500), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.Text, default="")
    licence: Mapped[str] = mapped_column(sa.String(300), default="")
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    levels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    revision: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CatalogItem(Base):
    """One version of an item (mục danh mục): a code with its names and place over a date range.

    A code keeps its identity for ever (Decision 124/2004/QĐ-TTg): renaming or moving it under a new
    parent closes the current version and opens a new one; retiring it closes the last version.
    `valid_from` NULL means "since before the records begin"; `valid_to` is the last valid day.
    """

    __tablename__ = "catalogs_item"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    catalog_id: Mapped[int] = mapped_column(sa.ForeignKey("catalogs_catalog.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(64))
    name_vi: Mapped[str] = mapped_column(sa.String(500))
    name_en: Mapped[str] = mapped_column(sa.String(500), default="")
    search_text: Mapped[str] = mapped_column(sa.String(1200), default="")
    parent_code: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    level: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    valid_from: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.Index("ix_catalogs_item_code", "catalog_id", "code"),
        sa.Index("ix_catalogs_item_parent", "catalog_id", "parent_code"),
        sa.Index("ix_catalogs_item_level", "catalog_id", "level", "valid_from"),
        sa.UniqueConstraint("catalog_id", "code", "valid_from", name="uq_catalogs_item_version"),
    )


class Crosswalk(Base):
    """An old code and the code that took its place from `effective` on (bảng chuyển đổi)."""

    __tablename__ = "catalogs_crosswalk"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    catalog_id: Mapped[int] = mapped_column(sa.ForeignKey("catalogs_catalog.id", ondelete="CASCADE"))
    from_code: Mapped[str] = mapped_column(sa.String(64))
    to_code: Mapped[str] = mapped_column(sa.String(64))
    effective: Mapped[date] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    __table_args__ = (
        sa.Index("ix_catalogs_crosswalk_from", "catalog_id", "from_code"),
        sa.Index("ix_catalogs_crosswalk_to", "catalog_id", "to_code"),
    )


class CatalogChange(Base):
    """An entry of the change feed (nhật ký thay đổi): subscribers read `seq > since` to stay in sync."""

    __tablename__ = "catalogs_change"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    catalog_id: Mapped[int] = mapped_column(sa.ForeignKey("catalogs_catalog.id", ondelete="CASCADE"))
    item_code: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    change: Mapped[str] = mapped_column(sa.String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (sa.Index("ix_catalogs_change_catalog", "catalog_id", "seq"),)
