"""Pages of the catalogue system: list catalogues, search items, an item with its history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from vnegov.catalogs import service
from vnegov.kernel.clock import today_vn
from vnegov.kernel.http import ReadSession
from vnegov.web.pages import pages_of

router = APIRouter(prefix="/catalogs", include_in_schema=False)
PAGE_SIZE = 50


@router.get("")
def catalogs_page(request: Request, session: ReadSession) -> Response:
    return pages_of(request).render(request, "catalogs/list.html", catalogs=service.list_catalogs(session))


def _optional_date(value: str | None) -> date | None:
    # Forms send "" for an empty date field; treat it as "not given" rather than an error.
    return date.fromisoformat(value) if value else None


@router.get("/{code}")
def catalog_page(
    code: str,
    request: Request,
    session: ReadSession,
    q: Annotated[str, Query(max_length=200)] = "",
    level: Annotated[str, Query(max_length=40)] = "",
    parent: Annotated[str, Query(max_length=64)] = "",
    valid_on: Annotated[date | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    catalog = service.access_catalog(session, code)
    on = valid_on or today_vn()
    result = service.list_items(
        session,
        code,
        valid_on=on,
        q=q or None,
        level=level or None,
        parent=parent or None,
        page=page,
        page_size=PAGE_SIZE,
    )
    pages = pages_of(request)
    template = "catalogs/_items.html" if pages.is_fragment(request) else "catalogs/catalog.html"
    return pages.render(
        request,
        template,
        catalog=catalog,
        result=result,
        q=q,
        level=level,
        parent=parent,
        valid_on=on,
        last_page=max(1, -(-result.total // PAGE_SIZE)),
    )


@router.get("/{code}/items/{item}")
def item_page(
    code: str,
    item: str,
    request: Request,
    session: ReadSession,
    valid_on: Annotated[date | None, Query()] = None,
) -> Response:
    catalog = service.access_catalog(session, code)
    on = valid_on or today_vn()
    detail = service.access_item(session, code, item, valid_on=on)
    shown = detail.current or detail.history[-1]
    children_on = on if detail.current else (shown.valid_to or shown.valid_from or on)
    children = service.list_items(session, code, valid_on=children_on, parent=item, page_size=200)
    return pages_of(request).render(
        request,
        "catalogs/item.html",
        catalog=catalog,
        detail=detail,
        shown=shown,
        children=children,
        valid_on=on,
        children_on=children_on,
        one_day=timedelta(days=1),
        field_labels={f.name: (f.label_vi or f.name, f.label_en or f.name) for f in catalog.fields},
    )
