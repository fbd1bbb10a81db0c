"""OCSP (RFC 6960): answers about certificates' status, signed by the delegated responder."""

from __future__ import annotations

import time
from contextvars import ContextVar

import sqlalchemy as sa
from cryptography import x509
from cryptography.x509 import ocsp
from sqlalchemy.orm import Session

from vnegov.kernel.clock import now
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto import OcspResponder, RevocationReason, SerialStatus, StatusLookup, respond_ocsp
from vnegov.signing.models import IssuedCertificate, ServiceKey
from vnegov.signing.service.authorities import load_authority
from vnegov.signing.service.common import ISSUING, hex_serial
from vnegov.signing.service.issuance import load_certificate

# The session the current OCSP answer reads from: the responders are built once per process (their
# certificates and keys never change), and their lookups read statuses through this variable.
_ocsp_session: ContextVar[Session] = ContextVar("ocsp_session")


# Built once: OCSP is the platform's hottest read, and building a statement costs more than running it.
_STATUS_QUERY = sa.select(
    IssuedCertificate.status, IssuedCertificate.revoked_at, IssuedCertificate.revocation_reason
).where(
    IssuedCertificate.serial_hex == sa.bindparam("serial"),
    IssuedCertificate.issuer_name == sa.bindparam("issuer"),
)


def _status_lookup(issuer: str) -> StatusLookup:
    def lookup(serial: int) -> SerialStatus:
        params = {"serial": hex_serial(serial), "issuer": issuer}
        row = _ocsp_session.get().execute(_STATUS_QUERY, params).first()
        if row is None:
            return SerialStatus.unknown()
        if row.status == "revoked":
            return SerialStatus.revoked(
                row.revoked_at or now(), RevocationReason(row.revocation_reason or "unspecified")
            )
        return SerialStatus.good()

    return lookup


def _ocsp_responders(session: Session, ctx: SigningContext) -> list[OcspResponder]:
    cached: list[OcspResponder] | None = ctx.runtime.get("ocsp")
    if cached:
        return cached
    responders = []
    for name in ISSUING:
        authority = load_authority(session, name)
        key = session.scalar(sa.select(ServiceKey).where(ServiceKey.role == f"ocsp:{name}"))
        if key is None:
            continue
        cert_row = load_certificate(session, key.certificate_serial)
        responders.append(
            OcspResponder(
                issuer=ctx.certificate(authority.certificate_pem),
                responder_certificate=ctx.certificate(cert_row.certificate_pem),
                signer=ctx.key_signer(key.key_backend, key.key_pem),
                lookup=_status_lookup(name),
                validity=ctx.ocsp_validity,
            )
        )
    ctx.runtime["ocsp"] = responders
    return responders


OCSP_CACHE_SECONDS = 30.0
OCSP_CACHE_MAX = 10_000


def ocsp_response(session: Session, ctx: SigningContext, request_der: bytes) -> bytes:
    """Answer an RFC 6960 OCSP request for any issuing CA of this platform (signed by its responder).

    A request with a nonce is always answered fresh from the database, so a revocation shows at
    once. A request without one (the RFC 5019 lightweight profile most clients use) may get a
    response made in the last 30 seconds: relying parties cache responses for their whole validity
    (an hour) anyway, and this process forgets its cache the moment it revokes a certificate.
    """
    cacheable = _without_nonce(request_der)
    cache: dict[bytes, tuple[float, bytes]] = ctx.runtime.setdefault("ocsp_cache", {})
    if cacheable:
        hit = cache.get(request_der)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
    responders = _ocsp_responders(session, ctx)
    token = _ocsp_session.set(session)
    try:
        answer = respond_ocsp(request_der, responders)
    finally:
        _ocsp_session.reset(token)
    if cacheable:
        if len(cache) >= OCSP_CACHE_MAX:
            cache.clear()
        cache[request_der] = (time.monotonic() + OCSP_CACHE_SECONDS, answer)
    return answer


def _without_nonce(request_der: bytes) -> bool:
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        request.extensions.get_extension_for_class(x509.OCSPNonce)
    except x509.ExtensionNotFound:
        return True
    except Exception:  # malformed: answered (uncached) by the responder
        return False
    return False
