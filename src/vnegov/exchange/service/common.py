"""What the registry's service modules share: constants, the change record, owners, rows and their schemas."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.catalogs import service as catalogs_service
from vnegov.catalogs.errors import CatalogNotFound
from vnegov.exchange import schemas
from vnegov.exchange.errors import NotMemberOwner, UnknownAgency
from vnegov.exchange.identifiers import ClientId, MemberId, ServiceId
from vnegov.exchange.models import AccessRight, Group, Member, Service, Subsystem
from vnegov.kernel import audit
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import PermissionDenied

PLATFORM_ADMIN = "platform-admin"
AGENCIES = "agencies"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
TOPIC_GRANTED = "exchange.access_right.granted"
TOPIC_REVOKED = "exchange.access_right.revoked"
REGISTRY_CHANGED = "vnegov.exchange.registry_changed"
"""Set in `session.info` by every registry write, so gateways in this process reload after the commit."""


def record_change(session: Session, **entry: Any) -> None:
    """Every registry write ends here: its audit row, and the mark that makes gateways reload."""
    session.info[REGISTRY_CHANGED] = True
    audit.record(session, **entry)


# --------------------------------------------------------------------------- identifiers and owners


def is_admin(actor: Principal) -> bool:
    return actor.has_role(PLATFORM_ADMIN) or actor.has_role("system")


def owns(actor: Principal, member: MemberId) -> bool:
    if is_admin(actor):
        return True
    return (
        member.member_class == "GOV" and bool(actor.agency_code) and actor.agency_code == member.member_code
    )


def check_owner(actor: Principal, member: MemberId, error: type[PermissionDenied] = NotMemberOwner) -> None:
    if not owns(actor, member):
        raise error(
            f"only the agency of member {member} (or a platform administrator) may do this",
            member=str(member),
        )


def check_agency(session: Session, code: str) -> None:
    """A GOV member code must be a current agency of the agencies catalogue, once that exists."""
    try:
        item = catalogs_service.get_item(session, AGENCIES, code)
    except CatalogNotFound:
        return  # no catalogue yet (a bare installation): accept
    if item is None:
        raise UnknownAgency(
            f"'{code}' is not a current agency code (catalogue '{AGENCIES}')", field="member_code"
        )


# --------------------------------------------------------------------------- rows


def load_member(session: Session, member: MemberId) -> Member | None:
    return session.scalar(
        sa.select(Member).where(
            Member.instance == member.instance,
            Member.member_class == member.member_class,
            Member.member_code == member.member_code,
        )
    )


def load_subsystem(session: Session, client: ClientId) -> Subsystem | None:
    return session.scalar(
        sa.select(Subsystem)
        .join(Member, Member.id == Subsystem.member_id)
        .where(
            Member.instance == client.instance,
            Member.member_class == client.member_class,
            Member.member_code == client.member_code,
            Subsystem.code == client.subsystem,
        )
    )


def version_is(version: str | None) -> sa.ColumnElement[bool]:
    return Service.version.is_(None) if version is None else Service.version == version


def load_service(session: Session, service: ServiceId) -> Service | None:
    subsystem = load_subsystem(session, service.provider)
    if subsystem is None:
        return None
    return session.scalar(
        sa.select(Service).where(
            Service.subsystem_id == subsystem.id,
            Service.service_code == service.service_code,
            version_is(service.version),
        )
    )


def member_id_of(row: Member) -> MemberId:
    return MemberId(row.instance, row.member_class, row.member_code)


def client_id_of(session: Session, row: Subsystem) -> ClientId:
    member = session.get(Member, row.member_id)
    assert member is not None
    return ClientId(member.instance, member.member_class, member.member_code, row.code)


def service_id_of(session: Session, row: Service) -> ServiceId:
    subsystem = session.get(Subsystem, row.subsystem_id)
    assert subsystem is not None
    return ServiceId(client_id_of(session, subsystem), row.service_code, row.version)


# --------------------------------------------------------------------------- schemas from rows


def member_read(row: Member, subsystems: list[str]) -> schemas.MemberRead:
    return schemas.MemberRead(
        id=str(member_id_of(row)),
        instance=row.instance,
        member_class=row.member_class,
        member_code=row.member_code,
        name=row.name,
        subsystems=subsystems,
        created_at=row.created_at,
    )


def subsystem_read(client: ClientId, row: Subsystem) -> schemas.SubsystemRead:
    return schemas.SubsystemRead(
        id=str(client),
        member=str(client.member),
        code=row.code,
        name=row.name,
        status=row.status,
        body_logging=row.body_logging or "metadata",
        created_at=row.created_at,
    )


def service_fields(service: ServiceId, row: Service) -> dict[str, Any]:
    return {
        "id": row.id,
        "service": str(service),
        "provider": str(service.provider),
        "service_code": row.service_code,
        "version": row.version,
        "title": row.title,
        "kind": row.kind,
        "status": row.status,
        "has_openapi": row.openapi is not None,
        "created_at": row.created_at,
    }


def right_client(session: Session, row: AccessRight) -> str:
    if row.group_id is not None:
        group = session.get(Group, row.group_id)
        assert group is not None
        return f"{group.kind}:{group.code}"
    client = session.get(Subsystem, row.client_id)
    assert client is not None
    return str(client_id_of(session, client))


def right_read(session: Session, row: AccessRight) -> schemas.AccessRightRead:
    service = session.get(Service, row.service_id)
    assert service is not None
    return schemas.AccessRightRead(
        id=row.id,
        service=str(service_id_of(session, service)),
        client=right_client(session, row),
        method=row.method,
        path=row.path,
        rate_per_second=row.rate_per_second,
        quota_per_day=row.quota_per_day,
        granted_by=row.granted_by,
        granted_at=row.granted_at,
        revoked_at=row.revoked_at,
    )
