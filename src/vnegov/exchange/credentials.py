"""Client credentials of subsystems (thông tin xác thực ứng dụng) for the gateway's token endpoint.

Part of the exchange's service layer: a member agency issues credentials to its own subsystems and
revokes them; the gateway checks a presented `client_id`/`client_secret` pair (OAuth2 client
credentials, RFC 6749 §4.4, as provincial LGSPs do today) and learns which subsystem it is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.exchange import schemas
from vnegov.exchange.errors import SubsystemNotFound
from vnegov.exchange.identifiers import ClientId, parse_client
from vnegov.exchange.models import ClientCredential, Member, Subsystem
from vnegov.exchange.service.common import check_owner, load_subsystem, record_change
from vnegov.kernel.clock import now
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import NotFound

KEY_PREFIX = "cc_"


class CredentialNotFound(NotFound):
    code = "credential_not_found"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(session: Session, *, actor: Principal, subsystem: str) -> schemas.CredentialIssued:
    """New credentials for `subsystem` (by its member agency or a platform administrator)."""
    cid = parse_client(subsystem, field="subsystem")
    check_owner(actor, cid.member)
    row = load_subsystem(session, cid)
    if row is None:
        raise SubsystemNotFound(str(cid), field="subsystem")
    secret = secrets.token_urlsafe(32)
    credential = ClientCredential(
        subsystem_id=row.id,
        client_key=KEY_PREFIX + secrets.token_hex(12),
        secret_sha256=_hash(secret),
        created_by=actor.subject,
        created_at=now(),
    )
    session.add(credential)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="exchange.credential.issue",
        object_type="exchange_client_credential",
        object_id=credential.client_key,
        after={"subsystem": str(cid)},
    )
    return schemas.CredentialIssued(
        client_id=credential.client_key,
        client_secret=secret,
        subsystem=str(cid),
        created_at=credential.created_at,
    )


def _read(cid: ClientId, row: ClientCredential) -> schemas.CredentialRead:
    return schemas.CredentialRead(
        client_id=row.client_key,
        subsystem=str(cid),
        created_by=row.created_by,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def list_for(session: Session, *, actor: Principal, subsystem: str) -> list[schemas.CredentialRead]:
    cid = parse_client(subsystem, field="subsystem")
    check_owner(actor, cid.member)
    row = load_subsystem(session, cid)
    if row is None:
        raise SubsystemNotFound(str(cid), field="subsystem")
    rows = session.scalars(
        sa.select(ClientCredential)
        .where(ClientCredential.subsystem_id == row.id)
        .order_by(ClientCredential.id)
    )
    return [_read(cid, r) for r in rows]


def revoke(session: Session, *, actor: Principal, subsystem: str, client_id: str) -> schemas.CredentialRead:
    cid = parse_client(subsystem, field="subsystem")
    check_owner(actor, cid.member)
    sub = load_subsystem(session, cid)
    row = None
    if sub is not None:
        row = session.scalar(
            sa.select(ClientCredential).where(
                ClientCredential.client_key == client_id, ClientCredential.subsystem_id == sub.id
            )
        )
    if row is None:
        raise CredentialNotFound(f"credential {client_id} of {cid} does not exist", client_id=client_id)
    if row.revoked_at is None:
        row.revoked_at = now()
        record_change(
            session,
            actor=actor,
            action="exchange.credential.revoke",
            object_type="exchange_client_credential",
            object_id=client_id,
            before={"subsystem": str(cid)},
        )
    return _read(cid, row)


def authenticate(session: Session, client_id: str, client_secret: str) -> str | None:
    """The subsystem identifier for a valid, live credential pair; None otherwise (same time either way)."""
    row = session.execute(
        sa.select(ClientCredential, Subsystem.code, Member)
        .join(Subsystem, Subsystem.id == ClientCredential.subsystem_id)
        .join(Member, Member.id == Subsystem.member_id)
        .where(ClientCredential.client_key == client_id)
    ).first()
    expected = row[0].secret_sha256 if row else _hash("")
    valid = hmac.compare_digest(expected, _hash(client_secret))
    if row is None or not valid or row[0].revoked_at is not None:
        return None
    member = row[2]
    return str(ClientId(member.instance, member.member_class, member.member_code, row[1]))
