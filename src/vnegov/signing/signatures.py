"""Signing documents with an agency's seal, and verifying anyone's documents (ký số, xác thực chữ ký số).

The document functions in `signing.documents` are pure; this module gives them the platform's
trust (its root and issuing CAs, revocation status answered in-process from its own CRLs and OCSP
responder, no network) and its time-stamp authority, and audits every signature it makes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from vnegov.kernel import audit
from vnegov.kernel.context import Principal
from vnegov.kernel.db import Database
from vnegov.kernel.errors import InvalidInput, PayloadTooLarge
from vnegov.signing import service
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto import timestamp_request
from vnegov.signing.documents import (
    PadesLevel,
    SigningCredential,
    TrustStore,
    ValidationReport,
    detect_format,
    sign_cms,
    sign_jws,
    sign_pdf,
    verify_document,
)

Format = Literal["pades", "jws", "cms"]
Level = Literal["B-B", "B-T", "B-LT"]


class PlatformRevocation:
    """Revocation status of this platform's certificates, straight from its CRLs and OCSP responder."""

    def __init__(self, db: Database, ctx: SigningContext, authorities: dict[bytes, str]) -> None:
        self.db, self.ctx, self.authorities = db, ctx, authorities

    def _issuer_name(self, cert: x509.Certificate) -> str | None:
        return self.authorities.get(cert.issuer.public_bytes())

    def crls_for(self, cert: x509.Certificate) -> list[bytes]:
        name = self._issuer_name(cert)
        return [service.current_crl(self.db, self.ctx, name)] if name else []

    def ocsp_for(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes | None:
        name = self._issuer_name(cert)
        if name not in service.ISSUING:
            return None
        request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
        with self.db.read() as session:
            return service.ocsp_response(session, self.ctx, request.public_bytes(serialization.Encoding.DER))


class PlatformTimeStamper:
    """Time-stamps from the platform's own TSA, in-process."""

    def __init__(self, db: Database, ctx: SigningContext) -> None:
        self.db, self.ctx = db, ctx

    def stamp(self, digest: bytes, hash_name: str) -> bytes:
        return service.timestamp_response(self.db, self.ctx, timestamp_request(digest, hash_name))


def platform_trust(db: Database, ctx: SigningContext) -> TrustStore:
    """Trust the platform's root; know its issuing CAs; ask it for revocation status."""
    with db.read() as session:
        certs = {
            name: service.trust_chain(session, ctx, name)[0] for name in (service.ROOT, *service.ISSUING)
        }
    authorities = {c.subject.public_bytes(): name for name, c in certs.items()}
    intermediates = tuple(certs[name] for name in service.ISSUING)
    return TrustStore((certs[service.ROOT],), intermediates, PlatformRevocation(db, ctx, authorities))


@dataclass(frozen=True)
class SignedDocument:
    content: bytes
    media_type: str
    filename: str
    format: Format
    level: str
    certificate_serial: str


_MEDIA = {"pades": "application/pdf", "jws": "application/jose", "cms": "application/pkcs7-signature"}


def _check_size(ctx: SigningContext, data: bytes, field: str) -> None:
    if len(data) > ctx.max_upload:
        raise PayloadTooLarge(
            f"the file is larger than the {ctx.max_upload // (1024 * 1024)} MiB limit", field=field
        )
    if not data:
        raise InvalidInput("the file is empty", field=field)


def choose_format(data: bytes, requested: Format | None) -> Format:
    """PAdES for a PDF, JWS for JSON, a detached CMS signature for anything else (unless asked)."""
    if requested is not None:
        if requested == "pades" and not data.startswith(b"%PDF-"):
            raise InvalidInput("PAdES signs PDF files; this is not a PDF", field="format")
        return requested
    if data.startswith(b"%PDF-"):
        return "pades"
    if data.lstrip()[:1] in (b"{", b"["):
        return "jws"
    return "cms"


def sign_document(
    db: Database,
    ctx: SigningContext,
    *,
    actor: Principal,
    data: bytes,
    filename: str,
    fmt: Format | None = None,
    level: Level = "B-T",
    detached: bool = False,
) -> SignedDocument:
    """Sign a document with the caller agency's seal, and audit it (what was signed: its SHA-256)."""
    _check_size(ctx, data, "file")
    chosen = choose_format(data, fmt)
    with db.transaction() as session:
        signer, chain = service.ensure_seal(session, actor=actor, ctx=ctx)
    credential = SigningCredential(signer, chain[0], tuple(chain[1:]))
    trust = platform_trust(db, ctx)
    stamper = PlatformTimeStamper(db, ctx) if level != "B-B" else None
    if chosen == "pades":
        content = sign_pdf(data, credential, level=PadesLevel(level), timestamper=stamper, trust=trust)
        out_name, out_level = _renamed(filename, ".pdf", "-signed.pdf"), level
    elif chosen == "jws":
        content = sign_jws(data, credential, detached=detached, trust=trust).encode("ascii")
        out_name, out_level = _renamed(filename, ".json", ".jws"), "B-B"
    else:
        content = sign_cms(data, credential, timestamper=stamper, trust=trust)
        out_name, out_level = f"{filename}.p7s", "B-T" if stamper else "B-B"
    serial = f"{chain[0].serial_number:X}"
    with db.transaction() as session:
        audit.record(
            session,
            actor=actor,
            action="signing.document.sign",
            object_type="document",
            object_id=hashlib.sha256(data).hexdigest(),
            after={
                "filename": filename,
                "format": chosen,
                "level": out_level,
                "certificate": serial,
                "signed_sha256": hashlib.sha256(content).hexdigest(),
                "detached": detached,
            },
        )
    return SignedDocument(content, _MEDIA[chosen], out_name, chosen, out_level, serial)


def _renamed(filename: str, suffix: str, new_suffix: str) -> str:
    base = filename[: -len(suffix)] if filename.lower().endswith(suffix) else filename
    return f"{base or 'document'}{new_suffix}"


def verify(
    db: Database,
    ctx: SigningContext,
    *,
    data: bytes,
    detached: bytes | None = None,
    filename: str | None = None,
) -> ValidationReport:
    """The validation report for a signed document (never raises for a bad document: it says why)."""
    return verify_document(
        data,
        trust=platform_trust(db, ctx),
        detached_content=detached,
        filename=filename,
        max_size=ctx.max_upload,
    )


__all__ = ["SignedDocument", "choose_format", "detect_format", "platform_trust", "sign_document", "verify"]
