"""Detached CMS signatures for any file (chữ ký số tách rời cho mọi loại tệp, `.p7s`).

Signing builds a CMS SignedData (RFC 5652) with asn1crypto and signs it through the crypto core's
`Signer`, so a key in an HSM works the same way: signed attributes content-type, message-digest,
signing-time and signing-certificate-v2 (RFC 5035, as CAdES-B-B requires), the signer's certificate and
chain, and optionally a signature time-stamp (id-aa-signatureTimeStampToken, RFC 3161 Appendix A) as
an unsigned attribute, which makes it CAdES-B-T. `openssl cms -verify` checks the output in the tests.
Ed25519 keys use SHA-512 for the message digest (RFC 8419).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509

from vnegov.signing.documents._cms_read import DigestOf, MissingContent, present, read_signer_info
from vnegov.signing.documents._evidence import Evidence, FormatProblem
from vnegov.signing.documents.credential import SigningCredential, check_signing_certificate, stamp
from vnegov.signing.documents.trust import TimeStamper, TrustStore, certificate_der

_PEM_LABELS = (b"-----BEGIN PKCS7-----", b"-----BEGIN CMS-----")


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate_der(cert))


def digest_name(credential: SigningCredential) -> str:
    """The message-digest hash: the signer's own, SHA-512 for Ed25519 (RFC 8419 §3)."""
    return credential.signer.algorithm.hash_name or "sha512"


def _signing_certificate_v2(cert: asn1_x509.Certificate) -> cms.CMSAttribute:
    ess = {
        "cert_hash": hashlib.sha256(cert.dump()).digest(),
        "issuer_serial": {
            "issuer": [asn1_x509.GeneralName({"directory_name": cert.issuer})],
            "serial_number": cert.serial_number,
        },
    }
    return cms.CMSAttribute({"type": "signing_certificate_v2", "values": [{"certs": [ess]}]})


def _signed_attributes(
    content_digest: bytes, cert: asn1_x509.Certificate, signing_time: datetime
) -> cms.CMSAttributes:
    moment = signing_time.astimezone(UTC).replace(microsecond=0)
    attributes = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": moment})]}),
        cms.CMSAttribute({"type": "message_digest", "values": [content_digest]}),
        _signing_certificate_v2(cert),
    ]
    return cms.CMSAttributes(sorted(attributes, key=lambda a: bytes(a.dump())))  # DER SET OF order


def _signature_algorithm(credential: SigningCredential) -> algos.SignedDigestAlgorithm:
    algorithm = credential.signer.algorithm
    if algorithm.key_type == "rsa":
        return algos.SignedDigestAlgorithm({"algorithm": algorithm.oid, "parameters": core.Null()})
    return algos.SignedDigestAlgorithm({"algorithm": algorithm.oid})


def _unsigned_attributes(token: bytes | None) -> cms.CMSAttributes | None:
    if token is None:
        return None
    value = cms.ContentInfo.load(token)
    return cms.CMSAttributes([cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [value]})])


def _signer_info(
    credential: SigningCredential, content: bytes, signing_time: datetime, timestamper: TimeStamper | None
) -> cms.SignerInfo:
    name = digest_name(credential)
    cert = _asn1(credential.certificate)
    attributes = _signed_attributes(hashlib.new(name, content).digest(), cert, signing_time)
    signature = credential.signer.sign(bytes(attributes.dump()))
    token = stamp(timestamper, signature, name) if timestamper is not None else None
    info = {
        "version": "v1",
        "sid": cms.SignerIdentifier(
            {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
        ),
        "digest_algorithm": {"algorithm": name},
        "signed_attrs": attributes,
        "signature_algorithm": _signature_algorithm(credential),
        "signature": signature,
    }
    unsigned = _unsigned_attributes(token)
    if unsigned is not None:
        info["unsigned_attrs"] = unsigned
    return cms.SignerInfo(info)


def sign_cms(
    content: bytes,
    credential: SigningCredential,
    *,
    timestamper: TimeStamper | None = None,
    signing_time: datetime | None = None,
    trust: TrustStore | None = None,
) -> bytes:
    """Ký số tách rời: a detached CMS signature (DER `.p7s`) over `content`.

    With `timestamper` the signature gets a time-stamp (CAdES-B-T); with `trust` the signing certificate
    is checked first (`check_signing_certificate`): a revoked or unfit certificate signs nothing.
    """
    if trust is not None:
        check_signing_certificate(credential, trust)
    signer_info = _signer_info(credential, content, signing_time or datetime.now(UTC), timestamper)
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": digest_name(credential)}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [_asn1(c) for c in credential.path],
            "signer_infos": [signer_info],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


# ---- reading -----------------------------------------------------------------------------------------


def looks_like_cms(data: bytes) -> bool:
    """DER SEQUENCE at the start, or a PKCS7/CMS PEM block."""
    head = data.lstrip()[:32]
    return data[:1] == b"\x30" or any(head.startswith(label) for label in _PEM_LABELS)


def _load(data: bytes) -> cms.SignedData:
    der = data
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            _kind, _headers, der = pem.unarmor(data.strip())
        except ValueError:
            raise FormatProblem("Khối PEM không hợp lệ.", "The PEM block is malformed.") from None
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = info["content"]
        signed_data["signer_infos"]
    except (ValueError, TypeError, KeyError, OverflowError):
        raise _not_cms() from None
    return signed_data


def _digest_of(signed_data: cms.SignedData, detached: bytes | None) -> DigestOf:
    encapsulated = signed_data["encap_content_info"]["content"]
    content = encapsulated.native if encapsulated.native is not None else detached

    def digest(name: str) -> bytes:
        if content is None:
            raise MissingContent
        return hashlib.new(name, content).digest()

    return digest


def _level(evidence: Evidence, signer_info: cms.SignerInfo) -> str:
    names = (
        {a["type"].native for a in signer_info["signed_attrs"]}
        if present(signer_info["signed_attrs"])
        else set()
    )
    if not names & {"signing_certificate_v2", "signing_certificate"}:
        return "CMS"
    return "CAdES-BASELINE-T" if evidence.timestamp_token else "CAdES-BASELINE-B"


def _read_one(
    signed_data: cms.SignedData, signer_info: cms.SignerInfo, detached: bytes | None, index: int
) -> Evidence:
    evidence = read_signer_info(signed_data, signer_info, _digest_of(signed_data, detached), f"S-{index}")
    evidence.level = _level(evidence, signer_info)
    return evidence


def _not_cms() -> FormatProblem:
    return FormatProblem(
        "Tệp không phải là chữ ký CMS/PKCS#7 hợp lệ.", "The file is not a valid CMS/PKCS#7 signature."
    )


def read_cms(data: bytes, detached_content: bytes | None) -> list[Evidence]:
    """Evidence for each SignerInfo of a CMS signature; `FormatProblem` when it is not one."""
    signed_data = _load(data)
    try:
        found = [
            _read_one(signed_data, info, detached_content, i)
            for i, info in enumerate(signed_data["signer_infos"], 1)
        ]
    except (ValueError, TypeError, KeyError, OverflowError):
        raise _not_cms() from None
    if not found:
        raise FormatProblem("Tệp CMS không chứa chữ ký nào.", "The CMS file contains no signature.")
    return found
