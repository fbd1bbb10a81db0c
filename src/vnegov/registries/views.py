"""Pages for registry officials (trang nghiệp vụ): search, view a record with its history and who read
it, and correct it with a reason. Every form calls the same service functions as the API, so the same
checks, history rows and audit apply; viewing a citizen's record is itself a logged read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from vnegov.kernel import web_auth
from vnegov.kernel.clock import VN_TZ
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import DomainError, PermissionDenied
from vnegov.kernel.http import get_db, status_for
from vnegov.kernel.web_auth import PagePrincipal
from vnegov.registries import access, enterprises, population, schemas
from vnegov.web.pages import pages_of

router = APIRouter(include_in_schema=False)
PAGE = "/registries"
NOT_AN_OFFICIAL = "Only officials of the agencies that keep the registries (G01, G12) work here."


def _csrf(request: Request) -> str:
    return web_auth.csrf_token(request.app.state.session_secret, request.cookies.get(web_auth.COOKIE, ""))


def _databases(actor: Principal) -> list[str]:
    return [d for d in (schemas.POPULATION, schemas.ENTERPRISE) if access.keeps(actor, d)]


def _refused(request: Request, actor: Principal) -> Response:
    return pages_of(request).render(
        request,
        "registries/search.html",
        status_code=403,
        actor=actor,
        databases=[],
        q="",
        birth_year=None,
        citizens=[],
        firms=None,
        error=NOT_AN_OFFICIAL,
    )


def _search(
    session: Any, actor: Principal, databases: list[str], text: str, birth_year: int | None
) -> tuple[list[schemas.CitizenSummary], dict[str, Any] | None]:
    """A 12-digit personal ID, a 10/13-digit enterprise code, or words of a name (both registries)."""
    digits = text.replace("-", "").replace(" ", "")
    if digits.isdigit():
        if len(digits) == 12 and schemas.POPULATION in databases:
            return population.search(session, actor=actor, q=digits), None
        if len(digits) in (10, 13) and schemas.ENTERPRISE in databases:
            return [], {"items": [enterprises.view_by_code(session, digits, actor=actor)], "more": False}
        return [], None
    citizens = []
    if schemas.POPULATION in databases:
        citizens = population.search(session, actor=actor, q=text, birth_year=birth_year)
    firms = enterprises.search(session, text) if schemas.ENTERPRISE in databases else None
    return citizens, firms


@router.get(PAGE)
def search_page(
    request: Request,
    actor: PagePrincipal,
    q: Annotated[str, Query(max_length=200)] = "",
    birth_year: Annotated[str, Query(max_length=4, description="empty: any year")] = "",
) -> Response:
    databases = _databases(actor)
    year = int(birth_year) if birth_year.strip().isdigit() else None  # an empty box means any year
    if not databases:
        return _refused(request, actor)
    citizens: list[schemas.CitizenSummary] = []
    firms: dict[str, Any] | None = None
    error = None
    text = q.strip()
    if text:
        try:
            with get_db(request).transaction() as session:
                citizens, firms = _search(session, actor, databases, text, year)
        except DomainError as exc:
            error = exc.message
    return pages_of(request).render(
        request,
        "registries/search.html",
        actor=actor,
        databases=databases,
        q=q,
        birth_year=year,
        citizens=citizens,
        firms=firms,
        error=error,
    )


def _citizen_page(
    request: Request,
    actor: Principal,
    personal_id: str,
    *,
    error: str | None = None,
    field: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    with get_db(request).transaction() as session:  # viewing the record writes its access-log row
        record = population.get_record(session, actor=actor, personal_id=personal_id)
        changes = population.history(session, actor=actor, personal_id=personal_id)
        reads = access.accesses_to(session, personal_id, limit=50)
        consents = access.consents_of(session, personal_id)
    return pages_of(request).render(
        request,
        "registries/citizen.html",
        status_code=status_code,
        actor=actor,
        record=record,
        changes=changes,
        reads=reads,
        vn_tz=VN_TZ,
        consents=consents,
        correctable=schemas.CORRECTABLE,
        csrf=_csrf(request),
        error=error,
        field=field,
        notice=notice,
    )


@router.get(PAGE + "/citizens/{personal_id}")
def citizen_page(request: Request, personal_id: str, actor: PagePrincipal) -> Response:
    if schemas.POPULATION not in _databases(actor):
        return _refused(request, actor)
    return _citizen_page(request, actor, personal_id)


def _form_value(raw: str) -> Any:
    """An empty box clears an optional field; everything else is text (dates are ISO text too)."""
    text = raw.strip()
    return None if text == "" else text


@router.post(PAGE + "/citizens/{personal_id}/correct")
async def correct_citizen(request: Request, personal_id: str, actor: PagePrincipal) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    web_auth.check_csrf(request, request.app.state.session_secret, form.get("csrf"))
    field_name = form.get("field", "")
    try:
        correction = schemas.CitizenCorrection(
            reason=form.get("reason", ""), changes={field_name: _form_value(form.get("value", ""))}
        )
        with get_db(request).transaction() as session:
            population.correct(session, actor=actor, personal_id=personal_id, correction=correction)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "form"
        return _citizen_page(
            request, actor, personal_id, error=f"{name}: {first['msg']}", field=name, status_code=422
        )
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        return _citizen_page(
            request,
            actor,
            personal_id,
            error=exc.message,
            field=exc.data.get("field"),
            status_code=status_for(exc),
        )
    return RedirectResponse(f"{PAGE}/citizens/{personal_id}?saved=1", status_code=303)


@router.get(PAGE + "/enterprises/{code}")
def enterprise_page(request: Request, code: str, actor: PagePrincipal) -> Response:
    if schemas.ENTERPRISE not in _databases(actor):
        return _refused(request, actor)
    with get_db(request).transaction() as session:
        record = enterprises.view_by_code(session, code, actor=actor)
        changes = enterprises.history(session, code)
    return pages_of(request).render(
        request, "registries/enterprise.html", actor=actor, record=record, changes=changes, vn_tz=VN_TZ
    )
