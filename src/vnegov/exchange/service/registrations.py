"""Registrations (đăng ký): members, subsystems and services; their addresses, body logging and
descriptions."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from vnegov.exchange import schemas
from vnegov.exchange.errors import (
    InvalidRegistryInput,
    MemberExists,
    MemberNotFound,
    NotPlatformAdmin,
    ServiceExists,
    ServiceNotFound,
    SubsystemExists,
    SubsystemNotFound,
)
from vnegov.exchange.identifiers import MemberId, ServiceId, check_part, parse_client, parse_service
from vnegov.exchange.models import Member, Service, Subsystem
from vnegov.exchange.service.common import (
    check_agency,
    check_owner,
    is_admin,
    load_member,
    load_service,
    load_subsystem,
    member_read,
    record_change,
    service_fields,
    subsystem_read,
)
from vnegov.kernel.context import Principal


def register_member(
    session: Session, *, actor: Principal, member_in: schemas.MemberCreate
) -> schemas.MemberRead:
    if not is_admin(actor):
        raise NotPlatformAdmin("only a platform administrator registers members of the exchange")
    mid = MemberId(
        check_part(member_in.instance, "instance", "instance"),
        member_in.member_class,
        check_part(member_in.member_code, "member code", "member_code"),
    )
    if mid.member_class == "GOV":
        check_agency(session, mid.member_code)
    if load_member(session, mid) is not None:
        raise MemberExists(f"member {mid} is already registered", field="member_code")
    row = Member(
        instance=mid.instance,
        member_class=mid.member_class,
        member_code=mid.member_code,
        name=member_in.name,
    )
    session.add(row)
    session.flush()
    read = member_read(row, [])
    record_change(
        session,
        actor=actor,
        action="exchange.member.register",
        object_type="exchange_member",
        object_id=str(mid),
        after=read.model_dump(mode="json"),
    )
    return read


def register_subsystem(
    session: Session, *, actor: Principal, subsystem_in: schemas.SubsystemCreate
) -> schemas.SubsystemRead:
    cid = parse_client(subsystem_in.subsystem, field="subsystem")
    check_owner(actor, cid.member)
    member = load_member(session, cid.member)
    if member is None:
        raise MemberNotFound(str(cid.member))
    if load_subsystem(session, cid) is not None:
        raise SubsystemExists(f"subsystem {cid} is already registered", field="subsystem")
    row = Subsystem(member_id=member.id, code=cid.subsystem, name=subsystem_in.name, status="active")
    session.add(row)
    session.flush()
    read = subsystem_read(cid, row)
    record_change(
        session,
        actor=actor,
        action="exchange.subsystem.register",
        object_type="exchange_subsystem",
        object_id=str(cid),
        after=read.model_dump(mode="json"),
    )
    return read


def set_body_logging(
    session: Session, *, actor: Principal, subsystem: str, mode: str
) -> schemas.SubsystemRead:
    """What the message log keeps of calls to this subsystem's services (its member decides)."""
    cid = parse_client(subsystem, field="subsystem")
    check_owner(actor, cid.member)
    row = load_subsystem(session, cid)
    if row is None:
        raise SubsystemNotFound(str(cid), field="subsystem")
    before = row.body_logging
    row.body_logging = mode
    session.flush()
    record_change(
        session,
        actor=actor,
        action="exchange.subsystem.body_logging",
        object_type="exchange_subsystem",
        object_id=str(cid),
        before={"body_logging": before},
        after={"body_logging": mode},
    )
    return subsystem_read(cid, row)


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRegistryInput(
            f"upstream_url must be an http:// or https:// address, got {url!r}", field="upstream_url"
        )
    return url


def register_service(
    session: Session, *, actor: Principal, service_in: schemas.ServiceCreate
) -> schemas.ServiceDetail:
    sid = parse_service(service_in.service, field="service")
    check_owner(actor, sid.provider.member)
    _check_url(service_in.upstream_url)
    if service_in.openapi is not None:
        _check_openapi(service_in.kind, service_in.openapi)
    subsystem = load_subsystem(session, sid.provider)
    if subsystem is None:
        raise SubsystemNotFound(str(sid.provider), field="service")
    if load_service(session, sid) is not None:
        raise ServiceExists(f"service {sid} is already registered", field="service")
    row = Service(
        subsystem_id=subsystem.id,
        service_code=sid.service_code,
        version=sid.version,
        title=service_in.title,
        kind=service_in.kind,
        upstream_url=service_in.upstream_url,
        openapi=None if service_in.openapi is None else json.dumps(service_in.openapi, ensure_ascii=False),
        status="active",
        max_body_bytes=service_in.max_body_bytes,
        timeout_seconds=service_in.timeout_seconds,
        rate_per_second=service_in.rate_per_second,
        quota_per_day=service_in.quota_per_day,
    )
    session.add(row)
    session.flush()
    read = _detail(sid, row)
    record_change(
        session,
        actor=actor,
        action="exchange.service.register",
        object_type="exchange_service",
        object_id=str(sid),
        after=read.model_dump(mode="json"),
    )
    return read


def _check_openapi(kind: str, document: dict[str, Any]) -> None:
    if kind != "REST":
        raise InvalidRegistryInput("only REST services have an OpenAPI description", field="openapi")
    if not ({"openapi", "swagger"} & document.keys()):
        raise InvalidRegistryInput(
            "an OpenAPI description has an 'openapi' (or 'swagger') version field", field="openapi"
        )


def _detail(sid: ServiceId, row: Service) -> schemas.ServiceDetail:
    return schemas.ServiceDetail(
        **service_fields(sid, row),
        upstream_url=row.upstream_url,
        max_body_bytes=row.max_body_bytes,
        timeout_seconds=row.timeout_seconds,
        rate_per_second=row.rate_per_second,
        quota_per_day=row.quota_per_day,
    )


def service_detail(session: Session, *, actor: Principal, service: str) -> schemas.ServiceDetail:
    """A service as its provider sees it, with its address and limits (the provider's agency only)."""
    sid = parse_service(service, field="service")
    check_owner(actor, sid.provider.member)
    row = load_service(session, sid)
    if row is None:
        raise ServiceNotFound(str(sid))
    return _detail(sid, row)


def move_service(
    session: Session, *, actor: Principal, service: str, upstream_url: str
) -> schemas.ServiceRead:
    """Point a service at a new provider address (the provider's agency only); audited, and gateways
    reload their directory."""
    sid = parse_service(service, field="service")
    check_owner(actor, sid.provider.member)
    row = load_service(session, sid)
    if row is None:
        raise ServiceNotFound(str(sid))
    before = row.upstream_url
    row.upstream_url = _check_url(upstream_url)
    record_change(
        session,
        actor=actor,
        action="exchange.service.move",
        object_type="exchange_service",
        object_id=str(sid),
        before={"upstream_url": before},
        after={"upstream_url": row.upstream_url},
    )
    return schemas.ServiceRead(**service_fields(sid, row))


def describe_service(
    session: Session, *, actor: Principal, service: str, openapi: dict[str, Any]
) -> schemas.ServiceRead:
    """Set or replace a REST service's OpenAPI description (the provider's agency only); audited."""
    sid = parse_service(service, field="service")
    check_owner(actor, sid.provider.member)
    row = load_service(session, sid)
    if row is None:
        raise ServiceNotFound(str(sid))
    _check_openapi(row.kind, openapi)
    before = None if row.openapi is None else hashlib.sha256(row.openapi.encode()).hexdigest()
    row.openapi = json.dumps(openapi, ensure_ascii=False)
    record_change(
        session,
        actor=actor,
        action="exchange.service.describe",
        object_type="exchange_service",
        object_id=str(sid),
        before={"openapi_sha256": before},
        after={"openapi_sha256": hashlib.sha256(row.openapi.encode()).hexdigest()},
    )
    return schemas.ServiceRead(**service_fields(sid, row))
