"""Issuance (cấp chứng thư số): from a CSR or a generated key, by profile; renewal and revocation."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography import x509
from sqlalchemy.orm import Session

from vnegov.kernel import audit, outbox
from vnegov.kernel.clock import now
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import InvalidInput, PermissionDenied
from vnegov.signing import schemas
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto import (
    PROFILES,
    TLS_SERVER,
    FileSigner,
    VnIdentifier,
    chain_pem,
    issue_certificate,
    issue_from_csr,
    load_csr,
    renew_certificate,
    subject_name,
)
from vnegov.signing.crypto.pki import IdentifierKind
from vnegov.signing.errors import AlreadyRevoked, CertificateNotFound, NotHolderAgency
from vnegov.signing.models import IssuedCertificate
from vnegov.signing.service.authorities import load_ca, publish_crl, record_issued, trust_chain
from vnegov.signing.service.common import (
    EVENT_REVOKED,
    GOV,
    ISSUING,
    PLATFORM_ADMIN,
    PUBLIC,
    REGISTRATION_AUTHORITY,
)


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
    ca = load_ca(session, ctx, authority)
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
    row = record_issued(
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


def load_certificate(session: Session, serial: str) -> IssuedCertificate:
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
    row = load_certificate(session, serial)
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
    row = load_certificate(session, serial)
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
    publish_crl(session, ctx, row.issuer_name)
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
    old_row = load_certificate(session, serial)
    _check_holder(actor, old_row)
    if old_row.status == "revoked":
        raise AlreadyRevoked("a revoked certificate cannot be renewed; request a new one", field="serial")
    ca = load_ca(session, ctx, old_row.issuer_name)
    old = ctx.certificate(old_row.certificate_pem)
    key = load_csr(renew_in.csr_pem).public_key() if renew_in.csr_pem else None
    validity = timedelta(days=renew_in.validity_days) if renew_in.validity_days else None
    cert = renew_certificate(ca, old, PROFILES[old_row.profile], public_key=key, validity=validity)  # type: ignore[arg-type]
    row = record_issued(
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
