"""Writes (cập nhật): catalogues created, items added, changed, retired, split and merged; each
audited, on the change feed and announced."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.catalogs import schemas
from vnegov.catalogs.errors import CatalogExists, CodeRetired, CodeTaken, InvalidItem, ItemNotFound, NotOwner
from vnegov.catalogs.models import Catalog, CatalogChange, CatalogItem, Crosswalk
from vnegov.catalogs.service.common import (
    EVENT_TOPIC,
    PLATFORM_ADMIN,
    WROTE,
    catalog_read,
    catalog_row,
    item_read,
    valid_on_clause,
    version_on,
    versions_of,
)
from vnegov.catalogs.service.reads import access_item, get_item
from vnegov.kernel import audit, outbox
from vnegov.kernel.clock import today_vn
from vnegov.kernel.context import Principal
from vnegov.kernel.db import utcnow
from vnegov.kernel.errors import Conflict
from vnegov.kernel.text import fold, nfc


def _check_owner(actor: Principal, owner_agency: str) -> None:
    if actor.has_role(PLATFORM_ADMIN) or actor.has_role("system"):
        return
    if actor.agency_code != owner_agency:
        raise NotOwner(
            f"only the owner agency {owner_agency} may change this catalogue", owner_agency=owner_agency
        )


def lock_for_write(session: Session, actor: Principal, code: str) -> Catalog:
    """The catalogue row, checked for ownership, with its revision bumped (and row-locked)."""
    row = catalog_row(session, code)
    _check_owner(actor, row.owner_agency)
    session.info[WROTE] = True
    session.execute(
        sa.update(Catalog)
        .where(Catalog.id == row.id)
        .values(revision=Catalog.revision + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    return row


def folded_text(code: str, name_vi: str, name_en: str) -> str:
    return f"{fold(name_vi)} | {fold(name_en)} | {code.lower()}"[:1200]


def _snapshot(row: CatalogItem) -> dict[str, Any]:
    return item_read(row).model_dump(mode="json")


def _record_change(
    session: Session,
    actor: Principal,
    catalog: Catalog,
    code: str,
    change: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str = "",
) -> None:
    data = (
        {"before": before, "after": after, "reason": reason} if reason else {"before": before, "after": after}
    )
    session.add(CatalogChange(catalog_id=catalog.id, item_code=code, change=change, data=data))
    audit.record(
        session,
        actor=actor,
        action=f"catalogs.item.{change}",
        object_type="catalog_item",
        object_id=f"{catalog.code}/{code}",
        before=before,
        after=after,
    )
    outbox.emit(session, EVENT_TOPIC, {"catalog": catalog.code, "code": code, "change": change})


AGENCIES = "agencies"


def _check_agency_exists(session: Session, agency_code: str) -> None:
    """The owner must be a current agency of the agencies catalogue, once that catalogue exists."""
    if session.scalar(sa.select(Catalog.id).where(Catalog.code == AGENCIES)) is None:
        return  # bootstrapping: the agencies catalogue itself is being created
    if get_item(session, AGENCIES, agency_code) is None:
        raise InvalidItem(
            f"'{agency_code}' is not a current agency code (catalogue '{AGENCIES}')", field="owner_agency"
        )


def create_catalog(
    session: Session, *, actor: Principal, catalog_in: schemas.CatalogCreate
) -> schemas.CatalogRead:
    owner = catalog_in.owner_agency or actor.agency_code
    _check_owner(actor, owner)
    _check_agency_exists(session, owner)
    if session.scalar(sa.select(Catalog.id).where(Catalog.code == catalog_in.code)) is not None:
        raise CatalogExists(f"catalogue '{catalog_in.code}' already exists", field="code")
    row = Catalog(
        code=catalog_in.code,
        name_vi=nfc(catalog_in.name_vi),
        name_en=catalog_in.name_en,
        owner_agency=owner,
        decision=catalog_in.decision,
        description=catalog_in.description,
        source=catalog_in.source,
        licence=catalog_in.licence,
        levels=list(catalog_in.levels),
        fields=[f.model_dump() for f in catalog_in.fields],
        revision=1,
    )
    session.add(row)
    session.flush()
    after = catalog_read(row).model_dump(mode="json")
    session.add(
        CatalogChange(catalog_id=row.id, item_code=None, change="catalog_created", data={"after": after})
    )
    audit.record(
        session,
        actor=actor,
        action="catalogs.catalog.create",
        object_type="catalog",
        object_id=row.code,
        after=after,
    )
    return catalog_read(row)


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "date": (str,),
}


def _validate_attributes(catalog: Catalog, attributes: dict[str, Any]) -> None:
    fields = {f["name"]: f for f in catalog.fields or []}
    for name, value in attributes.items():
        spec = fields.get(name)
        if spec is None:
            known = ", ".join(sorted(fields)) or "none"
            raise InvalidItem(
                f"unknown attribute '{name}' (this catalogue has: {known})", field=f"attributes.{name}"
            )
        expected = _PY_TYPES[spec.get("type", "string")]
        wrong_bool = isinstance(value, bool) and bool not in expected
        if value is not None and (wrong_bool or not isinstance(value, expected)):
            raise InvalidItem(
                f"attribute '{name}' must be of type {spec.get('type')}", field=f"attributes.{name}"
            )
        if spec.get("type") == "date" and isinstance(value, str):
            try:
                date.fromisoformat(value)
            except ValueError:
                raise InvalidItem(
                    f"attribute '{name}' must be a date (YYYY-MM-DD)", field=f"attributes.{name}"
                ) from None
    for name, spec in fields.items():
        if spec.get("required") and attributes.get(name) is None:
            raise InvalidItem(f"attribute '{name}' is required", field=f"attributes.{name}")


def _validate_level(catalog: Catalog, level: str | None) -> None:
    levels = catalog.levels or []
    if levels and level not in levels:
        raise InvalidItem(f"level must be one of: {', '.join(levels)}", field="level")


def _validate_parent(
    session: Session, catalog: Catalog, parent_code: str | None, on: date, code: str
) -> None:
    if parent_code is None:
        return
    if parent_code == code:
        raise InvalidItem("an item cannot be its own parent", field="parent_code")
    if version_on(versions_of(session, catalog.id, parent_code), on) is None:
        raise InvalidItem(
            f"parent '{parent_code}' does not exist or is not valid on {on.isoformat()}", field="parent_code"
        )


def check_dates(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise InvalidItem("valid_to must not be before valid_from", field="valid_to")


def _check_code_free(session: Session, catalog: Catalog, code: str) -> None:
    versions = versions_of(session, catalog.id, code)
    if not versions:
        return
    last = versions[-1]
    if last.valid_to is not None and last.valid_to < today_vn():
        raise CodeRetired(
            f"code '{code}' was retired on {last.valid_to.isoformat()}; codes are never reused",
            field="code",
            retired_on=last.valid_to.isoformat(),
        )
    raise CodeTaken(f"code '{code}' already exists in catalogue '{catalog.code}'", field="code")


def create_item(
    session: Session, *, actor: Principal, catalog: str, item_in: schemas.ItemCreate
) -> schemas.ItemRead:
    row = lock_for_write(session, actor, catalog)
    check_dates(item_in.valid_from, item_in.valid_to)
    _check_code_free(session, row, item_in.code)
    _validate_level(row, item_in.level)
    _validate_attributes(row, item_in.attributes)
    _validate_parent(session, row, item_in.parent_code, item_in.valid_from or today_vn(), item_in.code)
    item = _new_version(
        row,
        item_in.code,
        item_in.name_vi,
        item_in.name_en,
        item_in.parent_code,
        item_in.level,
        item_in.attributes,
        item_in.valid_from,
        item_in.valid_to,
    )
    session.add(item)
    session.flush()
    _record_change(session, actor, row, item.code, "created", None, _snapshot(item))
    return item_read(item)


def _new_version(
    catalog: Catalog,
    code: str,
    name_vi: str,
    name_en: str,
    parent_code: str | None,
    level: str | None,
    attributes: dict[str, Any],
    valid_from: date | None,
    valid_to: date | None,
) -> CatalogItem:
    name_vi = nfc(name_vi)
    return CatalogItem(
        catalog_id=catalog.id,
        code=code,
        name_vi=name_vi,
        name_en=name_en,
        search_text=folded_text(code, name_vi, name_en),
        parent_code=parent_code,
        level=level,
        attributes=dict(attributes),
        valid_from=valid_from,
        valid_to=valid_to,
    )


def _open_version(session: Session, catalog: Catalog, code: str, on: date | None = None) -> CatalogItem:
    versions = versions_of(session, catalog.id, code)
    if not versions:
        raise ItemNotFound(catalog.code, code)
    version = version_on(versions, on) if on is not None else versions[-1]
    if version is None or (on is None and version.valid_to is not None and version.valid_to < today_vn()):
        raise CodeRetired(f"item '{code}' is not valid{' on ' + on.isoformat() if on else ''}", field="code")
    return version


def change_item(
    session: Session, *, actor: Principal, catalog: str, code: str, change_in: schemas.ItemChange
) -> schemas.ItemRead:
    """Correct the current version in place, or (with `effective`) start a new version that day."""
    row = lock_for_write(session, actor, catalog)
    version = _open_version(session, row, code, change_in.effective)
    name_vi = change_in.name_vi if change_in.name_vi is not None else version.name_vi
    name_en = change_in.name_en if change_in.name_en is not None else version.name_en
    fields_set = change_in.model_fields_set
    parent_code = change_in.parent_code if "parent_code" in fields_set else version.parent_code
    level = change_in.level if "level" in fields_set else version.level
    attributes = {**(version.attributes or {}), **(change_in.attributes or {})}
    attributes = {k: v for k, v in attributes.items() if v is not None}
    _validate_level(row, level)
    _validate_attributes(row, attributes)
    on = change_in.effective or today_vn()
    _validate_parent(session, row, parent_code, on, code)
    before = _snapshot(version)
    if change_in.effective is None:
        version.name_vi, version.name_en = nfc(name_vi), name_en
        version.parent_code, version.level, version.attributes = parent_code, level, attributes
        version.search_text = folded_text(code, version.name_vi, name_en)
        session.flush()
        _record_change(session, actor, row, code, "corrected", before, _snapshot(version), change_in.reason)
        return item_read(version)
    if version.valid_from is not None and change_in.effective <= version.valid_from:
        raise InvalidItem(
            f"effective must be after the current version's start ({version.valid_from.isoformat()})",
            field="effective",
        )
    new = _new_version(
        row, code, name_vi, name_en, parent_code, level, attributes, change_in.effective, version.valid_to
    )
    version.valid_to = change_in.effective - timedelta(days=1)
    session.add(new)
    session.flush()
    _record_change(session, actor, row, code, "versioned", before, _snapshot(new), change_in.reason)
    return item_read(new)


def _children_valid_after(session: Session, catalog: Catalog, code: str, day: date) -> list[str]:
    rows = session.scalars(
        sa.select(CatalogItem.code).where(
            CatalogItem.catalog_id == catalog.id,
            CatalogItem.parent_code == code,
            sa.or_(CatalogItem.valid_to.is_(None), CatalogItem.valid_to > day),
        )
    )
    return sorted(set(rows))


def _add_crosswalk(
    session: Session, catalog: Catalog, from_code: str, to_code: str, effective: date, kind: str, note: str
) -> None:
    session.add(
        Crosswalk(
            catalog_id=catalog.id,
            from_code=from_code,
            to_code=to_code,
            effective=effective,
            kind=kind,
            note=note[:500],
        )
    )


def _close(
    session: Session, actor: Principal, catalog: Catalog, code: str, last_day: date, reason: str
) -> None:
    version = _open_version(session, catalog, code, last_day)
    if version.valid_from is not None and last_day < version.valid_from:
        raise InvalidItem("valid_to must not be before the item's valid_from", field="valid_to")
    children = _children_valid_after(session, catalog, code, last_day)
    if children:
        raise Conflict(
            f"'{code}' still has {len(children)} child item(s) valid after {last_day.isoformat()} "
            f"(e.g. {', '.join(children[:3])}); move or retire them first",
            code="has_children",
            field="code",
            children=children[:20],
        )
    before = _snapshot(version)
    version.valid_to = last_day
    session.flush()
    _record_change(session, actor, catalog, code, "retired", before, _snapshot(version), reason)


def retire_item(
    session: Session, *, actor: Principal, catalog: str, code: str, retire_in: schemas.ItemRetire
) -> schemas.ItemDetail:
    row = lock_for_write(session, actor, catalog)
    for successor in retire_in.successors:
        if successor == code:
            raise InvalidItem("an item cannot succeed itself", field="successors")
        if (
            version_on(versions_of(session, row.id, successor), retire_in.valid_to + timedelta(days=1))
            is None
        ):
            raise InvalidItem(
                f"successor '{successor}' is not valid after {retire_in.valid_to}", field="successors"
            )
    _close(session, actor, row, code, retire_in.valid_to, retire_in.reason)
    kind = "split" if len(retire_in.successors) > 1 else "merge"
    for successor in retire_in.successors:
        _add_crosswalk(
            session, row, code, successor, retire_in.valid_to + timedelta(days=1), kind, retire_in.reason
        )
    session.flush()
    return access_item(session, catalog, code, valid_on=retire_in.valid_to)


def _reparent_children(
    session: Session,
    actor: Principal,
    catalog: Catalog,
    old_parent: str,
    new_parent: str,
    effective: date,
    reason: str,
) -> None:
    rows = session.scalars(
        sa.select(CatalogItem).where(
            CatalogItem.catalog_id == catalog.id,
            CatalogItem.parent_code == old_parent,
            valid_on_clause(effective),
        )
    ).all()
    for child in rows:
        before = _snapshot(child)
        if child.valid_from is not None and child.valid_from >= effective:
            child.parent_code = new_parent
            moved = child
        else:
            moved = _new_version(
                catalog,
                child.code,
                child.name_vi,
                child.name_en,
                new_parent,
                child.level,
                child.attributes or {},
                effective,
                child.valid_to,
            )
            child.valid_to = effective - timedelta(days=1)
            session.add(moved)
        session.flush()
        _record_change(session, actor, catalog, child.code, "versioned", before, _snapshot(moved), reason)


def merge_items(
    session: Session, *, actor: Principal, catalog: str, merge_in: schemas.Merge
) -> schemas.ItemDetail:
    """Merge units into the seat (Decision 124/2004/QĐ-TTg): the seat keeps its code, the others
    are closed the day before `effective` and never reused, their children move to the seat, and
    the crosswalk records where each closed code went."""
    row = lock_for_write(session, actor, catalog)
    last_day = merge_in.effective - timedelta(days=1)
    if merge_in.seat_code in merge_in.merged_codes:
        raise InvalidItem("the seat cannot also be among the merged units", field="merged_codes")
    if len(set(merge_in.merged_codes)) != len(merge_in.merged_codes):
        raise InvalidItem("a unit is listed twice", field="merged_codes")
    seat = _open_version(session, row, merge_in.seat_code, merge_in.effective)
    for code in merge_in.merged_codes:
        _open_version(session, row, code, last_day)
    for code in merge_in.merged_codes:
        _reparent_children(session, actor, row, code, merge_in.seat_code, merge_in.effective, merge_in.reason)
        _close(session, actor, row, code, last_day, merge_in.reason)
        _add_crosswalk(session, row, code, merge_in.seat_code, merge_in.effective, "merge", merge_in.reason)
    _add_crosswalk(
        session,
        row,
        merge_in.seat_code,
        merge_in.seat_code,
        merge_in.effective,
        "merge",
        "seat keeps its code",
    )
    if merge_in.name_vi or merge_in.name_en:
        change_item(
            session,
            actor=actor,
            catalog=catalog,
            code=seat.code,
            change_in=schemas.ItemChange(
                name_vi=merge_in.name_vi,
                name_en=merge_in.name_en,
                effective=merge_in.effective,
                reason=merge_in.reason,
            ),
        )
    session.flush()
    return access_item(session, catalog, merge_in.seat_code, valid_on=merge_in.effective)


def split_item(
    session: Session, *, actor: Principal, catalog: str, split_in: schemas.Split
) -> schemas.ItemDetail:
    """Split a unit: it continues at the seat under its own code; each new unit gets a new code."""
    row = lock_for_write(session, actor, catalog)
    _open_version(session, row, split_in.code, split_in.effective)
    for new in split_in.new_items:
        if new.valid_from not in (None, split_in.effective):
            raise InvalidItem("new units start on the split's effective date", field="new_items.valid_from")
        create_item(
            session,
            actor=actor,
            catalog=catalog,
            item_in=new.model_copy(update={"valid_from": split_in.effective}),
        )
        _add_crosswalk(session, row, split_in.code, new.code, split_in.effective, "split", split_in.reason)
    _add_crosswalk(
        session, row, split_in.code, split_in.code, split_in.effective, "split", "seat keeps its code"
    )
    if split_in.name_vi:
        change_item(
            session,
            actor=actor,
            catalog=catalog,
            code=split_in.code,
            change_in=schemas.ItemChange(
                name_vi=split_in.name_vi, effective=split_in.effective, reason=split_in.reason
            ),
        )
    session.flush()
    return access_item(session, catalog, split_in.code, valid_on=split_in.effective)
