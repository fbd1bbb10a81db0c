"""The CA hierarchy (hệ thống CA) and its CRLs: root, issuing CAs, the TSA and OCSP responders, keys
kept encrypted or on the HSM, CRLs published and refreshed."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from vnegov.kernel import audit
from vnegov.kernel.clock import now
from vnegov.kernel.context import SYSTEM, Principal
from vnegov.kernel.db import Database
from vnegov.signing import schemas
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto import (
    OCSP_SIGNING,
    TIME_STAMPING,
    CertificateAuthority,
    CertificateProfile,
    FileSigner,
    Revocation,
    RevocationReason,
    Signer,
    build_crl,
    create_intermediate_ca,
    create_root_ca,
    identifiers_in,
    issue_certificate,
    subject_name,
)
from vnegov.signing.errors import AuthorityNotFound, PkiNotReady
from vnegov.signing.models import Authority, IssuedCertificate, PublishedCrl, ServiceKey
from vnegov.signing.service.common import GOV, ISSUING, ROOT, TITLES, TSA_ROLE, hex_serial, pem_of

# --------------------------------------------------------------------------- the hierarchy


def ensure_pki(session: Session, ctx: SigningContext, *, actor: Principal = SYSTEM) -> bool:
    """Create the CA hierarchy, OCSP responders and TSA if this instance has none yet (idempotent).

    Returns True when something was created. Keys are stored encrypted with the key passphrase.
    """
    if session.scalar(sa.select(Authority.id).where(Authority.name == ROOT)) is not None:
        return False
    root_signer = new_key(ctx, f"{ROOT}-ca", TITLES[ROOT][1] or ctx.key_algorithm)
    root_cert = create_root_ca(subject_name(TITLES[ROOT][0], organization="vnegov"), root_signer)
    _store_authority(session, ctx, ROOT, None, root_cert, root_signer)
    root = CertificateAuthority(root_cert, root_signer, ctx.urls(ROOT))
    for name in ISSUING:
        signer = new_key(ctx, f"{name}-ca", TITLES[name][1] or ctx.key_algorithm)
        cert = create_intermediate_ca(
            root, subject_name(TITLES[name][0], organization="vnegov"), signer.public_key()
        )
        _store_authority(session, ctx, name, ROOT, cert, signer)
        ca = CertificateAuthority(cert, signer, ctx.urls(name))
        _make_service_key(
            session, ctx, ca, name, f"ocsp:{name}", f"vnegov OCSP responder ({name})", OCSP_SIGNING
        )
        if name == GOV:
            _make_service_key(session, ctx, ca, name, TSA_ROLE, "vnegov Time-Stamp Authority", TIME_STAMPING)
    session.flush()
    for name in (ROOT, *ISSUING):
        publish_crl(session, ctx, name)
    audit.record(
        session,
        actor=actor,
        action="signing.pki.create",
        object_type="pki",
        object_id="vnegov",
        after={"authorities": [ROOT, *ISSUING]},
    )
    return True


def new_key(ctx: SigningContext, purpose: str, algorithm: str) -> Signer:
    """A new key for a CA, a service or a seal: on the HSM when configured, else in memory for a file."""
    if ctx.hsm is None:
        return FileSigner.generate(algorithm)
    from vnegov.signing.crypto.pkcs11 import generate_key_on_token

    label = f"vnegov-{purpose}-{now():%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    return generate_key_on_token(ctx.hsm.module, ctx.hsm.token, ctx.hsm.pin, label, algorithm)


def stored_key(ctx: SigningContext, signer: Signer) -> tuple[str, str]:
    """(backend, reference) to store: the encrypted PEM of a file key, the label of an HSM key."""
    if isinstance(signer, FileSigner):
        return "file", signer.to_pem(ctx.passphrase).decode("ascii")
    return "pkcs11", str(getattr(signer, "key_label", ""))


def _store_authority(
    session: Session,
    ctx: SigningContext,
    name: str,
    parent: str | None,
    cert: x509.Certificate,
    signer: Signer,
) -> None:
    backend, key_ref = stored_key(ctx, signer)  # on the HSM we keep only the label
    session.add(
        Authority(
            name=name,
            title=TITLES[name][0],
            parent_name=parent,
            certificate_pem=pem_of(cert),
            key_pem=key_ref,
            key_backend=backend,
            crl_number=0,
        )
    )
    record_issued(
        session,
        cert,
        issuer=parent or name,
        profile="root_ca" if parent is None else "intermediate_ca",
        agency_code="",
        requested_by=SYSTEM.subject,
    )


def _make_service_key(
    session: Session,
    ctx: SigningContext,
    ca: CertificateAuthority,
    ca_name: str,
    role: str,
    common_name: str,
    profile: CertificateProfile,
) -> None:
    signer = new_key(ctx, role.replace(":", "-"), ctx.key_algorithm)
    cert = issue_certificate(
        ca, subject_name(common_name, organization="vnegov"), signer.public_key(), profile
    )
    backend, key_ref = stored_key(ctx, signer)
    session.add(
        ServiceKey(
            role=role,
            certificate_serial=hex_serial(cert.serial_number),
            key_pem=key_ref,
            key_backend=backend,
        )
    )
    record_issued(
        session,
        cert,
        issuer=ca_name,
        profile=profile.name,
        agency_code="",
        requested_by=SYSTEM.subject,
    )


def record_issued(
    session: Session,
    cert: x509.Certificate,
    *,
    issuer: str,
    profile: str,
    agency_code: str,
    requested_by: str,
    renewal_of: str | None = None,
) -> IssuedCertificate:
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    row = IssuedCertificate(
        serial_hex=hex_serial(cert.serial_number),
        issuer_name=issuer,
        profile=profile,
        subject=cert.subject.rfc4514_string(),
        common_name=str(cn[0].value) if cn else "",
        identifiers=[i.uid for i in identifiers_in(cert.subject)],
        agency_code=agency_code,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        status="valid",
        certificate_pem=pem_of(cert),
        requested_by=requested_by,
        renewal_of=renewal_of,
    )
    session.add(row)
    return row


def load_authority(session: Session, name: str) -> Authority:
    row = session.scalar(sa.select(Authority).where(Authority.name == name))
    if row is None:
        if session.scalar(sa.select(Authority.id).limit(1)) is None:
            raise PkiNotReady("the PKI has not been created yet (it is made at first start)")
        raise AuthorityNotFound(name)
    return row


def load_ca(session: Session, ctx: SigningContext, name: str) -> CertificateAuthority:
    row = load_authority(session, name)
    return CertificateAuthority(
        ctx.certificate(row.certificate_pem), ctx.key_signer(row.key_backend, row.key_pem), ctx.urls(name)
    )


def list_authorities(session: Session, ctx: SigningContext) -> list[schemas.AuthorityRead]:
    rows = session.scalars(sa.select(Authority).order_by(Authority.id)).all()
    return [_authority_read(ctx, r) for r in rows]


def _authority_read(ctx: SigningContext, row: Authority) -> schemas.AuthorityRead:
    cert = ctx.certificate(row.certificate_pem)
    return schemas.AuthorityRead(
        name=row.name,
        title=row.title,
        parent=row.parent_name,
        subject=cert.subject.rfc4514_string(),
        serial=hex_serial(cert.serial_number),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        certificate_url=f"{ctx.base_url}/pki/ca/{row.name}.crt",
        crl_url=f"{ctx.base_url}/pki/crl/{row.name}.crl",
        crl_number=row.crl_number,
    )


def authority_certificate(session: Session, name: str) -> bytes:
    """The CA certificate (DER), as published at the CA-issuers URL."""
    cert = x509.load_pem_x509_certificate(load_authority(session, name).certificate_pem.encode())
    return cert.public_bytes(serialization.Encoding.DER)


def trust_chain(session: Session, ctx: SigningContext, issuer: str) -> list[x509.Certificate]:
    """The CA certificates from `issuer` up to the root."""
    chain: list[x509.Certificate] = []
    name: str | None = issuer
    while name is not None:
        row = load_authority(session, name)
        chain.append(ctx.certificate(row.certificate_pem))
        name = row.parent_name
    return chain


# --------------------------------------------------------------------------- CRL


def publish_crl(session: Session, ctx: SigningContext, name: str) -> PublishedCrl:
    """Sign and store a new CRL for the CA (its number one more than the last)."""
    authority = session.scalar(sa.select(Authority).where(Authority.name == name).with_for_update())
    if authority is None:
        raise AuthorityNotFound(name)
    ca = CertificateAuthority(
        ctx.certificate(authority.certificate_pem), ctx.key_signer(authority.key_backend, authority.key_pem)
    )
    revoked = session.scalars(
        sa.select(IssuedCertificate).where(
            IssuedCertificate.issuer_name == name, IssuedCertificate.status == "revoked"
        )
    )
    entries = [
        Revocation(
            int(r.serial_hex, 16),
            r.revoked_at or now(),
            RevocationReason(r.revocation_reason or "unspecified"),
        )
        for r in revoked
    ]
    authority.crl_number += 1
    this_update = now()
    crl = build_crl(
        ca,
        entries,
        crl_number=authority.crl_number,
        this_update=this_update,
        next_update=this_update + ctx.crl_validity,
    )
    row = PublishedCrl(
        authority_name=name,
        crl_number=authority.crl_number,
        this_update=this_update,
        next_update=this_update + ctx.crl_validity,
        der=crl.public_bytes(serialization.Encoding.DER),
    )
    session.add(row)
    session.flush()
    return row


def latest_crl(session: Session, name: str) -> PublishedCrl | None:
    return session.scalar(
        sa.select(PublishedCrl)
        .where(PublishedCrl.authority_name == name)
        .order_by(PublishedCrl.crl_number.desc())
        .limit(1)
    )


def crl_needs_refresh(row: PublishedCrl | None, ctx: SigningContext, at: datetime | None = None) -> bool:
    """A CRL is reissued once half its validity has passed, so relying parties never see a stale one."""
    if row is None:
        return True
    return (at or now()) >= row.this_update + ctx.crl_validity / 2


def current_crl(db: Database, ctx: SigningContext, name: str) -> bytes:
    """The CA's current CRL (DER), republished first if it is due."""
    with db.read() as session:
        load_authority(session, name)
        row = latest_crl(session, name)
        if not crl_needs_refresh(row, ctx) and row is not None:
            return bytes(row.der)
    with db.transaction() as session:
        row = latest_crl(session, name)
        if crl_needs_refresh(row, ctx):
            row = publish_crl(session, ctx, name)
        assert row is not None
        return bytes(row.der)


def refresh_crls(db: Database, ctx: SigningContext) -> list[str]:
    """Republish every CRL that is due (run on a schedule); returns the authorities refreshed."""
    refreshed = []
    with db.read() as session:
        names = list(session.scalars(sa.select(Authority.name)))
    for name in names:
        with db.transaction() as session:
            if crl_needs_refresh(latest_crl(session, name), ctx):
                publish_crl(session, ctx, name)
                refreshed.append(name)
    return refreshed
