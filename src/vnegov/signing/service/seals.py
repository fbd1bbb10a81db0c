"""Agencies' seals (con dấu điện tử của cơ quan): their keys and certificates."""

from __future__ import annotations

import sqlalchemy as sa
from cryptography import x509
from sqlalchemy.orm import Session

from vnegov.kernel import audit
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import PermissionDenied
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto import PROFILES, Signer, VnIdentifier, issue_certificate, subject_name
from vnegov.signing.crypto.pki import IdentifierKind
from vnegov.signing.errors import AlreadyRevoked, PkiNotReady
from vnegov.signing.models import Seal, ServiceKey
from vnegov.signing.service.authorities import load_ca, new_key, record_issued, stored_key, trust_chain
from vnegov.signing.service.common import GOV, hex_serial
from vnegov.signing.service.issuance import load_certificate


def _agency_name(session: Session, agency_code: str) -> str:
    """The agency's name from the shared catalogue (same platform: its published service function)."""
    from vnegov.catalogs import service as catalogs

    try:
        item = catalogs.get_item(session, "agencies", agency_code)
    except Exception:  # the catalogue may not be installed in this process
        item = None
    return item.name_vi if item is not None else f"Cơ quan {agency_code}"


def ensure_seal(
    session: Session, *, actor: Principal, ctx: SigningContext
) -> tuple[Signer, list[x509.Certificate]]:
    """The agency's electronic seal: its signer and chain (leaf first), made on first use.

    The seal is a document-signing certificate of the government CA in the agency's name
    (UID=MDDT:<agency code>); its key is kept encrypted here and only used for that agency.
    """
    if not actor.agency_code:
        raise PermissionDenied("only an agency has a seal", code="no_agency")
    seal = session.scalar(sa.select(Seal).where(Seal.agency_code == actor.agency_code))
    if seal is None:
        ca = load_ca(session, ctx, GOV)
        signer = new_key(ctx, f"seal-{actor.agency_code}", ctx.key_algorithm)
        name = _agency_name(session, actor.agency_code)
        subject = subject_name(name, organization=name)
        identifiers = [VnIdentifier(IdentifierKind.AGENCY, actor.agency_code)]
        cert = issue_certificate(
            ca, subject, signer.public_key(), PROFILES["document_signing"], identifiers=identifiers
        )
        record_issued(
            session,
            cert,
            issuer=GOV,
            profile="document_signing",
            agency_code=actor.agency_code,
            requested_by=actor.subject,
        )
        backend, key_ref = stored_key(ctx, signer)
        seal = Seal(
            agency_code=actor.agency_code,
            certificate_serial=hex_serial(cert.serial_number),
            key_pem=key_ref,
            key_backend=backend,
        )
        session.add(seal)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="signing.seal.create",
            object_type="seal",
            object_id=actor.agency_code,
            after={"certificate": seal.certificate_serial},
        )
    cert_row = load_certificate(session, seal.certificate_serial)
    if cert_row.status == "revoked":
        raise AlreadyRevoked(
            "the agency's seal certificate is revoked; ask the operator for a new one", code="seal_revoked"
        )
    leaf = ctx.certificate(cert_row.certificate_pem)
    return ctx.key_signer(seal.key_backend, seal.key_pem), [leaf, *trust_chain(session, ctx, GOV)]


def responder_certificate(session: Session, ctx: SigningContext, authority: str = GOV) -> x509.Certificate:
    """The OCSP responder certificate of an issuing CA (diagnostics and benchmarks ask about it)."""
    key = session.scalar(sa.select(ServiceKey).where(ServiceKey.role == f"ocsp:{authority}"))
    if key is None:
        raise PkiNotReady(f"no OCSP responder for '{authority}'")
    return ctx.certificate(load_certificate(session, key.certificate_serial).certificate_pem)
