"""Reads (tra cứu): catalogues, items by code and by date, versions, search, crosswalks, exports."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.catalogs import schemas
from vnegov.catalogs.errors import CatalogNotFound, ItemNotFound
from vnegov.catalogs.models import Catalog, CatalogChange, CatalogItem, Crosswalk
from vnegov.catalogs.service.common import (
    WROTE,
    catalog_read,
    catalog_row,
    item_read,
    valid_on_clause,
    version_on,
    versions_of,
)
from vnegov.kernel.clock import today_vn
from vnegov.kernel.text import fold


def list_catalogs(session: Session) -> list[schemas.CatalogRead]:
    counts = dict(
        session.execute(
            sa.select(CatalogItem.catalog_id, sa.func.count(sa.distinct(CatalogItem.code))).group_by(
                CatalogItem.catalog_id
            )
        ).all()
    )
    rows = session.scalars(sa.select(Catalog).order_by(Catalog.code))
    return [catalog_read(r, counts.get(r.id, 0)) for r in rows]


def access_catalog(session: Session, code: str) -> schemas.CatalogRead:
    row = catalog_row(session, code)
    count = session.scalar(
        sa.select(sa.func.count(sa.distinct(CatalogItem.code))).where(CatalogItem.catalog_id == row.id)
    )
    return catalog_read(row, int(count or 0))


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


def _cached_count(session: Session, key: tuple[Any, ...], where: list[Any]) -> int:
    """Matching rows for a filter, remembered per catalogue revision (any write bumps it).

    Counting the ~14,000 versions of the administrative units takes milliseconds on every page;
    the answer only changes when the catalogue does, and the revision is in the key.
    """
    if session.info.get(WROTE):  # uncommitted changes: the revision may yet be rolled back
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
    row = catalog_row(session, catalog)
    on = valid_on or today_vn()
    where = [CatalogItem.catalog_id == row.id, valid_on_clause(on)]
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
        items=[item_read(r) for r in rows],
    )


# The lookups by code, built once with bound parameters: building a statement's expression tree and
# its cache key cost ≈ 2/3 of a lookup (get_item: 0.76 ms a call against 0.25 prebuilt, SQLite,
# `make bench`'s catalogue figures); the statement itself ran in 0.03 ms.
_ON = sa.bindparam("on", type_=sa.Date)
_BY_CODE = (Catalog.code == sa.bindparam("catalog"), CatalogItem.code == sa.bindparam("code"))
_ITEM_ON = (
    sa.select(CatalogItem)
    .join(Catalog, Catalog.id == CatalogItem.catalog_id)
    .where(*_BY_CODE, valid_on_clause(_ON))
    .limit(1)
)
_VERSIONS = sa.select(CatalogItem).join(Catalog, Catalog.id == CatalogItem.catalog_id).where(*_BY_CODE)
_IN_CATALOG = CatalogItem.catalog_id == sa.bindparam("catalog_id")
_PARENT_ON = (
    sa.select(CatalogItem)
    .where(_IN_CATALOG, CatalogItem.code == sa.bindparam("code"), valid_on_clause(_ON))
    .limit(1)
)
_CHILDREN_ON = (
    sa.select(sa.func.count())
    .select_from(CatalogItem)
    .where(_IN_CATALOG, CatalogItem.parent_code == sa.bindparam("code"), valid_on_clause(_ON))
)


def get_item(
    session: Session, catalog: str, code: str, *, valid_on: date | None = None
) -> schemas.ItemRead | None:
    """The item's version valid on `valid_on` (today by default), or None."""
    row = session.scalar(_ITEM_ON, {"catalog": catalog, "code": code, "on": valid_on or today_vn()})
    if row is None:
        catalog_row(session, catalog)  # CatalogNotFound rather than "no such item"
        return None
    return item_read(row)


def _crosswalk_links(
    session: Session, catalog_id: int, code: str
) -> tuple[list[schemas.CrosswalkEntry], list[schemas.CrosswalkEntry]]:
    """(successors, predecessors) of a code, each in order of effect."""
    links: tuple[list[schemas.CrosswalkEntry], list[schemas.CrosswalkEntry]] = ([], [])
    for side, from_code, to_code, effective, kind, note in session.execute(
        _LINKS, {"catalog_id": catalog_id, "code": code}
    ):
        links[side].append(
            schemas.CrosswalkEntry(
                from_code=from_code, to_code=to_code, effective=effective, kind=kind, note=note
            )
        )
    return links


def _links(side: int, column: Any) -> sa.Select[int, str, str, date, str, str, int]:
    return sa.select(
        sa.literal_column(str(side), sa.Integer).label("side"),
        Crosswalk.from_code,
        Crosswalk.to_code,
        Crosswalk.effective,
        Crosswalk.kind,
        Crosswalk.note,
        Crosswalk.id,
    ).where(Crosswalk.catalog_id == sa.bindparam("catalog_id"), column == sa.bindparam("code"))


# One statement, two indexed lookups (an OR over both columns made SQLite scan the catalogue's whole
# crosswalk); a link from a code to itself is in both lists, as it was with a query for each.
_UNION = sa.union_all(_links(0, Crosswalk.from_code), _links(1, Crosswalk.to_code)).subquery()
_LINKS = sa.select(
    _UNION.c.side, _UNION.c.from_code, _UNION.c.to_code, _UNION.c.effective, _UNION.c.kind, _UNION.c.note
).order_by(_UNION.c.side, _UNION.c.effective, _UNION.c.id)


def access_item(
    session: Session, catalog: str, code: str, *, valid_on: date | None = None
) -> schemas.ItemDetail:
    """An item with its whole history, its parent, children count and crosswalk links."""
    versions = session.scalars(_VERSIONS, {"catalog": catalog, "code": code}).all()
    if not versions:
        catalog_row(session, catalog)  # CatalogNotFound if the catalogue itself is unknown
        raise ItemNotFound(catalog, code)
    versions = sorted(versions, key=lambda r: r.valid_from or date.min)
    catalog_id = versions[0].catalog_id
    on = valid_on or today_vn()
    current = version_on(versions, on)
    shown = current or versions[-1]
    day = _a_day_in(shown, on)
    parent = None
    if shown.parent_code:
        parent_row = session.scalar(
            _PARENT_ON, {"catalog_id": catalog_id, "code": shown.parent_code, "on": day}
        )
        parent = item_read(parent_row) if parent_row is not None else None
    children = session.scalar(_CHILDREN_ON, {"catalog_id": catalog_id, "code": code, "on": day})
    successors, predecessors = _crosswalk_links(session, catalog_id, code)
    return schemas.ItemDetail(
        catalog=catalog,
        code=code,
        current=item_read(current) if current else None,
        history=[item_read(v) for v in versions],
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
    row = catalog_row(session, catalog)
    if not versions_of(session, row.id, from_code):
        raise ItemNotFound(catalog, from_code)
    edges = session.scalars(sa.select(Crosswalk).where(Crosswalk.catalog_id == row.id)).all()
    forward: dict[str, list[Crosswalk]] = {}
    backward: dict[str, list[Crosswalk]] = {}
    for e in edges:
        forward.setdefault(e.from_code, []).append(e)
        backward.setdefault(e.to_code, []).append(e)

    def valid(code: str) -> bool:
        return version_on(versions_of(session, row.id, code), on) is not None

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
    row = catalog_row(session, catalog)
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
    row = catalog_row(session, catalog)
    query = sa.select(CatalogItem).where(CatalogItem.catalog_id == row.id)
    if valid_on is not None:
        query = query.where(valid_on_clause(valid_on))
    query = query.order_by(CatalogItem.code, CatalogItem.valid_from.nulls_first())
    for r in session.scalars(query.execution_options(yield_per=2000)):
        yield item_read(r)


def list_crosswalks(session: Session, catalog: str) -> list[schemas.CrosswalkEntry]:
    row = catalog_row(session, catalog)
    rows = session.scalars(
        sa.select(Crosswalk).where(Crosswalk.catalog_id == row.id).order_by(Crosswalk.from_code, Crosswalk.id)
    )
    return [
        schemas.CrosswalkEntry(
            from_code=r.from_code, to_code=r.to_code, effective=r.effective, kind=r.kind, note=r.note
        )
        for r in rows
    ]
