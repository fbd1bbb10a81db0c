"""The provider's token signing keys (khóa ký mã thông báo): ES256, rotated, published as a JWKS.

ECDSA P-256 (`ES256`) because every OpenID Connect library verifies it. The newest key that is not
retired signs. `rotate()` makes a new key when the current one is older than
`identity.key_rotation_days`; the old one is retired but stays in the JWKS until every token it signed
has expired (its `published_until`), so relying parties never meet an unknown `kid`. Private keys are
stored encrypted with the platform's key passphrase (the same one that protects the CA keys).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session

from vnegov.identity.models import SigningKey
from vnegov.kernel import audit
from vnegov.kernel.clock import now
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.settings import IdentitySettings

ALGORITHM = "ES256"


def _new_key(passphrase: str) -> tuple[str, dict[str, Any], str]:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    ).decode()
    kid = secrets.token_urlsafe(12)
    public = ECKey.import_key(private.public_key()).as_dict(private=False)
    return pem, {**public, "kid": kid, "use": "sig", "alg": ALGORITHM}, kid


def _longest_token(config: IdentitySettings) -> timedelta:
    return timedelta(seconds=max(config.access_token_seconds, config.id_token_seconds))


def signing_key(session: Session, passphrase: str, config: IdentitySettings) -> tuple[str, ECKey]:
    """The key to sign with now, as (kid, key); made (and audited) if there is none yet."""
    row = session.scalar(
        sa.select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc()).limit(1)
    )
    if row is None:
        row = _create(session, passphrase)
    private = serialization.load_pem_private_key(row.private_pem.encode(), passphrase.encode())
    return row.kid, ECKey.import_key(private)  # type: ignore[arg-type]


def _create(session: Session, passphrase: str) -> SigningKey:
    pem, jwk, kid = _new_key(passphrase)
    row = SigningKey(kid=kid, algorithm=ALGORITHM, private_pem=pem, public_jwk=jwk, created_at=now())
    session.add(row)
    session.flush()
    audit.record(
        session, actor=SYSTEM, action="identity.key.create", object_type="identity_signing_key", object_id=kid
    )
    return row


def rotate(
    session: Session, passphrase: str, config: IdentitySettings, *, at: datetime | None = None
) -> str | None:
    """Replace the signing key when it is older than the rotation period; the new kid, or None."""
    moment = at or now()
    current = session.scalar(
        sa.select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc()).limit(1)
    )
    if current is not None and moment - current.created_at < timedelta(days=config.key_rotation_days):
        return None
    fresh = _create(session, passphrase)
    if current is not None:
        current.retired_at = moment
        current.published_until = moment + _longest_token(config)
        audit.record(
            session,
            actor=SYSTEM,
            action="identity.key.retire",
            object_type="identity_signing_key",
            object_id=current.kid,
            after={"published_until": current.published_until.isoformat()},
        )
    return fresh.kid


def ensure_key(session: Session, passphrase: str) -> None:
    """Make the first signing key if there is none, so the JWKS is never empty (a relying party may
    fetch it before anyone has signed in)."""
    if session.scalar(sa.select(SigningKey.id).where(SigningKey.retired_at.is_(None)).limit(1)) is None:
        _create(session, passphrase)


def jwks(session: Session, *, at: datetime | None = None) -> dict[str, Any]:
    """The public keys relying parties verify with: the signing key and retired ones still needed."""
    moment = at or now()
    rows = session.scalars(
        sa.select(SigningKey)
        .where(sa.or_(SigningKey.published_until.is_(None), SigningKey.published_until > moment))
        .order_by(SigningKey.id.desc())
    )
    return {"keys": [r.public_jwk for r in rows]}
