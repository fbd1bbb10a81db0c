"""Global and local groups of client subsystems (nhóm hệ thống), as X-Road has them.

Part of the exchange's service layer. A provider grants an access right to `global:<code>` (a group
the platform operator keeps, e.g. every province's one-stop system) or `local:<code>` (a group its own
member keeps); every subsystem in the group then holds that right, and joining or leaving a group
takes effect at the gateway's next registry reload (at once in this process).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.exchange import schemas
from vnegov.exchange.errors import InvalidRegistryInput, MemberNotFound, NotPlatformAdmin, SubsystemNotFound
from vnegov.exchange.identifiers import MemberId, check_part, parse_client, parse_member
from vnegov.exchange.models import Group, GroupMember, Member, Subsystem
from vnegov.exchange.service.common import (
    check_owner,
    client_id_of,
    is_admin,
    load_member,
    load_subsystem,
    member_id_of,
    record_change,
)
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import Conflict, NotFound


class GroupExists(Conflict):
    code = "group_exists"


class GroupNotFound(NotFound):
    code = "group_not_found"


def _read(session: Session, row: Group) -> schemas.GroupRead:
    subs = session.scalars(
        sa.select(Subsystem)
        .join(GroupMember, GroupMember.subsystem_id == Subsystem.id)
        .where(GroupMember.group_id == row.id)
        .order_by(Subsystem.id)
    )
    owner = session.get(Member, row.owner_member_id) if row.owner_member_id else None
    return schemas.GroupRead(
        id=f"{row.kind}:{row.code}",
        kind=row.kind,
        code=row.code,
        name=row.name,
        owner=str(member_id_of(owner)) if owner else None,
        members=[str(client_id_of(session, s)) for s in subs],
        created_at=row.created_at,
    )


def _owner_of(actor: Principal, kind: str, owner: str | None) -> MemberId | None:
    if kind == "global":
        if not is_admin(actor):
            raise NotPlatformAdmin("only a platform administrator keeps global groups")
        return None
    mid = parse_member(owner or f"VN/GOV/{actor.agency_code}", field="owner")
    check_owner(actor, mid)
    return mid


def _find(session: Session, actor: Principal, kind: str, code: str, owner: str | None) -> Group:
    mid = _owner_of(actor, kind, owner)
    query = sa.select(Group).where(Group.kind == kind, Group.code == code)
    if mid is not None:
        member = load_member(session, mid)
        query = query.where(Group.owner_member_id == (member.id if member else -1))
    row = session.scalar(query)
    if row is None:
        raise GroupNotFound(f"group {kind}:{code} does not exist", group=f"{kind}:{code}")
    return row


def create_group(session: Session, *, actor: Principal, group_in: schemas.GroupCreate) -> schemas.GroupRead:
    code = check_part(group_in.code, "group code", "code")
    mid = _owner_of(actor, group_in.kind, group_in.owner)
    owner_id = None
    if mid is not None:
        member = load_member(session, mid)
        if member is None:
            raise MemberNotFound(str(mid))
        owner_id = member.id
    exists = session.scalar(
        sa.select(Group.id).where(
            Group.kind == group_in.kind,
            Group.code == code,
            Group.owner_member_id.is_(None) if owner_id is None else Group.owner_member_id == owner_id,
        )
    )
    if exists is not None:
        raise GroupExists(f"group {group_in.kind}:{code} already exists", field="code")
    row = Group(kind=group_in.kind, code=code, name=group_in.name, owner_member_id=owner_id)
    session.add(row)
    session.flush()
    read = _read(session, row)
    record_change(
        session,
        actor=actor,
        action="exchange.group.create",
        object_type="exchange_group",
        object_id=read.id,
        after=read.model_dump(mode="json"),
    )
    return read


def _membership(
    session: Session, actor: Principal, kind: str, code: str, owner: str | None, subsystem: str, *, add: bool
) -> schemas.GroupRead:
    group = _find(session, actor, kind, code, owner)
    cid = parse_client(subsystem, field="subsystem")
    sub = load_subsystem(session, cid)
    if sub is None:
        raise SubsystemNotFound(str(cid), field="subsystem")
    link = session.get(GroupMember, (group.id, sub.id))
    if add and link is None:
        session.add(GroupMember(group_id=group.id, subsystem_id=sub.id))
    elif not add and link is not None:
        session.delete(link)
    elif add:
        raise InvalidRegistryInput(f"{cid} is already in group {kind}:{code}", field="subsystem")
    else:
        raise InvalidRegistryInput(f"{cid} is not in group {kind}:{code}", field="subsystem")
    session.flush()
    read = _read(session, group)
    record_change(
        session,
        actor=actor,
        action="exchange.group.add" if add else "exchange.group.remove",
        object_type="exchange_group",
        object_id=read.id,
        after={"subsystem": str(cid), "members": read.members},
    )
    return read


def add_member(
    session: Session, *, actor: Principal, kind: str, code: str, subsystem: str, owner: str | None = None
) -> schemas.GroupRead:
    return _membership(session, actor, kind, code, owner, subsystem, add=True)


def remove_member(
    session: Session, *, actor: Principal, kind: str, code: str, subsystem: str, owner: str | None = None
) -> schemas.GroupRead:
    return _membership(session, actor, kind, code, owner, subsystem, add=False)


def list_groups(session: Session, *, actor: Principal) -> list[schemas.GroupRead]:
    """Global groups (every member may see who is in them) and the caller's own local groups."""
    rows = session.scalars(sa.select(Group).order_by(Group.kind, Group.code))
    own = f"VN/GOV/{actor.agency_code}"
    return [
        read
        for read in (_read(session, r) for r in rows)
        if read.kind == "global" or is_admin(actor) or read.owner == own
    ]
