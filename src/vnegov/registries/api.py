"""REST API of the base registries (thin: parse, call the service, answer).

Two doors:
- `/api/v1/registries/population/…` and `/api/v1/registries/enterprise/…` are the services other
  systems call **through the data exchange only** (`VN/GOV/G01/DANCU/congDan/v1`,
  `VN/GOV/G12/DKDN/doanhNghiep/v1`); a request no gateway delivered is refused. The caller is who the
  gateway says (X-Road-Client), the official is X-Road-UserId, the purpose X-Road-Issue (or X-Purpose).
- `/api/v1/registries/admin/…` is for the registries' own officials (API key of G01 or G12).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from vnegov.exchange.provider import delivering_gateway
from vnegov.kernel.errors import InvalidInput, PermissionDenied
from vnegov.kernel.http import CurrentPrincipal, ReadSession, WriteSession, get_db
from vnegov.registries import access, enterprises, population, schemas, soap
from vnegov.registries.access import Accessor

router = APIRouter(prefix="/api/v1/registries", tags=["registries"])


class NotThroughExchange(PermissionDenied):
    code = "not_through_exchange"


def _accessor(request: Request, *, purpose_required: bool) -> Accessor:
    if delivering_gateway(request.scope, getattr(request.app.state, "registry_peers", None)) is None:
        raise NotThroughExchange(
            "the base registries answer only through the data exchange: call the service via your gateway"
        )
    headers = request.headers
    client = headers.get("x-road-client", "")
    parts = client.split("/")
    # Header values are ASCII: a purpose in Vietnamese comes percent-encoded (UTF-8).
    purpose = unquote(headers.get("x-road-issue") or headers.get("x-purpose") or "").strip()
    if purpose_required and not purpose:
        raise InvalidInput(
            "say why you read this person's data: X-Road-Issue (case or dossier number) or X-Purpose",
            field="X-Road-Issue",
        )
    return Accessor(
        client=client,
        agency_code=parts[2] if len(parts) == 4 else "",
        official=headers.get("x-road-userid", ""),
        purpose=purpose[:1000],
        message_id=headers.get("x-road-id", ""),
    )


def _personal_data_caller(request: Request) -> Accessor:
    return _accessor(request, purpose_required=True)


def _caller(request: Request) -> Accessor:
    return _accessor(request, purpose_required=False)


PersonalDataCaller = Annotated[Accessor, Depends(_personal_data_caller)]
ExchangeCaller = Annotated[Accessor, Depends(_caller)]
PersonalId = Annotated[str, Path(max_length=20, description="12-digit personal ID")]
Fields = Annotated[str | None, Query(max_length=500, description="Comma-separated fields; none: all granted")]


def _fields(value: str | None) -> list[str] | None:
    return [f.strip() for f in value.split(",") if f.strip()] if value else None


# --------------------------------------------------------------- population, through the exchange


@router.post(
    "/population/verify",
    response_model=schemas.VerifyResult,
    summary="Verify a citizen's personal ID, name and date of birth (XacThucThongTinCongDan)",
)
def verify_citizen(query: schemas.VerifyCitizen, session: WriteSession, caller: PersonalDataCaller) -> Any:
    return schemas.VerifyResult(match=population.verify(session, caller, query))


@router.post(
    "/population/soap/XacThucThongTinCongDan",
    summary="The same verification in the SOAP/XML shape provincial platforms use",
    response_class=Response,
    responses={200: {"content": {"text/xml": {}}}},
)
async def verify_citizen_soap(request: Request, caller: PersonalDataCaller) -> Response:
    values = soap.parse_request(await request.body())
    with get_db(request).transaction() as session:
        exists = population.verify_name(session, caller, values["SoDinhDanh"], values["HoVaTen"])
    return Response(soap.response(values["MaYeuCau"], exists), media_type="text/xml; charset=utf-8")


@router.get(
    "/population/citizens/{personal_id}",
    summary="A citizen's record: only the fields granted to the calling system",
)
def read_citizen(
    personal_id: PersonalId, session: WriteSession, caller: PersonalDataCaller, fields: Fields = None
) -> Any:
    return population.read(session, caller, personal_id, _fields(fields))


@router.post("/population/kinship", response_model=schemas.KinshipResult, summary="Verify kinship")
def verify_kinship(query: schemas.KinshipQuery, session: WriteSession, caller: PersonalDataCaller) -> Any:
    return schemas.KinshipResult(match=population.verify_kinship(session, caller, query))


@router.get(
    "/population/citizens/{personal_id}/accesses",
    response_model=list[schemas.AccessEntry],
    summary="Who looked at my data: for a portal acting for the signed-in person (X-Road-UserId)",
)
def my_accesses(personal_id: PersonalId, session: ReadSession, caller: ExchangeCaller) -> Any:
    if caller.official != personal_id:
        raise PermissionDenied("only the person themselves (X-Road-UserId) sees who read their data")
    return access.accesses_to(session, personal_id)


@router.get("/population/notifications", response_model=schemas.NotificationPage, summary="Deaths and moves")
def population_notifications(
    session: ReadSession, caller: ExchangeCaller, since: Annotated[int, Query(ge=0)] = 0
) -> Any:
    return access.notifications(session, schemas.POPULATION, since=since)


# --------------------------------------------------------------- enterprises, through the exchange


@router.get("/enterprise/enterprises/{code}", summary="An enterprise by its code")
def look_up_enterprise(
    code: Annotated[str, Path(max_length=20)],
    session: WriteSession,
    caller: ExchangeCaller,
    fields: Fields = None,
) -> Any:
    return enterprises.look_up(session, caller, code, _fields(fields))


@router.get("/enterprise/enterprises", summary="Search enterprises by name (diacritics folded)")
def search_enterprises(
    session: ReadSession,
    caller: ExchangeCaller,
    q: Annotated[str, Query(max_length=200)],
    status: Annotated[str | None, Query(max_length=12)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Any:
    return enterprises.search(session, q, status=status, limit=limit, offset=offset)


@router.get("/enterprise/notifications", response_model=schemas.NotificationPage, summary="Status changes")
def enterprise_notifications(
    session: ReadSession, caller: ExchangeCaller, since: Annotated[int, Query(ge=0)] = 0
) -> Any:
    return access.notifications(session, schemas.ENTERPRISE, since=since)


# ------------------------------------------------------------------------- registry officials


@router.post("/admin/citizens", status_code=201, summary="Register a citizen")
def register_citizen(
    citizen_in: schemas.CitizenCreate, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return population.register(session, actor=actor, citizen_in=citizen_in)


@router.get("/admin/citizens", response_model=list[schemas.CitizenSummary], summary="Search citizens")
def search_citizens(
    session: WriteSession,
    actor: CurrentPrincipal,
    q: Annotated[str, Query(max_length=200)],
    birth_year: Annotated[int | None, Query(ge=1850, le=2400)] = None,
) -> Any:
    return population.search(session, actor=actor, q=q, birth_year=birth_year)


@router.get("/admin/citizens/{personal_id}", summary="A citizen's whole record (the read is logged)")
def get_citizen(personal_id: PersonalId, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return population.get_record(session, actor=actor, personal_id=personal_id)


@router.patch("/admin/citizens/{personal_id}", summary="Correct a citizen's record, with the reason")
def correct_citizen(
    personal_id: PersonalId,
    correction: schemas.CitizenCorrection,
    session: WriteSession,
    actor: CurrentPrincipal,
) -> Any:
    return population.correct(session, actor=actor, personal_id=personal_id, correction=correction)


@router.get(
    "/admin/citizens/{personal_id}/history", response_model=list[schemas.ChangeRead], summary="Changes"
)
def citizen_history(personal_id: PersonalId, session: ReadSession, actor: CurrentPrincipal) -> Any:
    return population.history(session, actor=actor, personal_id=personal_id)


@router.get(
    "/admin/citizens/{personal_id}/accesses", response_model=list[schemas.AccessEntry], summary="Reads"
)
def citizen_accesses(personal_id: PersonalId, session: ReadSession, actor: CurrentPrincipal) -> Any:
    population.check_official(actor)
    return access.accesses_to(session, personal_id)


@router.post("/admin/enterprises", status_code=201, summary="Register an enterprise or branch")
def register_enterprise(
    enterprise_in: schemas.EnterpriseCreate, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return enterprises.register(session, actor=actor, enterprise_in=enterprise_in)


@router.patch(
    "/admin/enterprises/{code}", summary="Change a registration (status, address, …), with the reason"
)
def change_enterprise(
    code: Annotated[str, Path(max_length=20)],
    change_in: schemas.EnterpriseChange,
    session: WriteSession,
    actor: CurrentPrincipal,
) -> Any:
    return enterprises.change(session, actor=actor, code=code, change_in=change_in)


@router.get("/admin/grants", response_model=list[schemas.FieldGrantRead], summary="Field grants")
def list_grants(session: ReadSession, actor: CurrentPrincipal) -> Any:
    kept = [d for d in (schemas.POPULATION, schemas.ENTERPRISE) if access.keeps(actor, d)]
    if not kept:
        raise PermissionDenied("only the registries' own agencies (G01, G12) see their field grants")
    return [g for g in access.list_grants(session) if g.database in kept]


@router.put("/admin/grants", response_model=schemas.FieldGrantRead, summary="Grant fields to a client system")
def set_grant(grant_in: schemas.FieldGrantSet, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return access.set_grant(session, actor=actor, grant_in=grant_in)


@router.post(
    "/admin/consents", response_model=schemas.ConsentRead, status_code=201, summary="Record a consent"
)
def give_consent(consent_in: schemas.ConsentCreate, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return access.give_consent(session, actor=actor, consent_in=consent_in)


@router.post("/admin/consents/{consent_id}/revoke", response_model=schemas.ConsentRead, summary="Revoke")
def revoke_consent(consent_id: int, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return access.revoke_consent(session, actor=actor, consent_id=consent_id)
