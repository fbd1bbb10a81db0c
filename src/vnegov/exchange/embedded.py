"""Embedded tiers (`vnegov up`): Hà Nội's LGSP gateway in the same process as the NDXP.

So that a newcomer sees the federation without running three processes, `vnegov up` also runs one
provincial gateway, `VN/GOV/H24/LGSP`, with a database of its own (`data/exchange-lgsp-h24.db`) and its
own message log, under the path prefix `/lgsp/h24`. The two gateways talk over the in-process transport
(the caller names itself in an ASGI scope extension instead of a TLS certificate). A call from Hà Nội's
one-stop system (`VN/GOV/H24/MCDT`, credentials in `data/demo-credentials.json`) to a national service,
`POST /lgsp/h24/r1/VN/GOV/G22/DVCQG/echo/v1`, travels LGSP → NDXP → provider and is logged by both.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
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

LGSP = "VN/GOV/H24/LGSP"
PREFIX = "/lgsp/h24"
CLIENT = "VN/GOV/H24/MCDT"
NATIONAL_SERVICES = ("VN/GOV/G22/DVCQG/echo/v1", "VN/GOV/G12/DMDC/danhMucDungChung/v1")
SECRETS_KEY = "exchange_lgsp_h24"


def _quietly(fn: Any, *errors: type[Exception]) -> None:
    """Seeding is idempotent: what exists already stays."""
    with contextlib.suppress(*errors):
        fn()


def _national(session: Session, address: str) -> None:
    """The NDXP knows the LGSP, the members it serves, and grants its client the demo services."""
    if not any(g.code == LGSP for g in federation.list_gateways(session)):
        federation.register_gateway(
            session,
            actor=SYSTEM,
            gateway_in=schemas.GatewayCreate(
                code=LGSP, name="LGSP Hà Nội (embedded)", role="lgsp", address=address
            ),
        )
        federation.set_member_gateway(session, actor=SYSTEM, member="VN/GOV/H24", gateway=LGSP)
    _quietly(
        lambda: service.register_subsystem(
            session,
            actor=SYSTEM,
            subsystem_in=schemas.SubsystemCreate(subsystem=CLIENT, name="Một cửa điện tử Hà Nội"),
        ),
        SubsystemExists,
    )
    for national in NATIONAL_SERVICES:
        _quietly(
            lambda s=national: service.grant_access(
                session, actor=SYSTEM, right_in=schemas.AccessRightCreate(service=s, client=CLIENT)
            ),
            AccessRightExists,
        )


def _provincial(session: Session) -> list[dict[str, Any]] | None:
    """The LGSP's own registry: Hà Nội and its one-stop system, with client credentials (first time)."""
    try:
        service.register_member(
            session,
            actor=SYSTEM,
            member_in=schemas.MemberCreate(
                member_class="GOV", member_code="H24", name="UBND thành phố Hà Nội"
            ),
        )
    except MemberExists:
        return None
    service.register_subsystem(
        session,
        actor=SYSTEM,
        subsystem_in=schemas.SubsystemCreate(subsystem=CLIENT, name="Một cửa điện tử Hà Nội"),
    )
    issued = credentials.issue(session, actor=SYSTEM, subsystem=CLIENT)
    return [{**issued.model_dump(mode="json"), "gateway": LGSP, "token_url": f"{PREFIX}/token"}]


def _remember(path: Path, secrets: list[dict[str, Any]]) -> None:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[SECRETS_KEY] = secrets
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, ensure_ascii=False, indent=2))


def start_tiers(app: ASGIApp, settings: Settings, db: Database, ndxp: Gateway) -> dict[str, Gateway]:
    """Prepare and create the embedded LGSP; returns {path prefix: gateway}."""
    with db.read() as session:
        if not any(m.id == "VN/GOV/H24" for m in service.list_members(session, instance="VN")):
            log.warning("embedded LGSP skipped: the registry has no member VN/GOV/H24 (seed the demo data)")
            return {}
    base = settings.signing.public_base_url.rstrip("/")
    lgsp_db = Database(f"sqlite:///{(settings.data_dir / 'exchange-lgsp-h24.db').as_posix()}")
    migrate.upgrade(lgsp_db)
    with lgsp_db.transaction() as session:  # its own seal and TSA sign its log
        signing.ensure_pki(session, SigningContext.from_settings(settings))
    with db.transaction() as session:
        _national(session, base + PREFIX)
    with lgsp_db.transaction() as session:
        secrets = _provincial(session)
    if secrets:
        _remember(settings.data_dir / "demo-credentials.json", secrets)
    config = settings.exchange.model_copy(
        update={"gateway_id": LGSP, "role": "lgsp", "parent_url": base, "parent_code": ndxp.gateway_id}
    )
    return {PREFIX: Gateway(settings.model_copy(update={"exchange": config}), lgsp_db, local_app=app)}
