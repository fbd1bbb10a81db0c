"""The catalogue system's domain logic: the only code that touches `catalogs.models`.

Reads take a session and return schemas, never ORM rows. Writes take `actor=` (who acts, for which
agency), check that the actor's agency owns the catalogue, validate, write the change, its audit
row, its change-feed entry and its outbox event in the caller's transaction, and never commit.

Every write first bumps the catalogue's `revision`, which takes the row lock on PostgreSQL: writes
to one catalogue are serialised, so change-feed sequence numbers of a catalogue become visible in
order and a subscriber reading `since=N` never skips a change.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.catalogs import schemas
from vnegov.catalogs.errors import (
    CatalogExists,
    CatalogNotFound,
    CodeRetired,
    CodeTaken,
    InvalidItem,
    ItemNotFound,
    NotOwner,
)
from vnegov.catalogs.models import Catalog, CatalogChange, CatalogItem, Crosswalk
from vnegov.catalogs.sources import CatalogSource, CrosswalkRecord, ItemRecord
from vnegov.kernel import audit, outbox
from vnegov.kernel.clock import today_vn
from vnegov.kernel.context import Principal
from vnegov.kernel.db import utcnow
from vnegov.kernel.errors import Conflict
from vnegov.kernel.text import fold, nfc

PLATFORM_ADMIN = "platform-admin"
EVENT_TOPIC = "catalogs.item.changed"
Progress = Callable[[int], None]


# --------------------------------------------------------------------------- reads


def _catalog_row(session: Session, code: str) -> Catalog:
    row = session.scalar(sa.select(Catalog).where(Catalog.code == code))
    if row is None:
        raise CatalogNotFound(code)
    return row


def _catalog_read(row: Catalog, item_count: int = 0) -> schemas.CatalogRead:
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


def _item_read(row: CatalogItem) -> schemas.ItemRead:
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


def _valid_on(on: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        sa.or_(CatalogItem.valid_from.is_(None), CatalogItem.valid_from <= on),
        sa.or_(CatalogItem.valid_to.is_(None), CatalogItem.valid_to >= on),
    )


def list_catalogs(session: Session) -> list[schemas.CatalogRead]:
    counts = dict(
        session.execute(
            sa.select(CatalogItem.catalog_id, sa.func.count(sa.distinct(CatalogItem.code))).group_by(
                CatalogItem.catalog_id
            )
        ).all()
    )
    rows = session.scalars(sa.select(Catalog).order_by(Catalog.code))
    return [_catalog_read(r, counts.get(r.id, 0)) for r in rows]


def access_catalog(session: Session, code: str) -> schemas.CatalogRead:
    row = _catalog_row(session, code)
    count = session.scalar(
        sa.select(sa.func.count(sa.distinct(CatalogItem.code))).where(CatalogItem.catalog_id == row.id)
    )
    return _catalog_read(row, int(count or 0))


def catalogs_revision_tag(session: Session) -> str:
    """A tag that changes whenever any catalogue changes (for the list's ETag)."""
    pairs = session.execute(sa.select(Catalog.code, Catalog.revision).order_by(Catalog.code)).all()
    return hashlib.sha256(repr(pairs).encode()).hexdigest()[:32]


def catalog_revision(session: Session, code: str) -> int:
    revision = session.scalar(sa.select(Catalog.revision).where(Catalog.code == code))
    if revision is None:
        raise CatalogNotFound(code)
    return int(revision)


def _like_pattern(q: str) -> str:
    escaped = fold(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_COUNTS: dict[tuple[Any, ...], int] = {}
_COUNTS_MAX = 4096
_WROTE = "catalogs.wrote"


def _cached_count(session: Session, key: tuple[Any, ...], where: list[Any]) -> int:
    """Matching rows for a filter, remembered per catalogue revision (any write bumps it).

    Counting the ~14,000 versions of the administrative units takes milliseconds on every page;
    the answer only changes when the catalogue does, and the revision is in the key.
    """
    if session.info.get(_WROTE):  # uncommitted changes: the revision may yet be rolled back
        return int(session.scalar(sa.select(sa.func.count()).select_from(CatalogItem).where(*where)) or 0)
    full_key = (str(session.get_bind().engine.url), *key)
    total = _COUNTS.get(full_key)
    if total is None:
        total = int(session.scalar(sa.select(sa.func.count()).select_from(CatalogItem).where(*where)) or 0)
        if len(_COUNTS) >= _COUNTS_MAX:
            _COUNTS.clear()
        _COUNTS[full_key] = total
    return total


def list_items(
    session: Session,
    catalog: str,
    *,
    valid_on: date | None = None,
    parent: str | None = None,
    level: str | None = None,
    q: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> schemas.ItemPage:
    """Items valid on `valid_on` (today in Viet Nam by default), filtered and paged, ordered by code.

    `q` matches the code's prefix or any part of the Vietnamese or English name, ignoring case and
    diacritics ("da nang" finds "Đà Nẵng").
    """
    row = _catalog_row(session, catalog)
    on = valid_on or today_vn()
    where = [CatalogItem.catalog_id == row.id, _valid_on(on)]
    if parent is not None:
        where.append(CatalogItem.parent_code == parent)
    if level is not None:
        where.append(CatalogItem.level == level)
    if q:
        where.append(
            sa.or_(
                CatalogItem.search_text.like(_like_pattern(q), escape="\\"),
                CatalogItem.code.startswith(q.strip(), autoescape=True),
            )
        )
    total = _cached_count(session, (row.code, row.revision, on, parent, level, q), where)
    rows = session.scalars(
        sa.select(CatalogItem)
        .where(*where)
        .order_by(CatalogItem.code)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return schemas.ItemPage(
        catalog=catalog,
        valid_on=on,
        page=page,
        page_size=page_size,
        total=int(total),
        items=[_item_read(r) for r in rows],
    )


def _versions(session: Session, catalog_id: int, code: str) -> list[CatalogItem]:
    rows = session.scalars(
        sa.select(CatalogItem).where(CatalogItem.catalog_id == catalog_id, CatalogItem.code == code)
    ).all()
    return sorted(rows, key=lambda r: r.valid_from or date.min)


def _version_on(versions: list[CatalogItem], on: date) -> CatalogItem | None:
    for v in versions:
        if (v.valid_from is None or v.valid_from <= on) and (v.valid_to is None or v.valid_to >= on):
            return v
    return None


def get_item(
    session: Session, catalog: str, code: str, *, valid_on: date | None = None
) -> schemas.ItemRead | None:
    """The item's version valid on `valid_on` (today by default), or None."""
    row = session.scalar(
        sa.select(CatalogItem)
        .join(Catalog, Catalog.id == CatalogItem.catalog_id)
        .where(Catalog.code == catalog, CatalogItem.code == code, _valid_on(valid_on or today_vn()))
        .limit(1)
    )
    if row is None:
        _catalog_row(session, catalog)  # CatalogNotFound rather than "no such item"
        return None
    return _item_read(row)


def _crosswalk_links(
    session: Session, catalog_id: int, code: str
) -> tuple[list[schemas.CrosswalkEntry], list[schemas.CrosswalkEntry]]:
    """(successors, predecessors) of a code."""

    # Two indexed lookups: an OR over both columns makes SQLite scan the catalogue's whole crosswalk.
    def links(column: Any) -> list[schemas.CrosswalkEntry]:
        rows = session.scalars(
            sa.select(Crosswalk)
            .where(Crosswalk.catalog_id == catalog_id, column == code)
            .order_by(Crosswalk.effective, Crosswalk.id)
        )
        return [
            schemas.CrosswalkEntry(
                from_code=r.from_code, to_code=r.to_code, effective=r.effective, kind=r.kind, note=r.note
            )
            for r in rows
        ]

    return links(Crosswalk.from_code), links(Crosswalk.to_code)


def access_item(
    session: Session, catalog: str, code: str, *, valid_on: date | None = None
) -> schemas.ItemDetail:
    """An item with its whole history, its parent, children count and crosswalk links."""
    versions = session.scalars(
        sa.select(CatalogItem)
        .join(Catalog, Catalog.id == CatalogItem.catalog_id)
        .where(Catalog.code == catalog, CatalogItem.code == code)
    ).all()
    if not versions:
        _catalog_row(session, catalog)  # CatalogNotFound if the catalogue itself is unknown
        raise ItemNotFound(catalog, code)
    versions = sorted(versions, key=lambda r: r.valid_from or date.min)
    catalog_id = versions[0].catalog_id
    on = valid_on or today_vn()
    current = _version_on(versions, on)
    shown = current or versions[-1]
    day = _a_day_in(shown, on)
    parent = None
    if shown.parent_code:
        parent_row = session.scalar(
            sa.select(CatalogItem)
            .where(
                CatalogItem.catalog_id == catalog_id, CatalogItem.code == shown.parent_code, _valid_on(day)
            )
            .limit(1)
        )
        parent = _item_read(parent_row) if parent_row is not None else None
    children = session.scalar(
        sa.select(sa.func.count())
        .select_from(CatalogItem)
        .where(CatalogItem.catalog_id == catalog_id, CatalogItem.parent_code == code, _valid_on(day))
    )
    successors, predecessors = _crosswalk_links(session, catalog_id, code)
    return schemas.ItemDetail(
        catalog=catalog,
        code=code,
        current=_item_read(current) if current else None,
        history=[_item_read(v) for v in versions],
        parent=parent,
        children_count=int(children or 0),
        successors=successors,
        predecessors=predecessors,
    )


def _a_day_in(version: CatalogItem, on: date) -> date:
    """`on` if the version is valid then, else its last (or first) valid day."""
    if version.valid_to is not None and version.valid_to < on:
        return version.valid_to
    if version.valid_from is not None and version.valid_from > on:
        return version.valid_from
    return on


def crosswalk(session: Session, catalog: str, from_code: str, *, on: date) -> schemas.CrosswalkResult:
    """The codes valid on `on` that stand for what `from_code` stood for.

    Forward in time it follows merges and splits (an old commune → the new one(s) that took its
    territory); backward it follows them in reverse (a new commune → the old ones it was made of).
    A code still valid on `on` with no change before then stands for itself.
    """
    row = _catalog_row(session, catalog)
    if not _versions(session, row.id, from_code):
        raise ItemNotFound(catalog, from_code)
    edges = session.scalars(sa.select(Crosswalk).where(Crosswalk.catalog_id == row.id)).all()
    forward: dict[str, list[Crosswalk]] = {}
    backward: dict[str, list[Crosswalk]] = {}
    for e in edges:
        forward.setdefault(e.from_code, []).append(e)
        backward.setdefault(e.to_code, []).append(e)

    def valid(code: str) -> bool:
        return _version_on(_versions(session, row.id, code), on) is not None

    result: list[str] = []
    path: list[schemas.CrosswalkEntry] = []
    seen_edges: set[int] = set()
    frontier = [from_code]
    visited: set[str] = set()
    while frontier and len(visited) < 10_000:
        code = frontier.pop(0)
        if code in visited:
            continue
        visited.add(code)
        nexts = [e for e in forward.get(code, []) if e.effective <= on and e.id not in seen_edges]
        step_to = lambda e: e.to_code  # noqa: E731
        if not nexts and not valid(code):
            nexts = [e for e in backward.get(code, []) if e.effective > on and e.id not in seen_edges]
            step_to = lambda e: e.from_code  # noqa: E731
        if not nexts:
            if valid(code) and code not in result:
                result.append(code)
            continue
        for e in sorted(nexts, key=lambda e: (e.effective, e.id)):
            seen_edges.add(e.id)
            path.append(
                schemas.CrosswalkEntry(
                    from_code=e.from_code, to_code=e.to_code, effective=e.effective, kind=e.kind, note=e.note
                )
            )
            target = step_to(e)
            if target == code:
                if valid(code) and code not in result:
                    result.append(code)
            else:
                frontier.append(target)
    items = [i for c in result if (i := get_item(session, catalog, c, valid_on=on)) is not None]
    return schemas.CrosswalkResult(
        catalog=catalog, from_code=from_code, on=on, codes=result, path=path, items=items
    )


def list_changes(session: Session, catalog: str, *, since: int = 0, limit: int = 1000) -> schemas.ChangePage:
    """Changes after sequence number `since`, oldest first; pass `next_since` back to continue."""
    row = _catalog_row(session, catalog)
    rows = session.scalars(
        sa.select(CatalogChange)
        .where(CatalogChange.catalog_id == row.id, CatalogChange.seq > since)
        .order_by(CatalogChange.seq)
        .limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    return schemas.ChangePage(
        catalog=catalog,
        since=since,
        next_since=rows[-1].seq if rows else since,
        has_more=has_more,
        changes=[
            schemas.ChangeRead(seq=r.seq, item_code=r.item_code, change=r.change, at=r.at, data=r.data or {})
            for r in rows
        ],
    )


def iter_versions(
    session: Session, catalog: str, *, valid_on: date | None = None
) -> Iterator[schemas.ItemRead]:
    """Every item version (or only those valid on `valid_on`), by code: for exports."""
    row = _catalog_row(session, catalog)
    query = sa.select(CatalogItem).where(CatalogItem.catalog_id == row.id)
    if valid_on is not None:
        query = query.where(_valid_on(valid_on))
    query = query.order_by(CatalogItem.code, CatalogItem.valid_from.nulls_first())
    for r in session.scalars(query.execution_options(yield_per=2000)):
        yield _item_read(r)


def list_crosswalks(session: Session, catalog: str) -> list[schemas.CrosswalkEntry]:
    row = _catalog_row(session, catalog)
    rows = session.scalars(
        sa.select(Crosswalk).where(Crosswalk.catalog_id == row.id).order_by(Crosswalk.from_code, Crosswalk.id)
    )
    return [
        schemas.CrosswalkEntry(
            from_code=r.from_code, to_code=r.to_code, effective=r.effective, kind=r.kind, note=r.note
        )
        for r in rows
    ]


# --------------------------------------------------------------------------- writes


def _check_owner(actor: Principal, owner_agency: str) -> None:
    if actor.has_role(PLATFORM_ADMIN) or actor.has_role("system"):
        return
    if actor.agency_code != owner_agency:
        raise NotOwner(
            f"only the owner agency {owner_agency} may change this catalogue", owner_agency=owner_agency
        )


def _lock_for_write(session: Session, actor: Principal, code: str) -> Catalog:
    """The catalogue row, checked for ownership, with its revision bumped (and row-locked)."""
    row = _catalog_row(session, code)
    _check_owner(actor, row.owner_agency)
    session.info[_WROTE] = True
    session.execute(
        sa.update(Catalog)
        .where(Catalog.id == row.id)
        .values(revision=Catalog.revision + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    return row


def _search_text(code: str, name_vi: str, name_en: str) -> str:
    return f"{fold(name_vi)} | {fold(name_en)} | {code.lower()}"[:1200]


def _snapshot(row: CatalogItem) -> dict[str, Any]:
    return _item_read(row).model_dump(mode="json")


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
    after = _catalog_read(row).model_dump(mode="json")
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
    return _catalog_read(row)


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
    if _version_on(_versions(session, catalog.id, parent_code), on) is None:
        raise InvalidItem(
            f"parent '{parent_code}' does not exist or is not valid on {on.isoformat()}", field="parent_code"
        )


def _check_dates(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise InvalidItem("valid_to must not be before valid_from", field="valid_to")


def _check_code_free(session: Session, catalog: Catalog, code: str) -> None:
    versions = _versions(session, catalog.id, code)
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
    row = _lock_for_write(session, actor, catalog)
    _check_dates(item_in.valid_from, item_in.valid_to)
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
    return _item_read(item)


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
        search_text=_search_text(code, name_vi, name_en),
        parent_code=parent_code,
        level=level,
        attributes=dict(attributes),
        valid_from=valid_from,
        valid_to=valid_to,
    )


def _open_version(session: Session, catalog: Catalog, code: str, on: date | None = None) -> CatalogItem:
    versions = _versions(session, catalog.id, code)
    if not versions:
        raise ItemNotFound(catalog.code, code)
    version = _version_on(versions, on) if on is not None else versions[-1]
    if version is None or (on is None and version.valid_to is not None and version.valid_to < today_vn()):
        raise CodeRetired(f"item '{code}' is not valid{' on ' + on.isoformat() if on else ''}", field="code")
    return version


def change_item(
    session: Session, *, actor: Principal, catalog: str, code: str, change_in: schemas.ItemChange
) -> schemas.ItemRead:
    """Correct the current version in place, or (with `effective`) start a new version that day."""
    row = _lock_for_write(session, actor, catalog)
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
        version.search_text = _search_text(code, version.name_vi, name_en)
        session.flush()
        _record_change(session, actor, row, code, "corrected", before, _snapshot(version), change_in.reason)
        return _item_read(version)
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
    return _item_read(new)


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
    row = _lock_for_write(session, actor, catalog)
    for successor in retire_in.successors:
        if successor == code:
            raise InvalidItem("an item cannot succeed itself", field="successors")
        if _version_on(_versions(session, row.id, successor), retire_in.valid_to + timedelta(days=1)) is None:
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
            CatalogItem.catalog_id == catalog.id, CatalogItem.parent_code == old_parent, _valid_on(effective)
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
    row = _lock_for_write(session, actor, catalog)
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
    row = _lock_for_write(session, actor, catalog)
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


# --------------------------------------------------------------------------- bulk import


def _validate_batch(source_code: str, records: list[ItemRecord]) -> None:
    """Reject overlapping versions of one code and versions whose dates are out of order."""
    by_code: dict[str, list[ItemRecord]] = {}
    for r in records:
        _check_dates(r.valid_from, r.valid_to)
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
    row = _lock_for_write(session, actor, source.code)
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
        "search_text": _search_text(r.code, name_vi, r.name_en),
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
