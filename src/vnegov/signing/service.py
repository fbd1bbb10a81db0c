"""The electronic transaction system's domain logic (hệ thống thông tin phục vụ giao dịch điện tử):
the only code that touches `signing.models`.

- A certificate authority hierarchy made at first start (`ensure_pki`): a root, a government CA
  (agencies, their systems and officials) and a public CA (citizens and businesses), an OCSP
  responder certificate for each issuing CA and a time-stamping certificate.
- Issuance from a CSR or for a key made here, renewal and revocation, each audited; revocation
  republishes the CA's CRL in the same transaction and announces itself through the outbox.
- Certificate status as CRLs and OCSP, time-stamps (RFC 3161), and a diagnostics check of it all.
"""

from __future__ import annotations

import ipaddress
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from sqlalchemy.orm import Session

from vnegov.kernel import audit, outbox
from vnegov.kernel.clock import now
from vnegov.kernel.context import SYSTEM, Principal
from vnegov.kernel.db import Database
from vnegov.kernel.errors import InvalidInput, PermissionDenied
from vnegov.signing import schemas
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto import (
    OCSP_SIGNING,
    PROFILES,
    TIME_STAMPING,
    TLS_SERVER,
    CertificateAuthority,
    CertificateProfile,
    FileSigner,
    OcspResponder,
    Revocation,
    RevocationReason,
    SerialStatus,
    Signer,
    StatusLookup,
    TimeStampAuthority,
    VnIdentifier,
    build_crl,
    chain_pem,
    create_intermediate_ca,
    create_root_ca,
    identifiers_in,
    issue_certificate,
    issue_from_csr,
    load_csr,
    renew_certificate,
    respond_ocsp,
    respond_timestamp,
    subject_name,
)
from vnegov.signing.crypto.pki import IdentifierKind
from vnegov.signing.errors import (
    AlreadyRevoked,
    AuthorityNotFound,
    CertificateNotFound,
    NotHolderAgency,
    PkiNotReady,
)
from vnegov.signing.models import Authority, IssuedCertificate, PublishedCrl, Seal, SerialCounter, ServiceKey

ROOT, GOV, PUBLIC = "root", "gov", "public"
ISSUING = (GOV, PUBLIC)
TSA_ROLE = "tsa"
PLATFORM_ADMIN = "platform-admin"
REGISTRATION_AUTHORITY = "registration-authority"
EVENT_REVOKED = "signing.certificate.revoked"

_TITLES = {
    ROOT: ("vnegov Root CA", "ecdsa-p384"),
    GOV: ("vnegov Government CA", None),
    PUBLIC: ("vnegov Public CA", None),
}


def _serial_hex(serial: int) -> str:
    return f"{serial:X}"


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


# --------------------------------------------------------------------------- the hierarchy


def ensure_pki(session: Session, ctx: SigningContext, *, actor: Principal = SYSTEM) -> bool:
    """Create the CA hierarchy, OCSP responders and TSA if this instance has none yet (idempotent).

    Returns True when something was created. Keys are stored encrypted with the key passphrase.
    """
    if session.scalar(sa.select(Authority.id).where(Authority.name == ROOT)) is not None:
        return False
    root_signer = _new_key(ctx, f"{ROOT}-ca", _TITLES[ROOT][1] or ctx.key_algorithm)
    root_cert = create_root_ca(subject_name(_TITLES[ROOT][0], organization="vnegov"), root_signer)
    _store_authority(session, ctx, ROOT, None, root_cert, root_signer)
    root = CertificateAuthority(root_cert, root_signer, ctx.urls(ROOT))
    for name in ISSUING:
        signer = _new_key(ctx, f"{name}-ca", _TITLES[name][1] or ctx.key_algorithm)
        cert = create_intermediate_ca(
            root, subject_name(_TITLES[name][0], organization="vnegov"), signer.public_key()
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
        _publish_crl(session, ctx, name)
    audit.record(
        session,
        actor=actor,
        action="signing.pki.create",
        object_type="pki",
        object_id="vnegov",
        after={"authorities": [ROOT, *ISSUING]},
    )
    return True


def _new_key(ctx: SigningContext, purpose: str, algorithm: str) -> Signer:
    """A new key for a CA, a service or a seal: on the HSM when configured, else in memory for a file."""
    if ctx.hsm is None:
        return FileSigner.generate(algorithm)
    from vnegov.signing.crypto.pkcs11 import generate_key_on_token

    label = f"vnegov-{purpose}-{now():%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    return generate_key_on_token(ctx.hsm.module, ctx.hsm.token, ctx.hsm.pin, label, algorithm)


def _stored_key(ctx: SigningContext, signer: Signer) -> tuple[str, str]:
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
    backend, key_ref = _stored_key(ctx, signer)  # on the HSM we keep only the label
    session.add(
        Authority(
            name=name,
            title=_TITLES[name][0],
            parent_name=parent,
            certificate_pem=_pem(cert),
            key_pem=key_ref,
            key_backend=backend,
            crl_number=0,
        )
    )
    _record_issued(
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
    signer = _new_key(ctx, role.replace(":", "-"), ctx.key_algorithm)
    cert = issue_certificate(
        ca, subject_name(common_name, organization="vnegov"), signer.public_key(), profile
    )
    backend, key_ref = _stored_key(ctx, signer)
    session.add(
        ServiceKey(
            role=role,
            certificate_serial=_serial_hex(cert.serial_number),
            key_pem=key_ref,
            key_backend=backend,
        )
    )
    _record_issued(
        session,
        cert,
        issuer=ca_name,
        profile=profile.name,
        agency_code="",
        requested_by=SYSTEM.subject,
    )


def _record_issued(
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
        serial_hex=_serial_hex(cert.serial_number),
        issuer_name=issuer,
        profile=profile,
        subject=cert.subject.rfc4514_string(),
        common_name=str(cn[0].value) if cn else "",
        identifiers=[i.uid for i in identifiers_in(cert.subject)],
        agency_code=agency_code,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        status="valid",
        certificate_pem=_pem(cert),
        requested_by=requested_by,
        renewal_of=renewal_of,
    )
    session.add(row)
    return row


def _authority(session: Session, name: str) -> Authority:
    row = session.scalar(sa.select(Authority).where(Authority.name == name))
    if row is None:
        if session.scalar(sa.select(Authority.id).limit(1)) is None:
            raise PkiNotReady("the PKI has not been created yet (it is made at first start)")
        raise AuthorityNotFound(name)
    return row


def _ca(session: Session, ctx: SigningContext, name: str) -> CertificateAuthority:
    row = _authority(session, name)
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
        serial=_serial_hex(cert.serial_number),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        certificate_url=f"{ctx.base_url}/pki/ca/{row.name}.crt",
        crl_url=f"{ctx.base_url}/pki/crl/{row.name}.crl",
        crl_number=row.crl_number,
    )


def authority_certificate(session: Session, name: str) -> bytes:
    """The CA certificate (DER), as published at the CA-issuers URL."""
    cert = x509.load_pem_x509_certificate(_authority(session, name).certificate_pem.encode())
    return cert.public_bytes(serialization.Encoding.DER)


def trust_chain(session: Session, ctx: SigningContext, issuer: str) -> list[x509.Certificate]:
    """The CA certificates from `issuer` up to the root."""
    chain: list[x509.Certificate] = []
    name: str | None = issuer
    while name is not None:
        row = _authority(session, name)
        chain.append(ctx.certificate(row.certificate_pem))
        name = row.parent_name
    return chain


# --------------------------------------------------------------------------- issuance


def _certificate_read(row: IssuedCertificate, at: datetime | None = None) -> schemas.CertificateRead:
    status = row.status
    if status == "valid" and row.not_after < (at or now()):
        status = "expired"
    return schemas.CertificateRead(
        serial=row.serial_hex,
        issuer=row.issuer_name,
        profile=row.profile,
        subject=row.subject,
        common_name=row.common_name,
        identifiers=list(row.identifiers or []),
        agency_code=row.agency_code,
        not_before=row.not_before,
        not_after=row.not_after,
        status=status,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
        certificate_pem=row.certificate_pem,
        renewal_of=row.renewal_of,
    )


def _parse_identifiers(values: list[str]) -> list[VnIdentifier]:
    parsed = []
    for value in values:
        try:
            parsed.append(VnIdentifier.parse(value))
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="identifiers") from None
    return parsed


def _authorise_identifiers(
    actor: Principal, authority: str, identifiers: list[VnIdentifier]
) -> list[VnIdentifier]:
    """Who may put which identifiers in a certificate.

    Government CA: an agency issues for itself, its systems and its officials, so the subject carries
    MDDT:<the caller's agency> (added when missing); only a platform administrator may name another.
    Public CA: a registration authority (or the platform administrator) has checked the applicant, and
    the subject carries a personal ID (CCCD) or an enterprise code (MST).
    """
    admin = actor.has_role(PLATFORM_ADMIN) or actor.has_role("system")
    if authority == GOV:
        agencies = [i for i in identifiers if i.kind == IdentifierKind.AGENCY]
        if not agencies:
            identifiers = [VnIdentifier(IdentifierKind.AGENCY, actor.agency_code), *identifiers]
        elif not admin and any(i.value != actor.agency_code for i in agencies):
            raise NotHolderAgency(
                f"an agency may only request certificates in its own name (MDDT:{actor.agency_code})",
                field="identifiers",
            )
        return identifiers
    if not (admin or actor.has_role(REGISTRATION_AUTHORITY)):
        raise PermissionDenied(
            "only a registration authority issues certificates of the public CA",
            code="not_registration_authority",
        )
    if not any(i.kind in (IdentifierKind.PERSON, IdentifierKind.ENTERPRISE) for i in identifiers):
        raise InvalidInput(
            "a public-CA certificate names its holder: CCCD:<personal ID> or MST:<code>", field="identifiers"
        )
    return identifiers


@contextmanager
def _fields_named(renames: dict[str, str]) -> Iterator[None]:
    """Report the crypto core's field names as this API spells them (its "csr" is our "csr_pem")."""
    try:
        yield
    except InvalidInput as exc:
        if exc.field in renames:
            exc.field = exc.data["field"] = renames[exc.field]
        raise


def _sans(names: list[str]) -> list[x509.GeneralName]:
    """Host names as DNS names; literal IPv4/IPv6 addresses as IP addresses (RFC 5280 §4.2.1.6)."""
    out: list[x509.GeneralName] = []
    for name in names:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def request_certificate(
    session: Session, *, actor: Principal, ctx: SigningContext, request_in: schemas.CertificateRequest
) -> schemas.IssuedCertificate:
    """Issue a certificate (cấp chứng thư số) from a CSR, or for a key generated here."""
    authority = request_in.authority or GOV
    profile = PROFILES[request_in.profile]
    if authority == PUBLIC and profile is TLS_SERVER:
        raise InvalidInput("the public CA does not issue TLS server certificates", field="profile")
    identifiers = _authorise_identifiers(actor, authority, _parse_identifiers(request_in.identifiers))
    ca = _ca(session, ctx, authority)
    validity = timedelta(days=request_in.validity_days) if request_in.validity_days else None
    key_pem: str | None = None
    if request_in.csr_pem:
        with _fields_named({"csr": "csr_pem"}):
            cert = issue_from_csr(
                ca,
                load_csr(request_in.csr_pem),
                profile,
                identifiers=identifiers,
                subject_alt_names=_sans(request_in.dns_names) if request_in.dns_names else None,
                validity=validity,
            )
    else:
        if not request_in.common_name:
            raise InvalidInput("common_name is required when no CSR is sent", field="common_name")
        if request_in.key_passphrase is None:
            raise InvalidInput(
                "key_passphrase is required to protect a key made for you", field="key_passphrase"
            )
        signer = FileSigner.generate(request_in.key_algorithm or ctx.key_algorithm)
        subject = subject_name(request_in.common_name, organization=request_in.organization)
        cert = issue_certificate(
            ca,
            subject,
            signer.public_key(),
            profile,
            identifiers=identifiers,
            subject_alt_names=_sans(request_in.dns_names),
            validity=validity,
        )
        key_pem = signer.to_pem(request_in.key_passphrase.get_secret_value()).decode("ascii")
    row = _record_issued(
        session,
        cert,
        issuer=authority,
        profile=profile.name,
        agency_code=actor.agency_code,
        requested_by=actor.subject,
    )
    session.flush()
    read = _certificate_read(row)
    audit.record(
        session,
        actor=actor,
        action="signing.certificate.issue",
        object_type="certificate",
        object_id=row.serial_hex,
        after=read.model_dump(mode="json", exclude={"certificate_pem"}),
    )
    chain = [cert, *trust_chain(session, ctx, authority)]
    return schemas.IssuedCertificate(
        certificate=read, chain_pem=chain_pem(chain).decode("ascii"), private_key_pem=key_pem
    )


def _certificate_row(session: Session, serial: str) -> IssuedCertificate:
    row = session.scalar(sa.select(IssuedCertificate).where(IssuedCertificate.serial_hex == serial.upper()))
    if row is None:
        raise CertificateNotFound(serial)
    return row


def _check_holder(actor: Principal, row: IssuedCertificate) -> None:
    """The same answer for "not yours" and "does not exist", so serials cannot be probed."""
    if actor.has_role(PLATFORM_ADMIN) or actor.has_role("system"):
        return
    if row.agency_code != actor.agency_code:
        raise CertificateNotFound(row.serial_hex)


PERSONAL_KINDS = ("CCCD:", "CMND:", "HC:")


def _log_personal_data_read(session: Session, actor: Principal, rows: list[IssuedCertificate]) -> None:
    """Decree 13/2023: every read of personal data (a person's ID number in a certificate) is logged."""
    personal = [r.serial_hex for r in rows if any(i.startswith(PERSONAL_KINDS) for i in r.identifiers or [])]
    if personal:
        audit.record(
            session,
            actor=actor,
            action="personal_data.read",
            object_type="certificate",
            object_id=personal[0] if len(personal) == 1 else f"{len(personal)} certificates",
            after={"serials": personal, "fields": ["identifiers", "subject"]},
        )


def access_certificate(session: Session, *, actor: Principal, serial: str) -> schemas.CertificateRead:
    """One certificate of the caller's agency; reading a person's identifiers is logged."""
    row = _certificate_row(session, serial)
    _check_holder(actor, row)
    _log_personal_data_read(session, actor, [row])
    return _certificate_read(row)


def list_certificates(
    session: Session, *, actor: Principal, status: str | None = None, page: int = 1, page_size: int = 50
) -> schemas.CertificatePage:
    """Certificates the caller's agency requested (every one for a platform administrator)."""
    where = []
    if not actor.has_role(PLATFORM_ADMIN):
        where.append(IssuedCertificate.agency_code == actor.agency_code)
    if status == "revoked":
        where.append(IssuedCertificate.status == "revoked")
    elif status == "valid":
        where += [IssuedCertificate.status == "valid", IssuedCertificate.not_after >= now()]
    elif status == "expired":
        where += [IssuedCertificate.status == "valid", IssuedCertificate.not_after < now()]
    total = session.scalar(sa.select(sa.func.count()).select_from(IssuedCertificate).where(*where)) or 0
    rows = session.scalars(
        sa.select(IssuedCertificate)
        .where(*where)
        .order_by(IssuedCertificate.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    _log_personal_data_read(session, actor, list(rows))
    return schemas.CertificatePage(
        page=page, page_size=page_size, total=int(total), items=[_certificate_read(r) for r in rows]
    )


def revoke_certificate(
    session: Session, *, actor: Principal, ctx: SigningContext, serial: str, revoke_in: schemas.Revoke
) -> schemas.CertificateRead:
    """Revoke (thu hồi) a certificate: recorded, audited, announced, and the CA's CRL republished."""
    row = _certificate_row(session, serial)
    _check_holder(actor, row)
    if row.issuer_name not in ISSUING or row.profile in ("ocsp_signing", "time_stamping"):
        raise PermissionDenied(
            "platform service and CA certificates are not revoked here", code="not_revocable"
        )
    if row.status == "revoked":
        raise AlreadyRevoked(
            f"certificate {row.serial_hex} was already revoked on {row.revoked_at:%d/%m/%Y}", field="serial"
        )
    before = _certificate_read(row).model_dump(mode="json", exclude={"certificate_pem"})
    row.status, row.revoked_at, row.revocation_reason = "revoked", now(), revoke_in.reason
    session.flush()
    _publish_crl(session, ctx, row.issuer_name)
    ctx.runtime.pop("ocsp_cache", None)  # nonce-less OCSP answers made before now are stale
    after = _certificate_read(row).model_dump(mode="json", exclude={"certificate_pem"})
    audit.record(
        session,
        actor=actor,
        action="signing.certificate.revoke",
        object_type="certificate",
        object_id=row.serial_hex,
        before=before,
        after=after,
    )
    outbox.emit(
        session,
        EVENT_REVOKED,
        {"serial": row.serial_hex, "issuer": row.issuer_name, "reason": revoke_in.reason},
    )
    return _certificate_read(row)


def renew(
    session: Session, *, actor: Principal, ctx: SigningContext, serial: str, renew_in: schemas.Renew
) -> schemas.IssuedCertificate:
    """A new certificate for the same holder (gia hạn), same key unless a new CSR is sent."""
    old_row = _certificate_row(session, serial)
    _check_holder(actor, old_row)
    if old_row.status == "revoked":
        raise AlreadyRevoked("a revoked certificate cannot be renewed; request a new one", field="serial")
    ca = _ca(session, ctx, old_row.issuer_name)
    old = ctx.certificate(old_row.certificate_pem)
    key = load_csr(renew_in.csr_pem).public_key() if renew_in.csr_pem else None
    validity = timedelta(days=renew_in.validity_days) if renew_in.validity_days else None
    cert = renew_certificate(ca, old, PROFILES[old_row.profile], public_key=key, validity=validity)  # type: ignore[arg-type]
    row = _record_issued(
        session,
        cert,
        issuer=old_row.issuer_name,
        profile=old_row.profile,
        agency_code=old_row.agency_code,
        requested_by=actor.subject,
        renewal_of=old_row.serial_hex,
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="signing.certificate.renew",
        object_type="certificate",
        object_id=row.serial_hex,
        after={"renewal_of": old_row.serial_hex},
    )
    chain = [cert, *trust_chain(session, ctx, old_row.issuer_name)]
    return schemas.IssuedCertificate(certificate=_certificate_read(row), chain_pem=chain_pem(chain).decode())


# --------------------------------------------------------------------------- CRL


def _publish_crl(session: Session, ctx: SigningContext, name: str) -> PublishedCrl:
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
        _authority(session, name)
        row = latest_crl(session, name)
        if not crl_needs_refresh(row, ctx) and row is not None:
            return bytes(row.der)
    with db.transaction() as session:
        row = latest_crl(session, name)
        if crl_needs_refresh(row, ctx):
            row = _publish_crl(session, ctx, name)
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
                _publish_crl(session, ctx, name)
                refreshed.append(name)
    return refreshed


# --------------------------------------------------------------------------- OCSP


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
        params = {"serial": _serial_hex(serial), "issuer": issuer}
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
        authority = _authority(session, name)
        key = session.scalar(sa.select(ServiceKey).where(ServiceKey.role == f"ocsp:{name}"))
        if key is None:
            continue
        cert_row = _certificate_row(session, key.certificate_serial)
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


# --------------------------------------------------------------------------- time-stamps


class SerialBlocks:
    """Serial numbers handed out from blocks reserved in the database: unique across processes and
    restarts, with one database write per block rather than per token."""

    def __init__(self, db: Database, name: str, block: int = 1000) -> None:
        self.db, self.name, self.block = db, name, block
        self._next = 0
        self._end = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            if self._next >= self._end:
                self._next = self._reserve()
                self._end = self._next + self.block
            value = self._next
            self._next += 1
            return value

    def _reserve(self) -> int:
        with self.db.transaction() as session:
            row = session.get(SerialCounter, self.name, with_for_update=True)
            if row is None:
                row = SerialCounter(name=self.name, next_value=1)
                session.add(row)
                session.flush()
            start = row.next_value
            row.next_value = start + self.block
            return start


def time_stamp_authority(db: Database, ctx: SigningContext) -> TimeStampAuthority:
    """The platform TSA (built once per process from the stored key and certificate)."""
    tsa: TimeStampAuthority | None = ctx.runtime.get("tsa")
    if tsa is not None:
        return tsa
    with db.read() as session:
        key = session.scalar(sa.select(ServiceKey).where(ServiceKey.role == TSA_ROLE))
        if key is None:
            raise PkiNotReady("the time-stamp authority has not been created yet")
        cert = ctx.certificate(_certificate_row(session, key.certificate_serial).certificate_pem)
        chain = tuple(trust_chain(session, ctx, GOV))
        signer = ctx.key_signer(key.key_backend, key.key_pem)
    tsa = TimeStampAuthority(
        certificate=cert,
        signer=signer,
        serial_numbers=SerialBlocks(db, TSA_ROLE),
        policy=ctx.tsa_policy,
        chain=chain,
    )
    ctx.runtime["tsa"] = tsa
    return tsa


def timestamp_response(db: Database, ctx: SigningContext, request_der: bytes) -> bytes:
    """Answer an RFC 3161 time-stamp request (cấp dấu thời gian)."""
    return respond_timestamp(request_der, time_stamp_authority(db, ctx))


# --------------------------------------------------------------------------- agencies' seals


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
        ca = _ca(session, ctx, GOV)
        signer = _new_key(ctx, f"seal-{actor.agency_code}", ctx.key_algorithm)
        name = _agency_name(session, actor.agency_code)
        subject = subject_name(name, organization=name)
        identifiers = [VnIdentifier(IdentifierKind.AGENCY, actor.agency_code)]
        cert = issue_certificate(
            ca, subject, signer.public_key(), PROFILES["document_signing"], identifiers=identifiers
        )
        _record_issued(
            session,
            cert,
            issuer=GOV,
            profile="document_signing",
            agency_code=actor.agency_code,
            requested_by=actor.subject,
        )
        backend, key_ref = _stored_key(ctx, signer)
        seal = Seal(
            agency_code=actor.agency_code,
            certificate_serial=_serial_hex(cert.serial_number),
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
    cert_row = _certificate_row(session, seal.certificate_serial)
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
    return ctx.certificate(_certificate_row(session, key.certificate_serial).certificate_pem)
