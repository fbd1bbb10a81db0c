"""Bulk import (nạp dữ liệu): a catalogue source loaded or reconciled in one transaction."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.catalogs import schemas
from vnegov.catalogs.errors import InvalidItem
from vnegov.catalogs.models import Catalog, CatalogChange, CatalogItem, Crosswalk
from vnegov.catalogs.service.common import Progress
from vnegov.catalogs.service.reads import access_catalog, iter_versions, list_crosswalks
from vnegov.catalogs.service.writes import check_dates, create_catalog, folded_text, lock_for_write
from vnegov.catalogs.sources import CatalogSource, CrosswalkRecord, ItemRecord
from vnegov.kernel import audit, outbox
from vnegov.kernel.context import Principal
from vnegov.kernel.db import utcnow
from vnegov.kernel.text import nfc


def _validate_batch(source_code: str, records: list[ItemRecord]) -> None:
    """Reject overlapping versions of one code and versions whose dates are out of order."""
    by_code: dict[str, list[ItemRecord]] = {}
    for r in records:
        check_dates(r.valid_from, r.valid_to)
        by_code.setdefault(r.code, []).append(r)
    for code, versions in by_code.items():
        versions.sort(key=lambda v: v.valid_from or date.min)
        for a, b in itertools.pairwise(versions):
            if a.valid_to is None or b.valid_from is None or a.valid_to >= b.valid_from:
                raise InvalidItem(
                    f"{source_code}: versions of '{code}' overlap", field="valid_from", code_=code
                )


def import_source(
    session: Session,
    *,
    actor: Principal,
    source: CatalogSource,
    progress: Progress | None = None,
    batch_size: int = 2000,
) -> dict[str, int]:
    """Load a published catalogue: create it if new, then add the item versions and crosswalk rows
    it does not have yet. Idempotent: importing the same source twice adds nothing the second time.
    """
    row = session.scalar(sa.select(Catalog).where(Catalog.code == source.code))
    if row is None:
        create_catalog(
            session,
            actor=actor,
            catalog_in=schemas.CatalogCreate(
                code=source.code,
                name_vi=source.name_vi,
                name_en=source.name_en,
                owner_agency=source.owner_agency,
                decision=source.decision,
                description=source.description,
                source=source.source,
                licence=source.licence,
                levels=list(_levels_of(source)),
                fields=[
                    schemas.FieldSchema(
                        name=f.name,
                        type=f.type,
                        label_vi=f.label_vi,
                        label_en=f.label_en,
                        required=f.required,
                    )
                    for f in source.fields
                ],
            ),
        )
    row = lock_for_write(session, actor, source.code)
    records = list(source.items())
    _validate_batch(source.code, records)
    existing = set(
        session.execute(
            sa.select(CatalogItem.code, CatalogItem.valid_from).where(CatalogItem.catalog_id == row.id)
        ).all()
    )
    fresh = [r for r in records if (r.code, r.valid_from) not in existing]
    added = _bulk_insert_items(session, row, fresh, progress, batch_size)
    xw_added = _bulk_insert_crosswalks(session, row, list(source.crosswalks()))
    summary = {"items": added, "crosswalks": xw_added, "skipped": len(records) - len(fresh)}
    audit.record(
        session,
        actor=actor,
        action="catalogs.catalog.import",
        object_type="catalog",
        object_id=row.code,
        after={**summary, "source": source.source},
    )
    if added or xw_added:
        outbox.emit(session, "catalogs.catalog.imported", {"catalog": row.code, **summary})
    return summary


def _levels_of(source: CatalogSource) -> tuple[str, ...]:
    """The catalogue's levels from the top: admin units in their legal order; any other hierarchy by
    how far its items sit below a root (VSIC: section, division, group, class, subclass)."""
    order = {"province": 0, "district": 1, "commune": 2}
    records = list(source.items())
    parents = {r.code: r.parent_code for r in records}

    def depth(code: str) -> int:
        steps, seen = 0, {code}
        while (parent := parents.get(code)) and parent not in seen and steps < 16:
            steps, code = steps + 1, parent
            seen.add(code)
        return steps

    shallowest: dict[str, int] = {}
    for r in records:
        if r.level:
            shallowest[r.level] = min(shallowest.get(r.level, 99), depth(r.code))
    return tuple(sorted(shallowest, key=lambda lv: (order.get(lv, 10 + shallowest[lv]), lv)))


def _bulk_insert_items(
    session: Session, catalog: Catalog, records: list[ItemRecord], progress: Progress | None, batch_size: int
) -> int:
    now = utcnow()
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        rows = [_record_row(catalog.id, r, now) for r in batch]
        session.execute(sa.insert(CatalogItem), rows)
        session.execute(
            sa.insert(CatalogChange),
            [
                {
                    "catalog_id": catalog.id,
                    "item_code": r["code"],
                    "change": "imported",
                    "at": now,
                    "data": {"after": _row_snapshot(r)},
                }
                for r in rows
            ],
        )
        if progress is not None:
            progress(len(batch))
    return len(records)


def _record_row(catalog_id: int, r: ItemRecord, now: Any) -> dict[str, Any]:
    name_vi = nfc(r.name_vi)
    return {
        "catalog_id": catalog_id,
        "code": r.code,
        "name_vi": name_vi,
        "name_en": r.name_en,
        "search_text": folded_text(r.code, name_vi, r.name_en),
        "parent_code": r.parent_code,
        "level": r.level,
        "attributes": dict(r.attributes),
        "valid_from": r.valid_from,
        "valid_to": r.valid_to,
        "created_at": now,
    }


def _row_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("code", "name_vi", "name_en", "parent_code", "level", "attributes")
    snap = {k: row[k] for k in keys}
    snap["valid_from"] = row["valid_from"].isoformat() if row["valid_from"] else None
    snap["valid_to"] = row["valid_to"].isoformat() if row["valid_to"] else None
    return snap


def _bulk_insert_crosswalks(session: Session, catalog: Catalog, records: list[CrosswalkRecord]) -> int:
    existing = set(
        session.execute(
            sa.select(Crosswalk.from_code, Crosswalk.to_code, Crosswalk.effective).where(
                Crosswalk.catalog_id == catalog.id
            )
        ).all()
    )
    fresh = [r for r in records if (r.from_code, r.to_code, r.effective) not in existing]
    if fresh:
        session.execute(
            sa.insert(Crosswalk),
            [
                {
                    "catalog_id": catalog.id,
                    "from_code": r.from_code,
                    "to_code": r.to_code,
                    "effective": r.effective,
                    "kind": r.kind,
                    "note": r.note[:500],
                }
                for r in fresh
            ],
        )
    return len(fresh)


def source_from_export(data: dict[str, Any]) -> CatalogSource:
    """A `CatalogSource` from the JSON that `export` writes (for `vnegov catalogs import FILE`)."""
    from vnegov.catalogs.sources import FieldSpec

    try:
        meta = data["catalog"]
        items = [
            ItemRecord(
                code=i["code"],
                name_vi=i["name_vi"],
                name_en=i.get("name_en", ""),
                parent_code=i.get("parent_code"),
                level=i.get("level"),
                attributes=i.get("attributes") or {},
                valid_from=date.fromisoformat(i["valid_from"]) if i.get("valid_from") else None,
                valid_to=date.fromisoformat(i["valid_to"]) if i.get("valid_to") else None,
            )
            for i in data.get("items", [])
        ]
        crosswalks = [
            CrosswalkRecord(
                from_code=c["from_code"],
                to_code=c["to_code"],
                effective=date.fromisoformat(c["effective"]),
                kind=c.get("kind", "merge"),
                note=c.get("note", ""),
            )
            for c in data.get("crosswalks", [])
        ]
        fields = tuple(
            FieldSpec(
                name=f["name"],
                type=f.get("type", "string"),
                label_vi=f.get("label_vi", ""),
                label_en=f.get("label_en", ""),
                required=f.get("required", False),
            )
            for f in meta.get("fields", [])
        )
        return CatalogSource(
            code=meta["code"],
            name_vi=meta["name_vi"],
            name_en=meta["name_en"],
            owner_agency=meta["owner_agency"],
            decision=meta.get("decision", ""),
            description=meta.get("description", ""),
            fields=fields,
            items=lambda: items,
            crosswalks=lambda: crosswalks,
            source=meta.get("source", ""),
            licence=meta.get("licence", ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidItem(f"not a vnegov catalogue export: {exc}", field="file") from None


def export_document(session: Session, catalog: str, *, valid_on: date | None = None) -> dict[str, Any]:
    """The whole catalogue (metadata, every item version, crosswalk) as one JSON-ready document."""
    meta = access_catalog(session, catalog)
    return {
        "catalog": meta.model_dump(mode="json", exclude={"item_count", "revision", "updated_at"}),
        "revision": meta.revision,
        "valid_on": valid_on.isoformat() if valid_on else None,
        "items": [i.model_dump(mode="json") for i in iter_versions(session, catalog, valid_on=valid_on)],
        "crosswalks": [c.model_dump(mode="json") for c in list_crosswalks(session, catalog)],
    }


def with_items(source: CatalogSource, items: Iterable[ItemRecord]) -> CatalogSource:
    materialised = list(items)
    return replace(source, items=lambda: materialised)
