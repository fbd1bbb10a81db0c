"""REST API of the exchange registry (thin: parse, call the service, answer).

The directory (members, subsystems, services, OpenAPI descriptions) is public, as X-Road's metadata
protocol is. Writes need an API key: a platform administrator's for members, the member agency's for
its subsystems, services and access rights. Access rights are read only by the provider.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from vnegov.exchange import credentials, federation, groups, logstore, opmon, schemas, service
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


@router.put(
    "/services/{service_id}/openapi",
    response_model=schemas.ServiceRead,
    summary="Set or replace a REST service's OpenAPI description (its provider)",
)
def describe_service(
    service_id: Annotated[int, Path(ge=1)],
    openapi: Annotated[dict[str, Any], Body(description="An OpenAPI 3 document")],
    session: WriteSession,
    actor: CurrentPrincipal,
) -> Any:
    name = service.service_name(session, service_id)
    return service.describe_service(session, actor=actor, service=name, openapi=openapi)


@router.put(
    "/services/{service_id}/upstream",
    response_model=schemas.ServiceRead,
    summary="Point a service at a new provider address (its provider)",
)
def move_service(
    service_id: Annotated[int, Path(ge=1)],
    body: schemas.ServiceMove,
    session: WriteSession,
    actor: CurrentPrincipal,
) -> Any:
    name = service.service_name(session, service_id)
    return service.move_service(session, actor=actor, service=name, upstream_url=body.upstream_url)


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


# --------------------------------------------------------------------------- client credentials


@router.post(
    "/subsystems/{subsystem:path}/credentials",
    response_model=schemas.CredentialIssued,
    status_code=201,
    summary="Issue client credentials (OAuth2 client_id and secret) to a subsystem",
)
def issue_credentials(subsystem: str, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return credentials.issue(session, actor=actor, subsystem=subsystem)


@router.get(
    "/subsystems/{subsystem:path}/credentials",
    response_model=list[schemas.CredentialRead],
    summary="A subsystem's client credentials (never their secrets)",
)
def list_credentials(subsystem: str, session: ReadSession, actor: CurrentPrincipal) -> Any:
    return credentials.list_for(session, actor=actor, subsystem=subsystem)


@router.delete(
    "/credentials/{client_id}",
    response_model=schemas.CredentialRead,
    summary="Revoke client credentials (their tokens stop working at the next registry refresh)",
)
def revoke_credentials(
    client_id: str,
    session: WriteSession,
    actor: CurrentPrincipal,
    subsystem: Annotated[str, Query(max_length=ID_MAX, description="VN/GOV/H24/DVC")],
) -> Any:
    return credentials.revoke(session, actor=actor, subsystem=subsystem, client_id=client_id)


# --------------------------------------------------------------------------- federation


@router.post("/gateways", response_model=schemas.GatewayRead, status_code=201, summary="Register a gateway")
def register_gateway(
    gateway_in: schemas.GatewayCreate, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return federation.register_gateway(session, actor=actor, gateway_in=gateway_in)


@router.get("/gateways", response_model=list[schemas.GatewayRead], summary="Gateways of the federation")
def list_gateways(session: ReadSession) -> Any:
    return federation.list_gateways(session)


@router.put(
    "/members/{member:path}/gateway",
    response_model=schemas.GatewayRead | None,
    summary="Which gateway serves a member's systems (none: this one)",
)
def set_member_gateway(
    member: str, body: schemas.MemberGateway, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return federation.set_member_gateway(session, actor=actor, member=member, gateway=body.gateway)


# --------------------------------------------------------------------------- the message log


@router.get(
    "/log",
    response_model=schemas.LogPage,
    summary="Search the message log (an agency sees its own calls; user ids are masked for providers)",
)
def search_log(
    session: WriteSession,  # a read of personal data writes its audit row
    actor: CurrentPrincipal,
    message_id: Annotated[str | None, Query(max_length=200)] = None,
    client: Identifier | None = None,
    service: Annotated[str | None, Query(max_length=1400)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    return logstore.search(
        session,
        actor=actor,
        message_id=message_id,
        client=client,
        service=service,
        since=since,
        until=until,
        before=before,
        limit=limit,
    )


@router.get(
    "/opmon",
    response_model=list[opmon.OpmonRead],
    summary="Operational monitoring records (X-Road opmon fields) of your agency's clients and services",
)
def operational_data(
    session: ReadSession,
    actor: CurrentPrincipal,
    since: datetime | None = None,
    until: datetime | None = None,
    client: Identifier | None = None,
    service: Annotated[str | None, Query(max_length=1400)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    return opmon.query(
        session, actor=actor, since=since, until=until, client=client, service=service, limit=limit
    )


@router.get("/health", summary="Gateway health: database, keys, certificate status, time-stamping, log")
async def gateway_health(request: Request) -> Any:
    """200 when every check passes, 503 otherwise; each check says what it found."""
    report = await run_in_threadpool(request.app.state.gateway.health)
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)


# --------------------------------------------------------------------------- groups

GroupKind = Annotated[str, Path(pattern="^(global|local)$")]
Owner = Annotated[
    str | None, Query(max_length=ID_MAX, description="Local groups: VN/GOV/H24 (default: yours)")
]


@router.post("/groups", response_model=schemas.GroupRead, status_code=201, summary="Create a group")
def create_group(group_in: schemas.GroupCreate, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return groups.create_group(session, actor=actor, group_in=group_in)


@router.get("/groups", response_model=list[schemas.GroupRead], summary="Global groups and your local groups")
def list_groups(session: ReadSession, actor: CurrentPrincipal) -> Any:
    return groups.list_groups(session, actor=actor)


@router.post(
    "/groups/{kind}/{code}/members", response_model=schemas.GroupRead, summary="Add a subsystem to a group"
)
def add_group_member(
    kind: GroupKind,
    code: str,
    body: schemas.GroupMembership,
    session: WriteSession,
    actor: CurrentPrincipal,
    owner: Owner = None,
) -> Any:
    return groups.add_member(
        session, actor=actor, kind=kind, code=code, subsystem=body.subsystem, owner=owner
    )


@router.delete(
    "/groups/{kind}/{code}/members/{subsystem:path}",
    response_model=schemas.GroupRead,
    summary="Remove a subsystem from a group",
)
def remove_group_member(
    kind: GroupKind,
    code: str,
    subsystem: str,
    session: WriteSession,
    actor: CurrentPrincipal,
    owner: Owner = None,
) -> Any:
    return groups.remove_member(session, actor=actor, kind=kind, code=code, subsystem=subsystem, owner=owner)


@router.get(
    "/log/{sequence}/bodies",
    response_model=schemas.LoggedBodies,
    summary="The bodies of a call logged in full (for the calling or providing agency; audited)",
)
def logged_bodies(
    sequence: Annotated[int, Path(ge=1)], session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return logstore.read_bodies(session, actor=actor, sequence=sequence)


@router.put(
    "/subsystems/{subsystem:path}/body-logging",
    response_model=schemas.SubsystemRead,
    summary="What the message log keeps of calls to a subsystem's services: full, metadata or off",
)
def set_body_logging(
    subsystem: str, body: schemas.BodyLoggingUpdate, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return service.set_body_logging(session, actor=actor, subsystem=subsystem, mode=body.body_logging)
