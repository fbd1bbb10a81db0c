"""The public directory (danh bạ công khai): members, subsystems, services and their OpenAPI descriptions."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.exchange import schemas
from vnegov.exchange.errors import OpenApiNotFound, ServiceNotFound
from vnegov.exchange.identifiers import ClientId, ServiceId, parse_client, parse_member, parse_service
from vnegov.exchange.models import Member, Service, Subsystem
from vnegov.exchange.service.common import (
    load_service,
    member_id_of,
    member_read,
    service_fields,
    service_id_of,
    subsystem_read,
)


def list_members(
    session: Session, *, instance: str | None = None, member_class: str | None = None
) -> list[schemas.MemberRead]:
    query = sa.select(Member).order_by(Member.instance, Member.member_class, Member.member_code)
    if instance is not None:
        query = query.where(Member.instance == instance)
    if member_class is not None:
        query = query.where(Member.member_class == member_class)
    members = list(session.scalars(query))
    codes: dict[int, list[str]] = {}
    if members:
        for member_id, code in session.execute(
            sa.select(Subsystem.member_id, Subsystem.code)
            .where(Subsystem.member_id.in_([m.id for m in members]))
            .order_by(Subsystem.code)
        ):
            codes.setdefault(member_id, []).append(code)
    return [member_read(m, [f"{member_id_of(m)}/{c}" for c in codes.get(m.id, [])]) for m in members]


def list_subsystems(session: Session, *, member: str | None = None) -> list[schemas.SubsystemRead]:
    query = (
        sa.select(Subsystem, Member)
        .join(Member, Member.id == Subsystem.member_id)
        .order_by(Member.instance, Member.member_class, Member.member_code, Subsystem.code)
    )
    if member is not None:
        mid = parse_member(member, field="member")
        query = query.where(
            Member.instance == mid.instance,
            Member.member_class == mid.member_class,
            Member.member_code == mid.member_code,
        )
    return [
        subsystem_read(ClientId(m.instance, m.member_class, m.member_code, s.code), s)
        for s, m in session.execute(query)
    ]


def list_services(session: Session, *, provider: str | None = None) -> list[schemas.ServiceRead]:
    """Services in the directory; `provider` is a member (`VN/GOV/G12`) or a subsystem (`.../DVC`)."""
    query = (
        sa.select(Service, Subsystem, Member)
        .join(Subsystem, Subsystem.id == Service.subsystem_id)
        .join(Member, Member.id == Subsystem.member_id)
        .order_by(
            Member.instance, Member.member_class, Member.member_code, Subsystem.code, Service.service_code
        )
    )
    if provider is not None:
        if provider.strip().strip("/").count("/") == 2:
            mid = parse_member(provider, field="provider")
        else:
            client = parse_client(provider, field="provider")
            mid = client.member
            query = query.where(Subsystem.code == client.subsystem)
        query = query.where(
            Member.instance == mid.instance,
            Member.member_class == mid.member_class,
            Member.member_code == mid.member_code,
        )
    out = []
    for svc, sub, mem in session.execute(query):
        sid = ServiceId(
            ClientId(mem.instance, mem.member_class, mem.member_code, sub.code), svc.service_code, svc.version
        )
        out.append(schemas.ServiceRead(**service_fields(sid, svc)))
    return out


def service_name(session: Session, service_id: int) -> str:
    """A service's identifier (VN/GOV/G12/DVC/traCuuHoSo/v1) from its id in the directory."""
    row = session.get(Service, service_id)
    if row is None:
        raise ServiceNotFound(str(service_id))
    return str(service_id_of(session, row))


def get_openapi(session: Session, service: int | str) -> dict[str, Any]:
    """The OpenAPI description of a REST service, by id or by identifier."""
    if isinstance(service, int):
        row = session.get(Service, service)
    else:
        row = load_service(session, parse_service(service))
    if row is None:
        raise ServiceNotFound(str(service))
    if row.openapi is None:
        raise OpenApiNotFound(f"service '{service}' has no OpenAPI description", service=str(service))
    document: dict[str, Any] = json.loads(row.openapi)
    return document
