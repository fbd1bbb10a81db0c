"""REST API of the catalogue system (thin: parse, call the service, answer).

Reads are public: shared catalogues are reference data the State publishes for everyone's use.
Writes need an API key of the owner agency (or a platform administrator).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from vnegov.catalogs import schemas, service
from vnegov.kernel.clock import today_vn
from vnegov.kernel.etag import conditional_json, make_etag
from vnegov.kernel.http import CurrentPrincipal, ReadSession, WriteSession
from vnegov.kernel.settings import get_settings

router = APIRouter(prefix="/api/v1/catalogs", tags=["catalogs"])
dmdc = APIRouter(prefix="/dmdc", tags=["catalogs (LGSP /dmdc shape)"])

CatalogCode = Annotated[str, Path(description="Catalogue code, e.g. 'admin-units'", max_length=64)]
ItemCode = Annotated[str, Path(description="Item code", max_length=64)]
ValidOn = Annotated[
    date | None, Query(description="The date the answer is for (YYYY-MM-DD); default today in Viet Nam")
]


def _page_size(value: int | None) -> int:
    cfg = get_settings().catalogs
    return min(value or cfg.page_size_default, cfg.page_size_max)


@router.get("", response_model=list[schemas.CatalogRead], summary="List catalogues")
def list_catalogs(request: Request, session: ReadSession) -> Response:
    tag = make_etag("catalogs", service.catalogs_revision_tag(session))
    return conditional_json(
        request, tag, lambda: [c.model_dump(mode="json") for c in service.list_catalogs(session)]
    )


@router.post("", response_model=schemas.CatalogRead, status_code=201, summary="Create a catalogue")
def create_catalog(catalog_in: schemas.CatalogCreate, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return service.create_catalog(session, actor=actor, catalog_in=catalog_in)


@router.get("/{code}", response_model=schemas.CatalogRead, summary="A catalogue's metadata and field schema")
def get_catalog(code: CatalogCode, request: Request, session: ReadSession) -> Response:
    tag = make_etag("catalog", code, service.catalog_revision(session, code))
    return conditional_json(
        request, tag, lambda: service.access_catalog(session, code).model_dump(mode="json")
    )


@router.get("/{code}/items", response_model=schemas.ItemPage, summary="Items valid on a date")
def list_items(
    code: CatalogCode,
    request: Request,
    session: ReadSession,
    valid_on: ValidOn = None,
    parent: Annotated[str | None, Query(max_length=64, description="Only children of this code")] = None,
    level: Annotated[str | None, Query(max_length=40, description="e.g. province, commune")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Code prefix or words of the name; accents optional")
    ] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> Response:
    on = valid_on or today_vn()
    size = _page_size(page_size)
    revision = service.catalog_revision(session, code)
    tag = make_etag("items", code, revision, on, parent, level, q, page, size)
    return conditional_json(
        request,
        tag,
        lambda: service.list_items(
            session, code, valid_on=on, parent=parent, level=level, q=q, page=page, page_size=size
        ).model_dump(mode="json"),
    )


@router.post("/{code}/items", response_model=schemas.ItemRead, status_code=201, summary="Add an item")
def create_item(
    code: CatalogCode, item_in: schemas.ItemCreate, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return service.create_item(session, actor=actor, catalog=code, item_in=item_in)


@router.get("/{code}/items/{item}", response_model=schemas.ItemDetail, summary="An item with its history")
def get_item(code: CatalogCode, item: ItemCode, session: ReadSession, valid_on: ValidOn = None) -> Response:
    # Serialized here: returned as a model, FastAPI would dump it and validate it again against
    # `response_model` (a fifth of the request's CPU, the most looked-up path of the catalogues).
    detail = service.access_item(session, code, item, valid_on=valid_on)
    return Response(detail.model_dump_json(), media_type="application/json")


@router.patch(
    "/{code}/items/{item}", response_model=schemas.ItemRead, summary="Correct or re-version an item"
)
def change_item(
    code: CatalogCode,
    item: ItemCode,
    change_in: schemas.ItemChange,
    session: WriteSession,
    actor: CurrentPrincipal,
) -> Any:
    return service.change_item(session, actor=actor, catalog=code, code=item, change_in=change_in)


@router.post("/{code}/items/{item}/retire", response_model=schemas.ItemDetail, summary="Retire an item")
def retire_item(
    code: CatalogCode,
    item: ItemCode,
    retire_in: schemas.ItemRetire,
    session: WriteSession,
    actor: CurrentPrincipal,
) -> Any:
    return service.retire_item(session, actor=actor, catalog=code, code=item, retire_in=retire_in)


@router.post("/{code}/merges", response_model=schemas.ItemDetail, summary="Merge units into the seat")
def merge(code: CatalogCode, merge_in: schemas.Merge, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return service.merge_items(session, actor=actor, catalog=code, merge_in=merge_in)


@router.post("/{code}/splits", response_model=schemas.ItemDetail, summary="Split a unit")
def split(code: CatalogCode, split_in: schemas.Split, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return service.split_item(session, actor=actor, catalog=code, split_in=split_in)


@router.get(
    "/{code}/crosswalk", response_model=schemas.CrosswalkResult, summary="Old code to new codes, or back"
)
def crosswalk(
    code: CatalogCode,
    session: ReadSession,
    from_: Annotated[str, Query(alias="from", max_length=64, description="The code to translate")],
    on: Annotated[
        date | None, Query(description="Translate to the codes valid on this date; default today")
    ] = None,
) -> Any:
    return service.crosswalk(session, code, from_, on=on or today_vn())


@router.get("/{code}/changes", response_model=schemas.ChangePage, summary="Change feed for subscribers")
def changes(
    code: CatalogCode,
    session: ReadSession,
    since: Annotated[int, Query(ge=0, description="Last sequence number you have; 0 for everything")] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Any:
    return service.list_changes(session, code, since=since, limit=limit)


CSV_COLUMNS = ("code", "name_vi", "name_en", "parent_code", "level", "valid_from", "valid_to", "attributes")


@router.get("/{code}/export", summary="Export as CSV or JSON (all versions, or those valid on a date)")
def export(
    code: CatalogCode,
    session: ReadSession,
    format: Annotated[Literal["csv", "json"], Query()] = "json",
    valid_on: Annotated[
        date | None, Query(description="Only versions valid on this date; default all")
    ] = None,
) -> Response:
    suffix = f"-{valid_on.isoformat()}" if valid_on else ""
    disposition = {"Content-Disposition": f'attachment; filename="{code}{suffix}.{format}"'}
    if format == "json":
        body = json.dumps(service.export_document(session, code, valid_on=valid_on), ensure_ascii=False)
        return Response(body, media_type="application/json", headers=disposition)
    service.access_catalog(session, code)  # 404 before we start streaming
    rows = list(service.iter_versions(session, code, valid_on=valid_on))
    return StreamingResponse(_csv_lines(rows), media_type="text/csv; charset=utf-8", headers=disposition)


def _csv_lines(rows: list[schemas.ItemRead]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.code,
                r.name_vi,
                r.name_en,
                r.parent_code or "",
                r.level or "",
                r.valid_from.isoformat() if r.valid_from else "",
                r.valid_to.isoformat() if r.valid_to else "",
                json.dumps(r.attributes, ensure_ascii=False) if r.attributes else "",
            ]
        )
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# ------------------------------------------------- the /dmdc shape provincial LGSPs already call

DMDC_BASE = [
    ("Ma", "Mã", "string"),
    ("Ten", "Tên", "string"),
    ("TenTiengAnh", "Tên tiếng Anh", "string"),
    ("MaCha", "Mã cấp trên", "string"),
    ("Cap", "Cấp", "string"),
    ("HieuLucTu", "Hiệu lực từ ngày", "date"),
    ("HieuLucDen", "Hiệu lực đến ngày", "date"),
]


@dmdc.get("/Metadata/{code}", summary="Field list of a catalogue (LGSP shape)")
def dmdc_metadata(code: CatalogCode, session: ReadSession) -> list[dict[str, str]]:
    catalog = service.access_catalog(session, code)
    base = [{"PropertyCode": c, "PropertyName": n, "PropertyType": t} for c, n, t in DMDC_BASE]
    extra = [
        {"PropertyCode": f.name, "PropertyName": f.label_vi or f.name, "PropertyType": f.type}
        for f in catalog.fields
    ]
    return base + extra


@dmdc.get("/Category/{code}", summary="Rows of a catalogue valid on a date (LGSP shape)")
def dmdc_category(
    code: CatalogCode, request: Request, session: ReadSession, valid_on: ValidOn = None
) -> Response:
    on = valid_on or today_vn()
    tag = make_etag("dmdc", code, service.catalog_revision(session, code), on)

    def build() -> list[dict[str, Any]]:
        return [
            {
                "Ma": i.code,
                "Ten": i.name_vi,
                "TenTiengAnh": i.name_en,
                "MaCha": i.parent_code,
                "Cap": i.level,
                "HieuLucTu": i.valid_from.isoformat() if i.valid_from else None,
                "HieuLucDen": i.valid_to.isoformat() if i.valid_to else None,
                **i.attributes,
            }
            for i in service.iter_versions(session, code, valid_on=on)
        ]

    return conditional_json(request, tag, build)
