"""REST API of the exchange registry (thin: parse, call the service, answer).

The directory (members, subsystems, services, OpenAPI descriptions) is public, as X-Road's metadata
protocol is. Writes need an API key: a platform administrator's for members, the member agency's for
its subsystems, services and access rights. Access rights are read only by the provider.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from vnegov.exchange import schemas, service
from vnegov.exchange.schemas import ID_MAX, MemberClass
from vnegov.kernel.http import CurrentPrincipal, ReadSession, WriteSession

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])

Identifier = Annotated[str, Query(max_length=ID_MAX)]


@router.post("/members", response_model=schemas.MemberRead, status_code=201, summary="Register a member")
def register_member(member_in: schemas.MemberCreate, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return service.register_member(session, actor=actor, member_in=member_in)


@router.get("/members", response_model=list[schemas.MemberRead], summary="Members of the exchange")
def list_members(
    session: ReadSession,
    instance: Annotated[str | None, Query(max_length=255)] = None,
    member_class: MemberClass | None = None,
) -> Any:
    return service.list_members(session, instance=instance, member_class=member_class)


@router.post(
    "/subsystems", response_model=schemas.SubsystemRead, status_code=201, summary="Register a subsystem"
)
def register_subsystem(
    subsystem_in: schemas.SubsystemCreate, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return service.register_subsystem(session, actor=actor, subsystem_in=subsystem_in)


@router.get("/subsystems", response_model=list[schemas.SubsystemRead], summary="Subsystems")
def list_subsystems(
    session: ReadSession,
    member: Annotated[str | None, Query(max_length=ID_MAX, description="VN/GOV/G12")] = None,
) -> Any:
    return service.list_subsystems(session, member=member)


@router.post("/services", response_model=schemas.ServiceDetail, status_code=201, summary="Register a service")
def register_service(
    service_in: schemas.ServiceCreate, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return service.register_service(session, actor=actor, service_in=service_in)


@router.get("/services", response_model=list[schemas.ServiceRead], summary="Services in the directory")
def list_services(
    session: ReadSession,
    provider: Annotated[
        str | None,
        Query(max_length=ID_MAX, description="A member (VN/GOV/G12) or subsystem (VN/GOV/G12/DVC)"),
    ] = None,
) -> Any:
    return service.list_services(session, provider=provider)


@router.get("/services/{service_id}/openapi", summary="A REST service's OpenAPI description")
def get_openapi(service_id: Annotated[int, Path(ge=1)], session: ReadSession) -> dict[str, Any]:
    return service.get_openapi(session, service_id)


@router.post(
    "/access-rights", response_model=schemas.AccessRightRead, status_code=201, summary="Grant an access right"
)
def grant_access(right_in: schemas.AccessRightCreate, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return service.grant_access(session, actor=actor, right_in=right_in)


@router.get(
    "/access-rights", response_model=list[schemas.AccessRightRead], summary="A service's access rights"
)
def list_access_rights(
    session: ReadSession,
    actor: CurrentPrincipal,
    service_id: Annotated[str, Query(alias="service", max_length=ID_MAX)],
    include_revoked: bool = False,
) -> Any:
    return service.list_access_rights(
        session, actor=actor, service=service_id, include_revoked=include_revoked
    )


@router.delete(
    "/access-rights/{right_id}", response_model=schemas.AccessRightRead, summary="Revoke an access right"
)
def revoke_access(
    right_id: Annotated[int, Path(ge=1)], session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return service.revoke_access(session, actor=actor, right_id=right_id)


@router.get("/access-check", response_model=schemas.AccessCheck, summary="May a client call an endpoint?")
def access_check(
    session: ReadSession,
    actor: CurrentPrincipal,
    client: Identifier,
    service_id: Annotated[str, Query(alias="service", max_length=ID_MAX)],
    method: Annotated[str, Query(max_length=10)] = "GET",
    path: Annotated[str, Query(max_length=2000)] = "/",
) -> Any:
    return service.check_access(
        session, actor=actor, client=client, service=service_id, method=method, path=path
    )
