"""What the catalogue service's modules share: constants, rows and their schemas, validity by date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.catalogs import schemas
from vnegov.catalogs.errors import CatalogNotFound
from vnegov.catalogs.models import Catalog, CatalogItem

PLATFORM_ADMIN = "platform-admin"
EVENT_TOPIC = "catalogs.item.changed"
Progress = Callable[[int], None]


def catalog_row(session: Session, code: str) -> Catalog:
    row = session.scalar(sa.select(Catalog).where(Catalog.code == code))
    if row is None:
        raise CatalogNotFound(code)
    return row


def catalog_read(row: Catalog, item_count: int = 0) -> schemas.CatalogRead:
    return schemas.CatalogRead(
        code=row.code,
        name_vi=row.name_vi,
        name_en=row.name_en,
        owner_agency=row.owner_agency,
        decision=row.decision,
        description=row.description,
        source=row.source,
        licence=row.licence,
        levels=list(row.levels or []),
        fields=[schemas.FieldSchema(**f) for f in row.fields or []],
        revision=row.revision,
        item_count=item_count,
        updated_at=row.updated_at,
    )


def item_read(row: CatalogItem) -> schemas.ItemRead:
    return schemas.ItemRead(
        code=row.code,
        name_vi=row.name_vi,
        name_en=row.name_en,
        parent_code=row.parent_code,
        level=row.level,
        attributes=dict(row.attributes or {}),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )


def valid_on_clause(on: date | sa.BindParameter[date]) -> sa.ColumnElement[bool]:
    return sa.and_(
        sa.or_(CatalogItem.valid_from.is_(None), CatalogItem.valid_from <= on),
        sa.or_(CatalogItem.valid_to.is_(None), CatalogItem.valid_to >= on),
    )


WROTE = "catalogs.wrote"


def versions_of(session: Session, catalog_id: int, code: str) -> list[CatalogItem]:
    rows = session.scalars(
        sa.select(CatalogItem).where(CatalogItem.catalog_id == catalog_id, CatalogItem.code == code)
    ).all()
    return sorted(rows, key=lambda r: r.valid_from or date.min)


def version_on(versions: list[CatalogItem], on: date) -> CatalogItem | None:
    for v in versions:
        if (v.valid_from is None or v.valid_from <= on) and (v.valid_to is None or v.valid_to >= on):
            return v
    return None
