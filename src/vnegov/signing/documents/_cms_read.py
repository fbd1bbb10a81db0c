"""Reading and checking CMS SignerInfos (kiểm tra chữ ký CMS), shared by detached CMS and PAdES.

For each SignerInfo: the hash algorithm must be one we accept, the signer certificate must be in the
SignedData, the message-digest attribute must equal the digest of the signed content, the content-type
attribute must match, the signature over the signed attributes must verify with the certificate's key,
and a signing-certificate(-v2) attribute, when present, must name that certificate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from vnegov.signing.crypto import ACCEPTED_HASHES
from vnegov.signing.documents._evidence import Evidence, Finding, failed, indeterminate
from vnegov.signing.documents._paths import utc, verify_with_key
from vnegov.signing.documents.report import SubIndication
from vnegov.signing.documents.trust import RevocationData

DigestOf = Callable[[str], bytes]
"""Digest of the signed content with the named hash ("sha256"); raises `MissingContent` without it."""

_WEAK_HASHES = frozenset({"md5", "sha1", "sha224"})


class MissingContent(Exception):
    """The signature is detached and the signed file was not supplied."""


def certificates_in(signed_data: cms.SignedData) -> tuple[x509.Certificate, ...]:
    """The X.509 certificates carried in a SignedData (attribute certificates are skipped)."""
    found = []
    for choice in signed_data["certificates"] or []:
        if choice.name == "certificate":
            try:
                found.append(x509.load_der_x509_certificate(choice.chosen.dump()))
            except ValueError:
                continue
    return tuple(found)


def crls_in(signed_data: cms.SignedData) -> RevocationData:
    """CRLs carried in the SignedData's revocationInfoChoices, as DER."""
    crls = [c.chosen.dump() for c in signed_data["crls"] or [] if c.name == "crl"]
    return RevocationData(crls=tuple(crls))


def _by_issuer_serial(
    wanted: cms.IssuerAndSerialNumber, certs: tuple[x509.Certificate, ...]
) -> x509.Certificate | None:
    for cert in certs:
        if cert.serial_number != wanted["serial_number"].native:
            continue
        if asn1_x509.Name.load(cert.issuer.public_bytes()) == wanted["issuer"]:
            return cert
    return None


def _by_key_id(key_id: bytes, certs: tuple[x509.Certificate, ...]) -> x509.Certificate | None:
    for cert in certs:
        try:
            if cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest == key_id:
                return cert
        except x509.ExtensionNotFound:
            continue
    return None


def signer_certificate(
    sid: cms.SignerIdentifier, certs: tuple[x509.Certificate, ...]
) -> x509.Certificate | None:
    """The certificate a SignerInfo names (by issuer and serial, or by subject key identifier)."""
    if sid.name == "issuer_and_serial_number":
        return _by_issuer_serial(sid.chosen, certs)
    return _by_key_id(sid.chosen.native, certs)


def _values(attrs: cms.CMSAttributes, name: str) -> list[object]:
    return [value for attr in attrs if attr["type"].native == name for value in attr["values"]]


def _single(attrs: cms.CMSAttributes, name: str) -> object | None:
    values = _values(attrs, name)
    return values[0] if len(values) == 1 else None


def hash_finding(name: str) -> Finding | None:
    """None for a hash we accept (SHA-256/384/512), else why the signature cannot be relied on."""
    if name in ACCEPTED_HASHES:
        return None
    if name in _WEAK_HASHES:
        vi = f"Thuật toán băm {name} không còn đủ an toàn cho chữ ký số."
        en = f"The hash algorithm {name} is no longer secure enough for signatures."
    else:
        vi = f"Thuật toán băm {name} không được hỗ trợ."
        en = f"The hash algorithm {name} is not supported."
    return indeterminate(SubIndication.CRYPTO_CONSTRAINTS_FAILURE, vi, en)


def _verify_signature(signer_info: cms.SignerInfo, cert: x509.Certificate, digest_name: str) -> bool:
    algorithm: algos.SignedDigestAlgorithm = signer_info["signature_algorithm"]
    try:
        scheme = algorithm.signature_algo
    except ValueError:
        return False
    salt = None
    hash_name = digest_name
    if scheme == "rsassa_pss":
        params = algorithm["parameters"]
        hash_name, salt = params["hash_algorithm"]["algorithm"].native, params["salt_length"].native
    hash_algorithm: hashes.HashAlgorithm | None = ACCEPTED_HASHES.get(hash_name)
    if scheme in ("ed25519", "ed448"):
        hash_algorithm = None
    elif hash_algorithm is None:
        return False
    signed = bytes(signer_info["signed_attrs"].untag().dump())
    signature = signer_info["signature"].native
    return verify_with_key(cert.public_key(), signature, signed, hash_algorithm, pss_salt=salt)


def _signing_certificate_matches(attrs: cms.CMSAttributes, cert: x509.Certificate) -> bool:
    der = cert.public_bytes(Encoding.DER)
    v2 = _single(attrs, "signing_certificate_v2")
    if isinstance(v2, tsp.SigningCertificateV2):
        first = v2["certs"][0]
        name = first["hash_algorithm"]["algorithm"].native
        return name in ACCEPTED_HASHES and first["cert_hash"].native == hashlib.new(name, der).digest()
    v1 = _single(attrs, "signing_certificate")
    if isinstance(v1, tsp.SigningCertificate):
        return bool(v1["certs"][0]["cert_hash"].native == hashlib.sha1(der).digest())
    return True


def _claimed_time(attrs: cms.CMSAttributes) -> datetime | None:
    value = _single(attrs, "signing_time")
    if isinstance(value, cms.Time) and isinstance(value.native, datetime):
        return utc(value.native)
    return None


def present(attrs: object) -> bool:
    """Whether an optional attribute set is there and not empty (without parsing it to Python)."""
    return isinstance(attrs, cms.CMSAttributes) and len(attrs) > 0


def _timestamp_token(signer_info: cms.SignerInfo) -> bytes | None:
    unsigned = signer_info["unsigned_attrs"]
    if not present(unsigned):
        return None
    tokens = _values(unsigned, "signature_time_stamp_token")
    return bytes(tokens[0].dump()) if tokens and isinstance(tokens[0], cms.ContentInfo) else None


_NO_SIGNED_ATTRIBUTES = failed(
    SubIndication.FORMAT_FAILURE,
    "Chữ ký không có thuộc tính được ký (signed attributes).",
    "The signature has no signed attributes.",
)
_WRONG_CONTENT_TYPE = failed(
    SubIndication.FORMAT_FAILURE,
    "Thuộc tính content-type không khớp với nội dung được ký.",
    "The content-type attribute does not match the signed content.",
)
_NO_CONTENT = indeterminate(
    SubIndication.SIGNED_DATA_NOT_FOUND,
    "Chữ ký tách rời: cần tải lên tệp đã được ký để xác thực.",
    "Detached signature: the signed file is needed to verify it.",
)
_CHANGED = failed(
    SubIndication.HASH_FAILURE,
    "Tài liệu đã bị thay đổi sau khi ký (giá trị băm không khớp).",
    "The document was changed after signing (the hash does not match).",
)
_BAD_SIGNATURE = failed(
    SubIndication.SIG_CRYPTO_FAILURE,
    "Giá trị chữ ký không đúng với khóa công khai của chứng thư số.",
    "The signature value does not verify with the certificate's public key.",
)
_OTHER_CERTIFICATE = indeterminate(
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
    "Thuộc tính signing-certificate không trỏ tới chứng thư số của người ký.",
    "The signing-certificate attribute does not name the signer's certificate.",
)
_NO_CERTIFICATE = indeterminate(
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
    "Không tìm thấy chứng thư số của người ký trong chữ ký.",
    "The signer's certificate is not in the signature.",
)


def _digest_matches(attrs: cms.CMSAttributes, digest_of: DigestOf, name: str) -> Finding | None:
    try:
        digest = digest_of(name)
    except MissingContent:
        return _NO_CONTENT
    message_digest = _single(attrs, "message_digest")
    if not isinstance(message_digest, cms.OctetString) or message_digest.native != digest:
        return _CHANGED
    return None


def _integrity(
    signer_info: cms.SignerInfo, signed_data: cms.SignedData, cert: x509.Certificate, digest_of: DigestOf
) -> Finding | None:
    """Content unchanged and signature value correct (toàn vẹn); None when both hold."""
    name = signer_info["digest_algorithm"]["algorithm"].native
    attrs = signer_info["signed_attrs"]
    if not present(attrs):
        return _NO_SIGNED_ATTRIBUTES
    content_type = _single(attrs, "content_type")
    expected_type = signed_data["encap_content_info"]["content_type"].native
    if not isinstance(content_type, cms.ContentType) or content_type.native != expected_type:
        return _WRONG_CONTENT_TYPE
    if (changed := _digest_matches(attrs, digest_of, name)) is not None:
        return changed
    if not _verify_signature(signer_info, cert, name):
        return _BAD_SIGNATURE
    return None if _signing_certificate_matches(attrs, cert) else _OTHER_CERTIFICATE


def read_signer_info(
    signed_data: cms.SignedData, signer_info: cms.SignerInfo, digest_of: DigestOf, signature_id: str
) -> Evidence:
    """Evidence for one SignerInfo; `level` is left for the caller (it depends on the format)."""
    certs = certificates_in(signed_data)
    cert = signer_certificate(signer_info["sid"], certs)
    name = signer_info["digest_algorithm"]["algorithm"].native
    attrs = signer_info["signed_attrs"]
    evidence = Evidence(
        signature_id=signature_id,
        level="",
        signer=cert,
        certificates=certs,
        hash_algorithm=name,
        signature_algorithm=signer_info["signature_algorithm"]["algorithm"].native,
        claimed_time=_claimed_time(attrs) if present(attrs) else None,
        timestamp_token=_timestamp_token(signer_info),
        signature_value=signer_info["signature"].native,
        embedded_revocation=crls_in(signed_data),
    )
    if (unsafe := hash_finding(name)) is not None:
        evidence.integrity = unsafe
    elif cert is None:
        evidence.integrity = _NO_CERTIFICATE
    else:
        evidence.integrity = _integrity(signer_info, signed_data, cert, digest_of)
    return evidence
