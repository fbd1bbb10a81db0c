"""The exchange registry's domain logic: the only code that touches `exchange.models`.

Reads take a session and return schemas, never ORM rows. Writes take `actor=`, check who may act
(platform administrators register members; a GOV member's own agency registers its subsystems and
services and manages their access rights), validate, write the change and its audit row (and, for
access rights, an outbox event) in the caller's transaction, and never commit.

Who owns a subsystem or service is read from its identifier (`VN/GOV/<agency code>/...`), before any
lookup: an agency asking about another provider's access rights hears the same answer whether the
service exists or not. COM and ORG members are managed by platform administrators for now.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.catalogs import service as catalogs_service
from vnegov.catalogs.errors import CatalogNotFound
from vnegov.exchange import schemas
from vnegov.exchange.errors import (
    AccessRightExists,
    AccessRightNotFound,
    AccessRightRevoked,
    InvalidRegistryInput,
    MemberExists,
    MemberNotFound,
    NotMemberOwner,
    NotPlatformAdmin,
    NotProvider,
    OpenApiNotFound,
    ServiceExists,
    ServiceNotFound,
    SubsystemExists,
    SubsystemNotFound,
    UnknownAgency,
)
from vnegov.exchange.identifiers import (
    ClientId,
    MemberId,
    ServiceId,
    check_part,
    parse_client,
    parse_member,
    parse_service,
)
from vnegov.exchange.models import AccessRight, Group, GroupMember, Member, Service, Subsystem
from vnegov.kernel import audit, outbox
from vnegov.kernel.clock import now
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


def _is_admin(actor: Principal) -> bool:
    return actor.has_role(PLATFORM_ADMIN) or actor.has_role("system")


def _owns(actor: Principal, member: MemberId) -> bool:
    if _is_admin(actor):
        return True
    return (
        member.member_class == "GOV" and bool(actor.agency_code) and actor.agency_code == member.member_code
    )


def _check_owner(actor: Principal, member: MemberId, error: type[PermissionDenied] = NotMemberOwner) -> None:
    if not _owns(actor, member):
        raise error(
            f"only the agency of member {member} (or a platform administrator) may do this",
            member=str(member),
        )


def _check_agency(session: Session, code: str) -> None:
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


def _member_row(session: Session, member: MemberId) -> Member | None:
    return session.scalar(
        sa.select(Member).where(
            Member.instance == member.instance,
            Member.member_class == member.member_class,
            Member.member_code == member.member_code,
        )
    )


def _subsystem_row(session: Session, client: ClientId) -> Subsystem | None:
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


def _version_is(version: str | None) -> sa.ColumnElement[bool]:
    return Service.version.is_(None) if version is None else Service.version == version


def _service_row(session: Session, service: ServiceId) -> Service | None:
    subsystem = _subsystem_row(session, service.provider)
    if subsystem is None:
        return None
    return session.scalar(
        sa.select(Service).where(
            Service.subsystem_id == subsystem.id,
            Service.service_code == service.service_code,
            _version_is(service.version),
        )
    )


def _member_id(row: Member) -> MemberId:
    return MemberId(row.instance, row.member_class, row.member_code)


def _client_id(session: Session, row: Subsystem) -> ClientId:
    member = session.get(Member, row.member_id)
    assert member is not None
    return ClientId(member.instance, member.member_class, member.member_code, row.code)


def _service_id(session: Session, row: Service) -> ServiceId:
    subsystem = session.get(Subsystem, row.subsystem_id)
    assert subsystem is not None
    return ServiceId(_client_id(session, subsystem), row.service_code, row.version)


# --------------------------------------------------------------------------- schemas from rows


def _member_read(row: Member, subsystems: list[str]) -> schemas.MemberRead:
    return schemas.MemberRead(
        id=str(_member_id(row)),
        instance=row.instance,
        member_class=row.member_class,
        member_code=row.member_code,
        name=row.name,
        subsystems=subsystems,
        created_at=row.created_at,
    )


def _subsystem_read(client: ClientId, row: Subsystem) -> schemas.SubsystemRead:
    return schemas.SubsystemRead(
        id=str(client),
        member=str(client.member),
        code=row.code,
        name=row.name,
        status=row.status,
        body_logging=row.body_logging or "metadata",
        created_at=row.created_at,
    )


def _service_fields(service: ServiceId, row: Service) -> dict[str, Any]:
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


def _right_client(session: Session, row: AccessRight) -> str:
    if row.group_id is not None:
        group = session.get(Group, row.group_id)
        assert group is not None
        return f"{group.kind}:{group.code}"
    client = session.get(Subsystem, row.client_id)
    assert client is not None
    return str(_client_id(session, client))


def _right_read(session: Session, row: AccessRight) -> schemas.AccessRightRead:
    service = session.get(Service, row.service_id)
    assert service is not None
    return schemas.AccessRightRead(
        id=row.id,
        service=str(_service_id(session, service)),
        client=_right_client(session, row),
        method=row.method,
        path=row.path,
        rate_per_second=row.rate_per_second,
        quota_per_day=row.quota_per_day,
        granted_by=row.granted_by,
        granted_at=row.granted_at,
        revoked_at=row.revoked_at,
    )


# --------------------------------------------------------------------------- directory (public reads)


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
    return [_member_read(m, [f"{_member_id(m)}/{c}" for c in codes.get(m.id, [])]) for m in members]


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
        _subsystem_read(ClientId(m.instance, m.member_class, m.member_code, s.code), s)
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
        out.append(schemas.ServiceRead(**_service_fields(sid, svc)))
    return out


def get_openapi(session: Session, service: int | str) -> dict[str, Any]:
    """The OpenAPI description of a REST service, by id or by identifier."""
    if isinstance(service, int):
        row = session.get(Service, service)
    else:
        row = _service_row(session, parse_service(service))
    if row is None:
        raise ServiceNotFound(str(service))
    if row.openapi is None:
        raise OpenApiNotFound(f"service '{service}' has no OpenAPI description", service=str(service))
    document: dict[str, Any] = json.loads(row.openapi)
    return document


# --------------------------------------------------------------------------- registrations


def register_member(
    session: Session, *, actor: Principal, member_in: schemas.MemberCreate
) -> schemas.MemberRead:
    if not _is_admin(actor):
        raise NotPlatformAdmin("only a platform administrator registers members of the exchange")
    mid = MemberId(
        check_part(member_in.instance, "instance", "instance"),
        member_in.member_class,
        check_part(member_in.member_code, "member code", "member_code"),
    )
    if mid.member_class == "GOV":
        _check_agency(session, mid.member_code)
    if _member_row(session, mid) is not None:
        raise MemberExists(f"member {mid} is already registered", field="member_code")
    row = Member(
        instance=mid.instance,
        member_class=mid.member_class,
        member_code=mid.member_code,
        name=member_in.name,
    )
    session.add(row)
    session.flush()
    read = _member_read(row, [])
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
    _check_owner(actor, cid.member)
    member = _member_row(session, cid.member)
    if member is None:
        raise MemberNotFound(str(cid.member))
    if _subsystem_row(session, cid) is not None:
        raise SubsystemExists(f"subsystem {cid} is already registered", field="subsystem")
    row = Subsystem(member_id=member.id, code=cid.subsystem, name=subsystem_in.name, status="active")
    session.add(row)
    session.flush()
    read = _subsystem_read(cid, row)
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
    _check_owner(actor, cid.member)
    row = _subsystem_row(session, cid)
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
    return _subsystem_read(cid, row)


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
    _check_owner(actor, sid.provider.member)
    _check_url(service_in.upstream_url)
    if service_in.openapi is not None:
        _check_openapi(service_in.kind, service_in.openapi)
    subsystem = _subsystem_row(session, sid.provider)
    if subsystem is None:
        raise SubsystemNotFound(str(sid.provider), field="service")
    if _service_row(session, sid) is not None:
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
    read = schemas.ServiceDetail(
        **_service_fields(sid, row),
        upstream_url=row.upstream_url,
        max_body_bytes=row.max_body_bytes,
        timeout_seconds=row.timeout_seconds,
        rate_per_second=row.rate_per_second,
        quota_per_day=row.quota_per_day,
    )
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


def move_service(
    session: Session, *, actor: Principal, service: str, upstream_url: str
) -> schemas.ServiceRead:
    """Point a service at a new provider address (the provider's agency only); audited, and gateways
    reload their directory."""
    sid = parse_service(service, field="service")
    _check_owner(actor, sid.provider.member)
    row = _service_row(session, sid)
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
    return schemas.ServiceRead(**_service_fields(sid, row))


def describe_service(
    session: Session, *, actor: Principal, service: str, openapi: dict[str, Any]
) -> schemas.ServiceRead:
    """Set or replace a REST service's OpenAPI description (the provider's agency only); audited."""
    sid = parse_service(service, field="service")
    _check_owner(actor, sid.provider.member)
    row = _service_row(session, sid)
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
    return schemas.ServiceRead(**_service_fields(sid, row))


# --------------------------------------------------------------------------- access rights


def _has_dot_segment(path: str) -> bool:
    return "." in path and any(seg in (".", "..") for seg in path.split("/"))


def _check_method(method: str | None) -> str | None:
    if method is None:
        return None
    upper = method.upper()
    if upper not in METHODS:
        raise InvalidRegistryInput(
            f"method must be one of {', '.join(METHODS)} (or none for any), got {method!r}", field="method"
        )
    return upper


def _check_path(path: str | None) -> str | None:
    if path is None:
        return None
    if not path.startswith("/") or "?" in path or "#" in path or _has_dot_segment(unquote(path)):
        raise InvalidRegistryInput(
            f"path must start with '/' and have no query, fragment or dot segments, got {path!r}",
            field="path",
        )
    return path


GROUP_KINDS = ("global", "local")


def group_row(session: Session, spec: str, provider: MemberId) -> Group | None:
    """The group a client spec names: `global:<code>`, or `local:<code>` of the provider's member."""
    kind, _, code = spec.partition(":")
    if kind == "global":
        return session.scalar(sa.select(Group).where(Group.kind == "global", Group.code == code))
    owner = _member_row(session, provider)
    if owner is None:
        return None
    return session.scalar(
        sa.select(Group).where(Group.kind == "local", Group.code == code, Group.owner_member_id == owner.id)
    )


def _grantee(session: Session, spec: str, provider: MemberId) -> tuple[int | None, int | None, str]:
    """(subsystem id, group id, display) of the client an access right names."""
    if spec.partition(":")[0] in GROUP_KINDS:
        group = group_row(session, spec, provider)
        if group is None:
            raise InvalidRegistryInput(f"group {spec} does not exist", field="client")
        return None, group.id, spec
    cid = parse_client(spec, field="client")
    client = _subsystem_row(session, cid)
    if client is None:
        raise SubsystemNotFound(str(cid), field="client")
    return client.id, None, str(cid)


def grant_access(
    session: Session, *, actor: Principal, right_in: schemas.AccessRightCreate
) -> schemas.AccessRightRead:
    """Let a client subsystem, or a group (`global:<code>`, `local:<code>`), call a service."""
    sid = parse_service(right_in.service, field="service")
    _check_owner(actor, sid.provider.member, NotProvider)
    method = _check_method(right_in.method)
    path = _check_path(right_in.path)
    service = _service_row(session, sid)
    if service is None:
        raise ServiceNotFound(str(sid))
    client_id, group_id, cid = _grantee(session, right_in.client, sid.provider.member)
    duplicate = session.scalar(
        sa.select(AccessRight.id).where(
            AccessRight.service_id == service.id,
            AccessRight.client_id == client_id if client_id else AccessRight.group_id == group_id,
            AccessRight.revoked_at.is_(None),
            AccessRight.method.is_(None) if method is None else AccessRight.method == method,
            AccessRight.path.is_(None) if path is None else AccessRight.path == path,
        )
    )
    if duplicate is not None:
        raise AccessRightExists(
            f"{cid} already has this right on {sid} (access right {duplicate})", field="client"
        )
    row = AccessRight(
        service_id=service.id,
        client_id=client_id,
        group_id=group_id,
        method=method,
        path=path,
        rate_per_second=right_in.rate_per_second,
        quota_per_day=right_in.quota_per_day,
        granted_by=actor.subject,
        granted_at=now(),
    )
    session.add(row)
    session.flush()
    read = _right_read(session, row)
    after = read.model_dump(mode="json")
    record_change(
        session,
        actor=actor,
        action="exchange.access_right.grant",
        object_type="exchange_access_right",
        object_id=str(row.id),
        after=after,
    )
    outbox.emit(session, TOPIC_GRANTED, after)
    return read


def revoke_access(session: Session, *, actor: Principal, right_id: int) -> schemas.AccessRightRead:
    row = session.get(AccessRight, right_id)
    if row is None:
        raise AccessRightNotFound(right_id)
    before = _right_read(session, row)
    if not _owns(actor, parse_service(before.service).provider.member):
        raise AccessRightNotFound(right_id)  # another provider's right: as if it did not exist
    if row.revoked_at is not None:
        raise AccessRightRevoked(f"access right {right_id} was already revoked", access_right=right_id)
    row.revoked_at = now()
    session.flush()
    read = _right_read(session, row)
    after = read.model_dump(mode="json")
    record_change(
        session,
        actor=actor,
        action="exchange.access_right.revoke",
        object_type="exchange_access_right",
        object_id=str(row.id),
        before=before.model_dump(mode="json"),
        after=after,
    )
    outbox.emit(session, TOPIC_REVOKED, after)
    return read


def list_access_rights(
    session: Session, *, actor: Principal, service: str, include_revoked: bool = False
) -> list[schemas.AccessRightRead]:
    """A service's access rights, for its provider (or a platform administrator)."""
    sid = parse_service(service, field="service")
    _check_owner(actor, sid.provider.member, NotProvider)
    row = _service_row(session, sid)
    if row is None:
        raise ServiceNotFound(str(sid))
    query = sa.select(AccessRight).where(AccessRight.service_id == row.id).order_by(AccessRight.id)
    if not include_revoked:
        query = query.where(AccessRight.revoked_at.is_(None))
    return [_right_read(session, r) for r in session.scalars(query)]


def _path_matches(pattern: str, path: str) -> bool:
    """`/persons` covers `/persons` and `/persons/1` but not `/personsX`; `/persons/` covers what is
    under it."""
    if pattern.endswith("/"):
        return path.startswith(pattern)
    return path == pattern or path.startswith(pattern + "/")


def access_check(session: Session, client: str, service: str, method: str, path: str) -> bool:
    """May `client` call `method path` on `service`? True for a live right at service level or one whose
    method (or any) and path prefix (or any) match. Unknown client or service: False."""
    sid = parse_service(service, field="service")
    cid = parse_client(client, field="client")
    method = method.upper()
    if method not in METHODS:
        return False
    path = path.split("?", 1)[0] or "/"
    if not path.startswith("/"):
        path = "/" + path
    if _has_dot_segment(unquote(path)):
        return False
    service_row = _service_row(session, sid)
    client_row = _subsystem_row(session, cid)
    if service_row is None or client_row is None:
        return False
    groups = sa.select(GroupMember.group_id).where(GroupMember.subsystem_id == client_row.id)
    rights = session.execute(
        sa.select(AccessRight.method, AccessRight.path).where(
            AccessRight.service_id == service_row.id,
            sa.or_(AccessRight.client_id == client_row.id, AccessRight.group_id.in_(groups)),
            AccessRight.revoked_at.is_(None),
        )
    )
    return any((m is None or m == method) and (p is None or _path_matches(p, path)) for m, p in rights)


def check_access(
    session: Session, *, actor: Principal, client: str, service: str, method: str, path: str
) -> schemas.AccessCheck:
    """`access_check` for the provider of `service` (or a platform administrator)."""
    sid = parse_service(service, field="service")
    parse_client(client, field="client")
    _check_owner(actor, sid.provider.member, NotProvider)
    allowed = access_check(session, client, service, method, path)
    return schemas.AccessCheck(client=client, service=service, method=method, path=path, allowed=allowed)
