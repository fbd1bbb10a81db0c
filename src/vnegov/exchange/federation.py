"""The federation in the registry (liên thông NDXP–LGSP): other gateways and the members they serve.

Part of the exchange's service layer. The NDXP knows every LGSP and which members' systems connect to
each; an LGSP knows the NDXP (its parent, from settings) and, for access rights, the remote client
subsystems allowed to call its services. A call for a service whose provider is served by another
gateway is forwarded there over mutual TLS (`gateway.proxy`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from vnegov.exchange import schemas
from vnegov.exchange.errors import InvalidRegistryInput, MemberNotFound, NotPlatformAdmin
from vnegov.exchange.identifiers import parse_client, parse_member
from vnegov.exchange.models import Gateway, Member
from vnegov.exchange.service.common import is_admin, load_member, member_id_of, record_change
from vnegov.kernel.context import SYSTEM, Principal
from vnegov.kernel.db import Database
from vnegov.kernel.errors import Conflict, NotFound
from vnegov.signing import schemas as signing_schemas
from vnegov.signing import service as signing
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto.keys import load_private_key


class GatewayExists(Conflict):
    code = "gateway_exists"


class GatewayNotFound(NotFound):
    code = "gateway_not_found"


def _admin(actor: Principal) -> None:
    if not is_admin(actor):
        raise NotPlatformAdmin("only a platform administrator manages the federation")


def _read(session: Session, row: Gateway) -> schemas.GatewayRead:
    members = session.scalars(sa.select(Member).where(Member.gateway_id == row.id).order_by(Member.id))
    return schemas.GatewayRead(
        code=row.code,
        name=row.name,
        role=row.role,
        address=row.address,
        members=[str(member_id_of(m)) for m in members],
        created_at=row.created_at,
    )


def register_gateway(
    session: Session, *, actor: Principal, gateway_in: schemas.GatewayCreate
) -> schemas.GatewayRead:
    _admin(actor)
    code = str(parse_client(gateway_in.code, field="code"))
    address = urlsplit(gateway_in.address)
    if address.scheme not in ("https", "http") or not address.hostname:
        raise InvalidRegistryInput(
            "the address is https://… (http:// only for a gateway of this same process, the embedded mode)",
            field="address",
        )
    if session.scalar(sa.select(Gateway).where(Gateway.code == code)) is not None:
        raise GatewayExists(f"gateway {code} is already registered", field="code")
    row = Gateway(
        code=code, name=gateway_in.name, role=gateway_in.role, address=gateway_in.address.rstrip("/")
    )
    session.add(row)
    session.flush()
    read = _read(session, row)
    record_change(
        session,
        actor=actor,
        action="exchange.gateway.register",
        object_type="exchange_gateway",
        object_id=code,
        after=read.model_dump(mode="json"),
    )
    return read


def list_gateways(session: Session) -> list[schemas.GatewayRead]:
    return [_read(session, row) for row in session.scalars(sa.select(Gateway).order_by(Gateway.code))]


def set_member_gateway(
    session: Session, *, actor: Principal, member: str, gateway: str | None
) -> schemas.GatewayRead | None:
    """Say which gateway serves `member`'s systems (None: this one). Returns that gateway."""
    _admin(actor)
    mid = parse_member(member, field="member")
    row = load_member(session, mid)
    if row is None:
        raise MemberNotFound(str(mid))
    target = None
    if gateway is not None:
        code = str(parse_client(gateway, field="gateway"))
        target = session.scalar(sa.select(Gateway).where(Gateway.code == code))
        if target is None:
            raise GatewayNotFound(f"gateway {code} is not registered", field="gateway")
    before = row.gateway_id
    row.gateway_id = target.id if target else None
    session.flush()
    record_change(
        session,
        actor=actor,
        action="exchange.member.gateway",
        object_type="exchange_member",
        object_id=str(mid),
        before={"gateway_id": before},
        after={"gateway": target.code if target else None},
    )
    return _read(session, target) if target else None


# --------------------------------------------------------------------------- certificates for gateways


def write_national_ca(db: Database, ctx: SigningContext, path: Path) -> None:
    """The government CA chain (what every gateway trusts: `exchange.tls_ca_file`), as PEM."""
    with db.transaction() as session:
        signing.ensure_pki(session, ctx)
        chain = signing.trust_chain(session, ctx, signing.GOV)
    path.write_text("".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain))


def issue_gateway_certificate(
    db: Database,
    ctx: SigningContext,
    *,
    code: str,
    hosts: list[str],
    cert_path: Path,
    key_path: Path,
    profile: str = "exchange_gateway",
) -> str:
    """Issue a gateway's (or, with profile `tls_client`, a client system's) certificate from the
    national CA: CN = `code`, UID=MDDT:<its agency>, `hosts` as SANs. Writes the chain and the key
    (unencrypted, mode 0600: uvicorn and the gateway read it at start). Returns the serial (hex)."""
    cid = parse_client(code, field="code")
    passphrase = secrets.token_urlsafe(24)  # only protects the key on its way out of request_certificate
    with db.transaction() as session:
        issued = signing.request_certificate(
            session,
            actor=SYSTEM,
            ctx=ctx,
            request_in=signing_schemas.CertificateRequest.model_validate(
                {
                    "profile": profile,
                    "common_name": str(cid),
                    "identifiers": [f"MDDT:{cid.member_code}"],
                    "dns_names": hosts,
                    "key_passphrase": passphrase,
                }
            ),
        )
    assert issued.private_key_pem is not None
    key = load_private_key(issued.private_key_pem.encode(), passphrase)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.write_text(issued.chain_pem)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return issued.certificate.serial
