"""Certificate authority core (tổ chức chứng thực chữ ký số): root and intermediate CAs, certificates.

Issuing (cấp chứng thư số) goes through one path: the profile fixes the extensions, the request or the
caller supplies subject, key and names, and the CA signs with its `Signer` (file key or, later, HSM).

Vietnamese identifiers in the subject (định danh trong chứng thư). Vietnamese public CAs (seen in
subjects from VNPT SmartCA, FPT-CA, Vina-CA, NC-CA, …) put the subscriber's identifier in the X.500
`UID` attribute (0.9.2342.19200300.100.1.1) with a type prefix: ``UID=MST:0101234567`` (mã số thuế /
mã số doanh nghiệp, branches ``-NNN``), ``UID=CCCD:0010xxxxxxxx`` (căn cước công dân, 12 digits),
``UID=CMND:…`` (old ID card), ``UID=HC:…`` (passport) and, for state units, ``UID=MNS:1047665``
(mã đơn vị quan hệ ngân sách) next to their MST. We follow that practice, so existing Vietnamese
signing software (which matches ``UID=MST:`` / ``UID=CCCD:``) reads our certificates. No public
certificate showing an agency's electronic ID code (mã định danh điện tử, QCVN 102:2016/BTTTT
``000.00.00.G12`` or QĐ 20/2020/QĐ-TTg ``G12.18``) was found, so ``UID=MDDT:<code>`` is **our
convention**. The CA writes only verified identifiers: UID values a request brings are refused
unless the caller verified the same ones.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID, ObjectIdentifier

from vnegov.signing.crypto._x509sign import sign_certificate
from vnegov.signing.crypto.errors import CsrError, ProfileError, SubjectError, UnsupportedKeyError
from vnegov.signing.crypto.keys import (
    DEFAULT_KEY_ALGORITHM,
    FileSigner,
    KeyAlgorithm,
    PublicKey,
    Signer,
    signature_algorithm_for,
)
from vnegov.signing.crypto.profiles import INTERMEDIATE_CA, ROOT_CA, CertificateProfile

SERIAL_BITS = 159
BACKDATE = timedelta(minutes=5)
"""notBefore is set this far in the past so relying parties with a slow clock accept new certificates."""


class IdentifierKind(StrEnum):
    """Prefix of a Vietnamese identifier in the UID attribute (loại định danh)."""

    ENTERPRISE = "MST"  # mã số doanh nghiệp = mã số thuế; branch "-NNN"
    PERSON = "CCCD"  # số định danh cá nhân, 12 digits
    LEGACY_ID = "CMND"  # chứng minh nhân dân, 9 or 12 digits
    PASSPORT = "HC"  # hộ chiếu
    BUDGET_UNIT = "MNS"  # mã đơn vị có quan hệ với ngân sách, 7 digits
    AGENCY = "MDDT"  # mã định danh điện tử của cơ quan — vnegov convention


_IDENTIFIER_PATTERNS: dict[IdentifierKind, re.Pattern[str]] = {
    IdentifierKind.ENTERPRISE: re.compile(r"\d{10}(-\d{3})?"),
    IdentifierKind.PERSON: re.compile(r"\d{12}"),
    IdentifierKind.LEGACY_ID: re.compile(r"\d{9}|\d{12}"),
    IdentifierKind.PASSPORT: re.compile(r"[A-Z0-9]{6,9}"),
    IdentifierKind.BUDGET_UNIT: re.compile(r"\d{7}"),
    # QCVN 102:2016 "000.00.18.G12" (level 4 → 1) or QĐ 20/2020/QĐ-TTg "G12.18" (level 1 first), ≤ 35 chars
    IdentifierKind.AGENCY: re.compile(r"(?=[0-9A-Z.]{3,35}$)([0-9A-Z]+\.)*[A-Z][0-9]{2}(\.[0-9A-Z]+)*"),
}


@dataclass(frozen=True)
class VnIdentifier:
    """A verified Vietnamese identifier written as ``UID=<kind>:<value>`` in the subject."""

    kind: IdentifierKind
    value: str

    def __post_init__(self) -> None:
        if not _IDENTIFIER_PATTERNS[self.kind].fullmatch(self.value):
            raise SubjectError(
                f"{self.value!r} is not a valid {self.kind.value} identifier", field="identifiers"
            )

    @property
    def uid(self) -> str:
        return f"{self.kind.value}:{self.value}"

    def attribute(self) -> x509.NameAttribute:
        return x509.NameAttribute(NameOID.USER_ID, self.uid)

    @classmethod
    def parse(cls, uid: str) -> VnIdentifier:
        """Read ``MST:0101234567`` back; `SubjectError` for anything else."""
        prefix, sep, value = uid.partition(":")
        try:
            kind = IdentifierKind(prefix)
        except ValueError:
            raise SubjectError(
                f"UID {uid!r} is not a Vietnamese identifier (MST:, CCCD:, MDDT:, …)"
            ) from None
        if not sep:
            raise SubjectError(f"UID {uid!r} has no value")
        return cls(kind, value)


def identifiers_in(name: x509.Name) -> list[VnIdentifier]:
    """The Vietnamese identifiers in a subject name, in order."""
    return [VnIdentifier.parse(_text(a.value)) for a in name.get_attributes_for_oid(NameOID.USER_ID)]


def subject_name(
    common_name: str,
    *,
    organization: str | None = None,
    organizational_unit: str | None = None,
    locality: str | None = None,
    province: str | None = None,
    country: str = "VN",
    identifiers: Sequence[VnIdentifier] = (),
) -> x509.Name:
    """A subject DN in the order Vietnamese CAs use: C, ST, L, O, OU, CN, then UID=… identifiers."""
    parts = [
        (NameOID.COUNTRY_NAME, country),
        (NameOID.STATE_OR_PROVINCE_NAME, province),
        (NameOID.LOCALITY_NAME, locality),
        (NameOID.ORGANIZATION_NAME, organization),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, organizational_unit),
        (NameOID.COMMON_NAME, common_name),
    ]
    attributes = [x509.NameAttribute(oid, value) for oid, value in parts if value]
    return x509.Name([*attributes, *(i.attribute() for i in identifiers)])


def apply_identifiers(
    requested: x509.Name, identifiers: Sequence[VnIdentifier], profile: CertificateProfile
) -> x509.Name:
    """The subject to issue: the requested DN with its UIDs replaced by the verified identifiers.

    A UID in the request that the caller did not verify is refused rather than silently dropped, so
    the applicant learns why; a profile that needs an identifier refuses a subject without one.
    """
    verified = {i.uid for i in identifiers}
    for claimed in requested.get_attributes_for_oid(NameOID.USER_ID):
        if _text(claimed.value) not in verified:
            raise SubjectError(f"the request claims UID={_text(claimed.value)} which was not verified")
    if not requested.get_attributes_for_oid(NameOID.COMMON_NAME):
        raise SubjectError("the subject needs a common name (CN)")
    if profile.requires_identifier and not identifiers:
        raise SubjectError(
            f"a {profile.name} certificate needs a Vietnamese identifier (MST, CCCD, MDDT, …)",
            field="identifiers",
        )
    kept = [rdn for rdn in requested.rdns if all(a.oid != NameOID.USER_ID for a in rdn)]
    return x509.Name([*kept, *(x509.RelativeDistinguishedName([i.attribute()]) for i in identifiers)])


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def new_serial_number() -> int:
    """A 159-bit random positive serial (số hiệu chứng thư): fits RFC 5280's 20 octets, never guessable.

    Collisions are negligible (2^-80 after 2^39 certificates); the service still keeps a unique index.
    """
    while True:
        serial = secrets.randbits(SERIAL_BITS)
        if serial:
            return serial


class RevocationReason(StrEnum):
    """Reasons for revoking a certificate (lý do thu hồi chứng thư số), RFC 5280 §5.3.1."""

    UNSPECIFIED = "unspecified"  # không nêu lý do
    KEY_COMPROMISE = "key_compromise"  # lộ khóa bí mật
    CA_COMPROMISE = "ca_compromise"  # lộ khóa của CA
    AFFILIATION_CHANGED = "affiliation_changed"  # thay đổi thông tin/đơn vị
    SUPERSEDED = "superseded"  # đã được thay thế (gia hạn, cấp lại)
    CESSATION_OF_OPERATION = "cessation_of_operation"  # chấm dứt hoạt động
    CERTIFICATE_HOLD = "certificate_hold"  # tạm dừng
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn"  # bị rút quyền
    AA_COMPROMISE = "aa_compromise"

    @property
    def flag(self) -> x509.ReasonFlags:
        return x509.ReasonFlags[self.value]


@dataclass(frozen=True)
class IssuerUrls:
    """Where relying parties find the CA's CRL, OCSP responder and certificate (written into issued certs)."""

    crl: tuple[str, ...] = ()
    ocsp: tuple[str, ...] = ()
    ca_issuers: tuple[str, ...] = ()


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA: its certificate, its key behind a `Signer`, and the URLs it writes into what it issues."""

    certificate: x509.Certificate
    signer: Signer
    urls: IssuerUrls = IssuerUrls()

    def __post_init__(self) -> None:
        if _spki(self.certificate.public_key()) != _spki(self.signer.public_key()):
            raise UnsupportedKeyError(
                "the CA's signer does not hold the key of its certificate", field="signer"
            )
        try:
            is_ca = self.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            raise ProfileError("this certificate is not a CA certificate", field="certificate")


def _spki(key: object) -> bytes:
    assert isinstance(key, PublicKey)
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class _Request:
    subject: x509.Name
    public_key: PublicKey
    profile: CertificateProfile
    san: tuple[x509.GeneralName, ...] = ()
    validity: timedelta | None = None
    now: datetime | None = None
    serial: int | None = None
    policies: tuple[str, ...] = ()


def _check_key(public_key: object, profile: CertificateProfile) -> PublicKey:
    key_type = signature_algorithm_for(public_key).key_type
    if key_type not in profile.allowed_key_types:
        allowed = ", ".join(sorted(profile.allowed_key_types))
        raise ProfileError(f"a {key_type} key does not fit the {profile.name} profile (allowed: {allowed})")
    assert isinstance(public_key, PublicKey)
    return public_key


def _check_san(profile: CertificateProfile, san: Sequence[x509.GeneralName]) -> None:
    if profile.requires_san and not any(isinstance(n, x509.DNSName | x509.IPAddress) for n in san):
        raise ProfileError(
            f"a {profile.name} certificate needs DNS names or IP addresses", field="subject_alt_names"
        )


def _validity(req: _Request, issuer: x509.Certificate | None) -> tuple[datetime, datetime]:
    now = req.now or datetime.now(UTC)
    not_after = now + (req.validity or req.profile.validity)
    if issuer is not None:
        if issuer.not_valid_after_utc <= now:
            raise ProfileError("the issuing CA's certificate has expired", field="certificate")
        not_after = min(not_after, issuer.not_valid_after_utc)  # never outlive the issuing CA
    return now - BACKDATE, not_after


def _serial(requested: int | None) -> int:
    if requested is None:
        return new_serial_number()
    if not 0 < requested < 2**SERIAL_BITS:
        raise ProfileError(f"serial number {requested} is outside 1..2^{SERIAL_BITS}", field="serial")
    return requested


def _extensions(
    req: _Request, issuer_key: PublicKey, urls: IssuerUrls | None
) -> list[tuple[x509.ExtensionType, bool]]:
    profile = req.profile
    key_type = signature_algorithm_for(req.public_key).key_type
    path_length = profile.path_length if profile.is_ca else None
    exts: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=profile.is_ca, path_length=path_length), True),
        (profile.key_usage_for(key_type), True),
        (x509.SubjectKeyIdentifier.from_public_key(req.public_key), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), False),
    ]
    if profile.extended_key_usage:
        exts.append((x509.ExtendedKeyUsage(list(profile.extended_key_usage)), profile.eku_critical))
    if req.san:
        exts.append((x509.SubjectAlternativeName(list(req.san)), False))
    if req.policies:
        infos = [x509.PolicyInformation(ObjectIdentifier(p), None) for p in req.policies]
        exts.append((x509.CertificatePolicies(infos), False))
    if profile.ocsp_no_check:
        exts.append((x509.OCSPNoCheck(), False))
    return exts + _url_extensions(urls, profile)


def _url_extensions(
    urls: IssuerUrls | None, profile: CertificateProfile
) -> list[tuple[x509.ExtensionType, bool]]:
    if urls is None:
        return []
    exts: list[tuple[x509.ExtensionType, bool]] = []
    if urls.crl:
        points = [
            x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None) for u in urls.crl
        ]
        exts.append((x509.CRLDistributionPoints(points), False))
    ocsp = () if profile.ocsp_no_check else urls.ocsp  # a no-check responder cert is never asked about
    access = [
        x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(u))
        for u in ocsp
    ]
    access += [
        x509.AccessDescription(
            x509.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(u)
        )
        for u in urls.ca_issuers
    ]
    if access:
        exts.append((x509.AuthorityInformationAccess(access), False))
    return exts


def _sign(
    req: _Request,
    issuer_name: x509.Name,
    issuer_cert: x509.Certificate | None,
    ca_signer: Signer,
    urls: IssuerUrls | None,
) -> x509.Certificate:
    not_before, not_after = _validity(req, issuer_cert)
    builder = (
        x509.CertificateBuilder()
        .subject_name(req.subject)
        .issuer_name(issuer_name)
        .public_key(req.public_key)
        .serial_number(_serial(req.serial))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for extension, critical in _extensions(req, ca_signer.public_key(), urls):
        builder = builder.add_extension(extension, critical=critical)
    return sign_certificate(builder, ca_signer)


def _issue(ca: CertificateAuthority, req: _Request) -> x509.Certificate:
    _check_key(req.public_key, req.profile)
    _check_san(req.profile, req.san)
    return _sign(req, ca.certificate.subject, ca.certificate, ca.signer, ca.urls)


def create_root_ca(
    subject: x509.Name,
    signer: Signer,
    *,
    validity: timedelta | None = None,
    now: datetime | None = None,
    policies: Sequence[str] = (),
) -> x509.Certificate:
    """A self-signed root CA certificate (chứng thư số gốc) for the signer's key."""
    req = _Request(
        subject, signer.public_key(), ROOT_CA, validity=validity, now=now, policies=tuple(policies)
    )
    return _sign(req, subject, None, signer, None)


def create_intermediate_ca(
    ca: CertificateAuthority,
    subject: x509.Name,
    public_key: PublicKey,
    *,
    validity: timedelta | None = None,
    now: datetime | None = None,
    policies: Sequence[str] = (),
) -> x509.Certificate:
    """An intermediate CA certificate (CA trung gian, pathLen 0) signed by `ca`."""
    req = _Request(subject, public_key, INTERMEDIATE_CA, validity=validity, now=now, policies=tuple(policies))
    return _issue(ca, req)


def issue_certificate(
    ca: CertificateAuthority,
    subject: x509.Name,
    public_key: PublicKey,
    profile: CertificateProfile,
    *,
    identifiers: Sequence[VnIdentifier] = (),
    subject_alt_names: Sequence[x509.GeneralName] = (),
    validity: timedelta | None = None,
    now: datetime | None = None,
    serial: int | None = None,
    policies: Sequence[str] = (),
) -> x509.Certificate:
    """An end-entity certificate (chứng thư số thuê bao) for a known public key."""
    _require_end_entity(profile)
    final_subject = apply_identifiers(subject, identifiers, profile)
    req = _Request(
        final_subject, public_key, profile, tuple(subject_alt_names), validity, now, serial, tuple(policies)
    )
    return _issue(ca, req)


def issue_with_new_key(
    ca: CertificateAuthority,
    subject: x509.Name,
    profile: CertificateProfile,
    *,
    algorithm: KeyAlgorithm | str = DEFAULT_KEY_ALGORITHM,
    identifiers: Sequence[VnIdentifier] = (),
    subject_alt_names: Sequence[x509.GeneralName] = (),
    validity: timedelta | None = None,
    now: datetime | None = None,
) -> tuple[FileSigner, x509.Certificate]:
    """Generate a key pair and issue a certificate for it (used for the platform's own TSA/OCSP/TLS)."""
    signer = FileSigner.generate(algorithm)
    cert = issue_certificate(
        ca,
        subject,
        signer.public_key(),
        profile,
        identifiers=identifiers,
        subject_alt_names=subject_alt_names,
        validity=validity,
        now=now,
    )
    return signer, cert


def load_csr(data: bytes | str) -> x509.CertificateSigningRequest:
    """Parse a PKCS#10 request (yêu cầu cấp chứng thư số), PEM or DER, and check its self-signature.

    The self-signature proves the applicant holds the private key; `CsrError` if anything is wrong.
    """
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            csr = x509.load_pem_x509_csr(raw)
        else:
            csr = x509.load_der_x509_csr(raw)
        valid = csr.is_signature_valid
        csr.extensions  # noqa: B018 - parses the requested extensions, raises when malformed
    except (ValueError, TypeError) as exc:
        raise CsrError(f"malformed certificate signing request: {exc}") from None
    except x509.UnsupportedGeneralNameType as exc:
        raise CsrError(f"the request uses an unsupported name type: {exc}") from None
    if not valid:
        raise CsrError("the request's signature does not verify (proof of key possession failed)")
    return csr


def _requested(
    csr: x509.CertificateSigningRequest, kind: type[x509.ExtensionType]
) -> x509.ExtensionType | None:
    try:
        return csr.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def check_request_fits(csr: x509.CertificateSigningRequest, profile: CertificateProfile) -> None:
    """Refuse a request whose own extensions ask for more than the profile gives (CA=true, keyCertSign…)."""
    constraints = _requested(csr, x509.BasicConstraints)
    if isinstance(constraints, x509.BasicConstraints) and constraints.ca:
        raise ProfileError("the request asks for a CA certificate (BasicConstraints CA=true); refused")
    key_type = signature_algorithm_for(_check_key(csr.public_key(), profile)).key_type
    usage = _requested(csr, x509.KeyUsage)
    if isinstance(usage, x509.KeyUsage):
        allowed = profile.key_usage_for(key_type)
        extra = [
            f
            for f in ("key_cert_sign", "crl_sign", *_plain_usages())
            if _flag(usage, f) and not _flag(allowed, f)
        ]
        if extra:
            raise ProfileError(
                f"the request asks for key usage {', '.join(extra)} outside the {profile.name} profile"
            )
    eku = _requested(csr, x509.ExtendedKeyUsage)
    if isinstance(eku, x509.ExtendedKeyUsage):
        extra_eku = [oid.dotted_string for oid in eku if oid not in profile.extended_key_usage]
        if extra_eku:
            raise ProfileError(
                f"the request asks for extended key usage {', '.join(extra_eku)} outside {profile.name}"
            )


def _plain_usages() -> tuple[str, ...]:
    return (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
    )


def _flag(usage: x509.KeyUsage, field: str) -> bool:
    return bool(getattr(usage, field))


def _require_end_entity(profile: CertificateProfile) -> None:
    if profile.is_ca:
        raise ProfileError(f"{profile.name} is a CA profile; use create_root_ca/create_intermediate_ca")


def issue_from_csr(
    ca: CertificateAuthority,
    csr: x509.CertificateSigningRequest | bytes,
    profile: CertificateProfile,
    *,
    identifiers: Sequence[VnIdentifier] = (),
    subject_alt_names: Sequence[x509.GeneralName] | None = None,
    validity: timedelta | None = None,
    now: datetime | None = None,
    serial: int | None = None,
    policies: Sequence[str] = (),
) -> x509.Certificate:
    """Issue an end-entity certificate from a PKCS#10 request.

    The subject DN comes from the request with UIDs replaced by the verified `identifiers`; names come
    from `subject_alt_names`, or from the request's SAN when None (the caller must have checked them).
    The request's own key usage, EKU and basic constraints may only ask for what the profile grants.
    """
    _require_end_entity(profile)
    request = csr if isinstance(csr, x509.CertificateSigningRequest) else load_csr(csr)
    if isinstance(csr, x509.CertificateSigningRequest) and not csr.is_signature_valid:
        raise CsrError("the request's signature does not verify (proof of key possession failed)")
    check_request_fits(request, profile)
    san = subject_alt_names
    if san is None:
        requested = _requested(request, x509.SubjectAlternativeName)
        san = list(requested) if isinstance(requested, x509.SubjectAlternativeName) else []
    public_key = request.public_key()
    assert isinstance(public_key, PublicKey)
    return issue_certificate(
        ca,
        request.subject,
        public_key,
        profile,
        identifiers=identifiers,
        subject_alt_names=san,
        validity=validity,
        now=now,
        serial=serial,
        policies=policies,
    )


def renew_certificate(
    ca: CertificateAuthority,
    old: x509.Certificate,
    profile: CertificateProfile,
    *,
    public_key: PublicKey | None = None,
    validity: timedelta | None = None,
    now: datetime | None = None,
    serial: int | None = None,
) -> x509.Certificate:
    """Renew (gia hạn) or re-key (cấp lại với khóa mới): same subject, names and policies, new serial.

    Without `public_key` the old key is kept. The old certificate must come from this CA.
    """
    _require_end_entity(profile)
    if old.issuer != ca.certificate.subject:
        raise ProfileError("this certificate was not issued by this CA", field="certificate")
    old_key = old.public_key()
    key = public_key if public_key is not None else old_key
    assert isinstance(key, PublicKey)
    req = _Request(old.subject, key, profile, _old_san(old), validity, now, serial, _old_policies(old))
    return _issue(ca, req)


def _old_san(cert: x509.Certificate) -> tuple[x509.GeneralName, ...]:
    try:
        return tuple(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        return ()


def _old_policies(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(p.policy_identifier.dotted_string for p in policies)


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def chain_pem(certificates: Iterable[x509.Certificate]) -> bytes:
    """Certificates concatenated as PEM (for files such as chain.pem)."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)
