"""API keys for systems (khóa API): create, authenticate, revoke.

A key reads `vng_<key_id>_<secret>`. Only SHA-256(secret) is stored: the secret has 256 bits of
entropy, so a plain hash cannot be brute-forced and lookups stay constant-time per key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.kernel import audit
from vnegov.kernel.clock import now
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import InvalidInput, NotFound, Unauthenticated
from vnegov.kernel.models import ApiKey

PREFIX = "vng"


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    token: str  # shown once
    agency_code: str
    name: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session, *, actor: Principal, agency_code: str, name: str, roles: tuple[str, ...] = ()
) -> IssuedKey:
    if not agency_code:
        raise InvalidInput("agency_code is required", field="agency_code")
    if not name:
        raise InvalidInput("name is required", field="name")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            key_id=key_id, secret_sha256=_hash(secret), name=name, agency_code=agency_code, roles=list(roles)
        )
    )
    audit.record(
        session,
        actor=actor,
        action="kernel.api_key.create",
        object_type="api_key",
        object_id=key_id,
        after={"name": name, "agency_code": agency_code, "roles": list(roles)},
    )
    return IssuedKey(key_id=key_id, token=f"{PREFIX}_{key_id}_{secret}", agency_code=agency_code, name=name)


def authenticate(session: Session, token: str) -> Principal:
    """The principal for a presented key, or Unauthenticated (same answer for unknown and wrong)."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise Unauthenticated("malformed API key")
    key = session.scalar(sa.select(ApiKey).where(ApiKey.key_id == parts[1]))
    expected = key.secret_sha256 if key else _hash("")
    valid = hmac.compare_digest(expected, _hash(parts[2]))
    if key is None or not valid or key.revoked_at is not None:
        raise Unauthenticated("invalid or revoked API key")
    return Principal(
        subject=f"apikey:{key.key_id}",
        agency_code=key.agency_code,
        display_name=key.name,
        roles=frozenset(key.roles or ()),
    )


def revoke_key(session: Session, *, actor: Principal, key_id: str) -> None:
    key = session.scalar(sa.select(ApiKey).where(ApiKey.key_id == key_id))
    if key is None:
        raise NotFound(f"API key {key_id} not found", key_id=key_id)
    key.revoked_at = now()
    audit.record(
        session, actor=actor, action="kernel.api_key.revoke", object_type="api_key", object_id=key_id
    )
