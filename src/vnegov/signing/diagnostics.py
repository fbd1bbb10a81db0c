"""Diagnostics (tự kiểm tra): does every part of the trust chain work, and if not, what is wrong.

Each check answers in words an operator can act on; none of them raises.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from vnegov.kernel.clock import now
from vnegov.kernel.db import Database
from vnegov.signing import schemas, service
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto import timestamp_request, verify_timestamp

EXPIRY_WARNING = timedelta(days=30)
CLOCK_TOLERANCE = timedelta(seconds=5)


def run(db: Database, ctx: SigningContext) -> schemas.Diagnostics:
    checks = [
        _guard("authorities", lambda: _authorities(db, ctx)),
        _guard("crl", lambda: _crls(db, ctx)),
        _guard("ocsp", lambda: _ocsp(db, ctx)),
        _guard("tsa", lambda: _tsa(db, ctx)),
        _guard("clock", lambda: _clock(db)),
    ]
    return schemas.Diagnostics(ok=all(c.ok for c in checks), checked_at=now(), checks=checks)


def _guard(name: str, check: Callable[[], tuple[bool, str]]) -> schemas.Check:
    try:
        ok, detail = check()
    except Exception as exc:  # a diagnostic reports failures, it does not raise them
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return schemas.Check(name=name, ok=ok, detail=detail)


def _authorities(db: Database, ctx: SigningContext) -> tuple[bool, str]:
    with db.read() as session:
        authorities = service.list_authorities(session, ctx)
        if not authorities:
            return False, "no certificate authority: run `vnegov signing init` (or start with `vnegov up`)"
        problems = []
        for a in authorities:
            if a.not_after < now():
                problems.append(f"{a.name} expired on {a.not_after:%d/%m/%Y}")
            elif a.not_after - now() < EXPIRY_WARNING:
                problems.append(f"{a.name} expires on {a.not_after:%d/%m/%Y}: renew it")
            for cert, issuer in _pairs(service.trust_chain(session, ctx, a.name)):
                cert.verify_directly_issued_by(issuer)
    if problems:
        return False, "; ".join(problems)
    return True, f"{len(authorities)} CAs valid, chains verify: " + ", ".join(a.name for a in authorities)


def _pairs(chain: list[x509.Certificate]) -> list[tuple[x509.Certificate, x509.Certificate]]:
    return [(chain[i], chain[i + 1]) for i in range(len(chain) - 1)] + [(chain[-1], chain[-1])]


def _crls(db: Database, ctx: SigningContext) -> tuple[bool, str]:
    details, ok = [], True
    with db.read() as session:
        names = [a.name for a in service.list_authorities(session, ctx)]
    for name in names:
        crl = x509.load_der_x509_crl(service.current_crl(db, ctx, name))
        with db.read() as session:
            issuer = service.trust_chain(session, ctx, name)[0]
        fresh = crl.next_update_utc is not None and crl.next_update_utc > now()
        signed = crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
        ok = ok and fresh and signed
        state = "fresh" if fresh else "STALE"
        bad = "" if signed else ", BAD SIGNATURE"
        details.append(f"{name}: CRL {state}{bad}, next update {crl.next_update_utc:%d/%m %H:%M} UTC")
    return ok, "; ".join(details)


def _ocsp(db: Database, ctx: SigningContext) -> tuple[bool, str]:
    with db.read() as session:
        cert = service.responder_certificate(session, ctx, service.GOV)
        issuer = service.trust_chain(session, ctx, service.GOV)[0]
        request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
        answer = ocsp.load_der_ocsp_response(
            service.ocsp_response(session, ctx, request.public_bytes(serialization.Encoding.DER))
        )
    if answer.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return False, f"the responder answered {answer.response_status.name}"
    return True, f"answering: the responder's own certificate is {answer.certificate_status.name.lower()}"


def _tsa(db: Database, ctx: SigningContext) -> tuple[bool, str]:
    data = secrets.token_bytes(32)
    nonce = secrets.randbits(62)
    request = timestamp_request(hashlib.sha256(data).digest(), "sha256", nonce=nonce)
    token = verify_timestamp(service.timestamp_response(db, ctx, request), data=data, nonce=nonce)
    skew = abs(token.gen_time - now())
    if skew > CLOCK_TOLERANCE:
        return False, f"token time is {skew.total_seconds():.1f} s away from the clock"
    return True, f"answering: token {token.serial_number} at {token.gen_time:%H:%M:%S} UTC verifies"


def _clock(db: Database) -> tuple[bool, str]:
    """The application's clock against the database server's (time-stamps and CRLs depend on it)."""
    with db.read() as session:
        db_now = session.scalar(sa.text("SELECT now()")) if db.dialect == "postgresql" else None
    if db_now is None:
        return True, f"embedded database shares this machine's clock ({now():%Y-%m-%d %H:%M:%S} UTC)"
    skew = abs(db_now - now())
    if skew > CLOCK_TOLERANCE:
        return False, f"this server and the database disagree by {skew.total_seconds():.1f} s: check NTP"
    return True, f"database clock agrees within {skew.total_seconds():.2f} s"
