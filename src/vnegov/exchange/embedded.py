"""Embedded tiers (`vnegov up`): provinces' LGSP gateways in the same process as the NDXP.

So that a newcomer sees the federation without running three processes, `vnegov up` also runs one
gateway for each province of `exchange.embedded_provinces` (Hà Nội, `H24`, by default): `VN/GOV/H24/LGSP`,
with a database of its own (`data/exchange-lgsp-h24.db`) and its own message log, under the path prefix
`/lgsp/h24`. The gateways talk over the in-process transport (the caller names itself in an ASGI scope
extension instead of a TLS certificate). A call from the province's one-stop system (`VN/GOV/H24/MCDT`,
credentials in `data/demo-credentials.json`, key `exchange_lgsp_h24`) to a national service,
`POST /lgsp/h24/r1/VN/GOV/G22/DVCQG/echo/v1`, travels LGSP → NDXP → provider and is logged by both.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from starlette.types import ASGIApp

from vnegov import migrate
from vnegov.exchange import credentials, federation, schemas, service
from vnegov.exchange.errors import AccessRightExists, MemberExists, SubsystemExists
from vnegov.exchange.gateway.runtime import Gateway
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.settings import Settings
from vnegov.signing import service as signing
from vnegov.signing.context import SigningContext

log = logging.getLogger(__name__)

NATIONAL_SERVICES = ("VN/GOV/G22/DVCQG/echo/v1", "VN/GOV/G12/DMDC/danhMucDungChung/v1")


@dataclass(frozen=True)
class Tier:
    """A province's embedded LGSP (nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh): its names and paths."""

    province: str  # the agency code, e.g. H24
    name: str  # the member's name in the NDXP's registry

    @property
    def member(self) -> str:
        return f"VN/GOV/{self.province}"

    @property
    def lgsp(self) -> str:
        return f"{self.member}/LGSP"

    @property
    def client(self) -> str:
        """The province's one-stop system (hệ thống thông tin một cửa điện tử), the demo client."""
        return f"{self.member}/MCDT"

    @property
    def prefix(self) -> str:
        return f"/lgsp/{self.province.lower()}"

    @property
    def secrets_key(self) -> str:
        return f"exchange_lgsp_{self.province.lower()}"

    @property
    def database_file(self) -> str:
        return f"exchange-lgsp-{self.province.lower()}.db"


HANOI = Tier("H24", "Ủy ban nhân dân thành phố Hà Nội")  # the default tier, named in the docs
LGSP, PREFIX, CLIENT, SECRETS_KEY = HANOI.lgsp, HANOI.prefix, HANOI.client, HANOI.secrets_key


def _quietly(fn: Any, *errors: type[Exception]) -> None:
    """Seeding is idempotent: what exists already stays."""
    with contextlib.suppress(*errors):
        fn()


def _national(session: Session, tier: Tier, address: str) -> None:
    """The NDXP knows the LGSP, the members it serves, and grants its client the demo services."""
    if not any(g.code == tier.lgsp for g in federation.list_gateways(session)):
        federation.register_gateway(
            session,
            actor=SYSTEM,
            gateway_in=schemas.GatewayCreate(
                code=tier.lgsp, name=f"LGSP — {tier.name} (embedded)", role="lgsp", address=address
            ),
        )
        federation.set_member_gateway(session, actor=SYSTEM, member=tier.member, gateway=tier.lgsp)
    _quietly(
        lambda: service.register_subsystem(
            session,
            actor=SYSTEM,
            subsystem_in=schemas.SubsystemCreate(
                subsystem=tier.client, name=f"Một cửa điện tử — {tier.name}"
            ),
        ),
        SubsystemExists,
    )
    for national in NATIONAL_SERVICES:
        _quietly(
            lambda s=national: service.grant_access(
                session, actor=SYSTEM, right_in=schemas.AccessRightCreate(service=s, client=tier.client)
            ),
            AccessRightExists,
        )


def _provincial(session: Session, tier: Tier) -> list[dict[str, Any]] | None:
    """The LGSP's own registry: the province and its one-stop system, with client credentials (first
    time)."""
    try:
        service.register_member(
            session,
            actor=SYSTEM,
            member_in=schemas.MemberCreate(member_class="GOV", member_code=tier.province, name=tier.name),
        )
    except MemberExists:
        return None
    service.register_subsystem(
        session,
        actor=SYSTEM,
        subsystem_in=schemas.SubsystemCreate(subsystem=tier.client, name=f"Một cửa điện tử — {tier.name}"),
    )
    issued = credentials.issue(session, actor=SYSTEM, subsystem=tier.client)
    return [{**issued.model_dump(mode="json"), "gateway": tier.lgsp, "token_url": f"{tier.prefix}/token"}]


def _remember(path: Path, key: str, secrets: list[dict[str, Any]]) -> None:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[key] = secrets
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, ensure_ascii=False, indent=2))


def tiers(settings: Settings, db: Database) -> list[Tier]:
    """The provinces of `exchange.embedded_provinces` that the NDXP's registry has as members; the
    others are skipped with a warning (seed the demo data, or register the member first)."""
    with db.read() as session:
        members = {m.id: m.name for m in service.list_members(session, instance="VN")}
    found = []
    for province in dict.fromkeys(p.strip().upper() for p in settings.exchange.embedded_provinces):
        name = members.get(f"VN/GOV/{province}")
        if name is None:
            log.warning(
                "embedded LGSP of %s skipped: the registry has no member VN/GOV/%s", province, province
            )
            continue
        found.append(Tier(province, name))
    return found


def start_tiers(app: ASGIApp, settings: Settings, db: Database, ndxp: Gateway) -> dict[str, Gateway]:
    """Prepare and create the embedded LGSPs; returns {path prefix: gateway}."""
    return {tier.prefix: _start(tier, app, settings, db, ndxp) for tier in tiers(settings, db)}


def _start(tier: Tier, app: ASGIApp, settings: Settings, db: Database, ndxp: Gateway) -> Gateway:
    base = settings.signing.public_base_url.rstrip("/")
    lgsp_db = Database(f"sqlite:///{(settings.data_dir / tier.database_file).as_posix()}")
    migrate.upgrade(lgsp_db)
    with lgsp_db.transaction() as session:  # its own seal and TSA sign its log
        signing.ensure_pki(session, SigningContext.from_settings(settings))
    with db.transaction() as session:
        _national(session, tier, base + tier.prefix)
    with lgsp_db.transaction() as session:
        secrets = _provincial(session, tier)
    if secrets:
        _remember(settings.data_dir / "demo-credentials.json", tier.secrets_key, secrets)
    config = settings.exchange.model_copy(
        update={"gateway_id": tier.lgsp, "role": "lgsp", "parent_url": base, "parent_code": ndxp.gateway_id}
    )
    return Gateway(settings.model_copy(update={"exchange": config}), lgsp_db, local_app=app)
