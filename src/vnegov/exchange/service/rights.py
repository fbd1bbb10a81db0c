"""Access rights (quyền truy cập): granted and revoked by the provider, at service or endpoint level;
the access check."""

from __future__ import annotations

from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.exchange import schemas
from vnegov.exchange.errors import (
    AccessRightExists,
    AccessRightNotFound,
    AccessRightRevoked,
    InvalidRegistryInput,
    NotProvider,
    ServiceNotFound,
    SubsystemNotFound,
)
from vnegov.exchange.identifiers import MemberId, parse_client, parse_service
from vnegov.exchange.models import AccessRight, Group, GroupMember
from vnegov.exchange.service.common import (
    METHODS,
    TOPIC_GRANTED,
    TOPIC_REVOKED,
    check_owner,
    load_member,
    load_service,
    load_subsystem,
    owns,
    record_change,
    right_read,
)
from vnegov.kernel import outbox
from vnegov.kernel.clock import now
from vnegov.kernel.context import Principal


def has_dot_segment(path: str) -> bool:
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
    if not path.startswith("/") or "?" in path or "#" in path or has_dot_segment(unquote(path)):
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
    owner = load_member(session, provider)
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
    client = load_subsystem(session, cid)
    if client is None:
        raise SubsystemNotFound(str(cid), field="client")
    return client.id, None, str(cid)


def grant_access(
    session: Session, *, actor: Principal, right_in: schemas.AccessRightCreate
) -> schemas.AccessRightRead:
    """Let a client subsystem, or a group (`global:<code>`, `local:<code>`), call a service."""
    sid = parse_service(right_in.service, field="service")
    check_owner(actor, sid.provider.member, NotProvider)
    method = _check_method(right_in.method)
    path = _check_path(right_in.path)
    service = load_service(session, sid)
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
    read = right_read(session, row)
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
    before = right_read(session, row)
    if not owns(actor, parse_service(before.service).provider.member):
        raise AccessRightNotFound(right_id)  # another provider's right: as if it did not exist
    if row.revoked_at is not None:
        raise AccessRightRevoked(f"access right {right_id} was already revoked", access_right=right_id)
    row.revoked_at = now()
    session.flush()
    read = right_read(session, row)
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
    check_owner(actor, sid.provider.member, NotProvider)
    row = load_service(session, sid)
    if row is None:
        raise ServiceNotFound(str(sid))
    query = sa.select(AccessRight).where(AccessRight.service_id == row.id).order_by(AccessRight.id)
    if not include_revoked:
        query = query.where(AccessRight.revoked_at.is_(None))
    return [right_read(session, r) for r in session.scalars(query)]


def path_matches(pattern: str, path: str) -> bool:
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
    if has_dot_segment(unquote(path)):
        return False
    service_row = load_service(session, sid)
    client_row = load_subsystem(session, cid)
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
    return any((m is None or m == method) and (p is None or path_matches(p, path)) for m, p in rights)


def check_access(
    session: Session, *, actor: Principal, client: str, service: str, method: str, path: str
) -> schemas.AccessCheck:
    """`access_check` for the provider of `service` (or a platform administrator)."""
    sid = parse_service(service, field="service")
    parse_client(client, field="client")
    check_owner(actor, sid.provider.member, NotProvider)
    allowed = access_check(session, client, service, method, path)
    return schemas.AccessCheck(client=client, service=service, method=method, path=path, allowed=allowed)
