"""The registry as a gateway sees it (danh bạ của cổng): one immutable snapshot, read in one go.

Part of the exchange's service layer (it reads the registry tables). A gateway routes, authorises and
limits every call from a `Directory` held in memory, so the hot path never queries the database; it
loads a new one after a registry change in this process (`service.REGISTRY_CHANGED`) and at least every
`exchange.registry_refresh_seconds` otherwise (changes made by other processes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.exchange.identifiers import ClientId, MemberId, ServiceId
from vnegov.exchange.models import (
    AccessRight,
    ClientCredential,
    Gateway,
    GroupMember,
    Member,
    Service,
    Subsystem,
)
from vnegov.exchange.service.common import METHODS
from vnegov.exchange.service.rights import has_dot_segment, path_matches


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What one access right covers: a method (None: any) on paths under `path` (None: any)."""

    method: str | None
    path: str | None

    def covers(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path_matches(self.path, path)
        )


@dataclass(frozen=True, slots=True)
class Route:
    """A registered service and how to reach and limit it."""

    service: ServiceId
    title: str
    kind: str
    status: str
    upstream_url: str
    openapi: str | None
    max_body_bytes: int | None
    timeout_seconds: float | None
    rate_per_second: float | None
    quota_per_day: int | None
    rights: Mapping[str, tuple[Endpoint, ...]] = field(default_factory=dict)
    body_logging: str = "metadata"  # the provider subsystem's choice: full, metadata, off
    client_limits: Mapping[str, tuple[float | None, int | None]] = field(default_factory=dict)
    """Per client: (rate per second, daily quota) set on its access rights, overriding the service's."""

    def allows(self, client: str, method: str, path: str) -> bool:
        """May `client` call `method path` here? Dot segments are never allowed (no escaping a prefix)."""
        endpoints = self.rights.get(client)
        if not endpoints or method not in METHODS or has_dot_segment(unquote(path)):
            return False
        return any(e.covers(method, path) for e in endpoints)

    def endpoints_for(self, client: str) -> tuple[Endpoint, ...]:
        return self.rights.get(client, ())

    def openapi_document(self) -> dict[str, Any] | None:
        return None if self.openapi is None else json.loads(self.openapi)


@dataclass(frozen=True, slots=True)
class MemberEntry:
    member: MemberId
    name: str
    subsystems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GatewayEntry:
    """Another gateway of the federation and where it listens."""

    code: str
    role: str
    address: str


@dataclass(frozen=True)
class Directory:
    """Members, active subsystems, services with their live rights, live client credentials, and the
    other gateways of the federation with the members each serves."""

    members: tuple[MemberEntry, ...]
    subsystems: frozenset[str]
    routes: Mapping[str, Route]
    credentials: frozenset[str]
    gateways: Mapping[str, GatewayEntry] = field(default_factory=dict)
    served_by: Mapping[MemberId, str] = field(default_factory=dict)

    def route(
        self, provider: ClientId, service_code: str, next_segment: str | None
    ) -> tuple[Route, bool] | None:
        """The service `provider/service_code`, versioned by `next_segment` if such a version is registered.

        Returns the route and whether `next_segment` was taken as the version.
        """
        base = f"{provider}/{service_code}"
        if next_segment:
            versioned = self.routes.get(f"{base}/{next_segment}")
            if versioned is not None:
                return versioned, True
        plain = self.routes.get(base)
        return (plain, False) if plain is not None else None

    def services_of(self, provider: ClientId) -> list[Route]:
        return [r for r in self.routes.values() if r.service.provider == provider]

    @cached_property
    def _names(self) -> dict[MemberId, str]:
        return {entry.member: entry.name for entry in self.members}

    def knows(self, member: MemberId) -> bool:
        """Whether `member` is registered here (looked up on every call: a dict, not a scan)."""
        return member in self._names

    def member_name(self, member: MemberId) -> str:
        return self._names.get(member, "")


def _most(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


def load_directory(session: Session) -> Directory:
    """Read the whole registry (a few queries; thousands of rows at most) into a `Directory`."""
    members: dict[int, Member] = {m.id: m for m in session.scalars(sa.select(Member))}
    gateways = {g.id: g for g in session.scalars(sa.select(Gateway))}
    subsystems: dict[int, tuple[ClientId, Subsystem]] = {}
    for sub in session.scalars(sa.select(Subsystem)):
        m = members[sub.member_id]
        subsystems[sub.id] = (ClientId(m.instance, m.member_class, m.member_code, sub.code), sub)
    in_group: dict[int, list[str]] = {}
    for group_id, subsystem_id in session.execute(sa.select(GroupMember.group_id, GroupMember.subsystem_id)):
        in_group.setdefault(group_id, []).append(str(subsystems[subsystem_id][0]))
    rights: dict[int, dict[str, list[Endpoint]]] = {}
    limits: dict[int, dict[str, tuple[float | None, int | None]]] = {}
    live = sa.select(AccessRight).where(AccessRight.revoked_at.is_(None)).order_by(AccessRight.id)
    for right in session.scalars(live):
        # A group's right is each member subsystem's right; a membership change reloads the directory.
        if right.client_id is not None:
            clients = [str(subsystems[right.client_id][0])]
        else:
            clients = in_group.get(right.group_id or 0, [])
        for client in clients:
            rights.setdefault(right.service_id, {}).setdefault(client, []).append(
                Endpoint(right.method, right.path)
            )
            if right.rate_per_second is not None or right.quota_per_day is not None:
                # several rights with limits: the most generous of each applies
                rate, quota = limits.setdefault(right.service_id, {}).get(client, (None, None))
                limits[right.service_id][client] = (
                    _most(rate, right.rate_per_second),
                    _most(quota, right.quota_per_day),
                )
    routes: dict[str, Route] = {}
    for svc in session.scalars(sa.select(Service)):
        provider = subsystems[svc.subsystem_id][0]
        sid = ServiceId(provider, svc.service_code, svc.version)
        routes[str(sid)] = Route(
            service=sid,
            title=svc.title,
            kind=svc.kind,
            status=svc.status,
            upstream_url=svc.upstream_url,
            openapi=svc.openapi,
            max_body_bytes=svc.max_body_bytes,
            timeout_seconds=svc.timeout_seconds,
            rate_per_second=svc.rate_per_second,
            quota_per_day=svc.quota_per_day,
            rights={c: tuple(e) for c, e in rights.get(svc.id, {}).items()},
            body_logging=subsystems[svc.subsystem_id][1].body_logging,
            client_limits=limits.get(svc.id, {}),
        )
    by_member: dict[int, list[str]] = {}
    for cid, sub in subsystems.values():
        if sub.status == "active":
            by_member.setdefault(sub.member_id, []).append(cid.subsystem)
    entries = tuple(
        MemberEntry(
            MemberId(m.instance, m.member_class, m.member_code), m.name, tuple(sorted(by_member.get(i, [])))
        )
        for i, m in sorted(members.items())
    )
    credentials = frozenset(
        session.scalars(sa.select(ClientCredential.client_key).where(ClientCredential.revoked_at.is_(None)))
    )
    active = frozenset(str(cid) for cid, sub in subsystems.values() if sub.status == "active")
    return Directory(
        members=entries,
        subsystems=active,
        routes=routes,
        credentials=credentials,
        gateways={g.code: GatewayEntry(g.code, g.role, g.address) for g in gateways.values()},
        served_by={
            MemberId(m.instance, m.member_class, m.member_code): gateways[m.gateway_id].code
            for m in members.values()
            if m.gateway_id is not None
        },
    )
