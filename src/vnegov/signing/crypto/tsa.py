"""RFC 3161 time-stamp authority core (dịch vụ cấp dấu thời gian, TSA), and a client side for our own use.

`respond_timestamp` turns a DER TimeStampReq into a DER TimeStampResp: a TSTInfo (policy, message
imprint, serial number from the caller, genTime, accuracy, nonce echo, optional TSA name) wrapped in
CMS SignedData with the signed attributes content-type, message-digest and signing-certificate-v2
(ESSCertIDv2, RFC 5816), signed with the TSA's `Signer`. Requests we cannot honour get PKIStatus
`rejection` with a failInfo (badAlg for SHA-1 or an unknown hash, badDataFormat, unacceptedPolicy,
unacceptedExtension) instead of an exception. cryptography has no RFC 3161 or CMS-with-attributes
builder, so asn1crypto parses requests and tokens and encodes a token's constant parts once per TSA;
the per-request fields are written with the small DER writer in `_der` (asn1crypto alone managed
~130 tokens/s, this ~10,000/s with ECDSA P-256). All hashing and signing is cryptography's.

`timestamp_request` builds a request for a digest; `verify_timestamp` checks a token's signature,
signed attributes, signer certificate purpose, message imprint and nonce (chain validation is the
verifier's job, with the CA certificates it trusts).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization

from vnegov.signing.crypto import _der as der
from vnegov.signing.crypto.errors import ProfileError, TimestampError
from vnegov.signing.crypto.keys import (
    PublicKey,
    SignatureAlgorithm,
    Signer,
    SigningHash,
    signature_algorithm_for,
    verify_signature,
)

ACCEPTED_HASHES: dict[str, SigningHash] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
"""Message-imprint hashes we stamp. SHA-1 is refused (collisions are practical since 2017)."""

DEFAULT_TSA_POLICY = "2.25.143238767107780418409599143049453415804"
"""vnegov's default TSA policy OID (a UUID OID, X.667): deployments should set their own registered one."""

DEFAULT_ACCURACY = timedelta(seconds=1)


@dataclass(frozen=True)
class _TokenParts:
    """The DER pieces of a token that are the same for every request (encoded once, with asn1crypto)."""

    policy: bytes
    accuracy: bytes
    tsa_name: bytes
    certificates: bytes
    sid: bytes
    digest_algorithm: bytes
    signature_algorithm: bytes
    content_type_attribute: bytes
    signing_certificate_attribute: bytes
    digest_hash: hashes.HashAlgorithm


@dataclass(frozen=True)
class TimeStampAuthority:
    """A TSA: its certificate (profile `time_stamping`), key, serial source and policy.

    `serial_numbers` is called once per granted token and must never return a value twice (the
    service backs it with a database sequence). `chain` is sent along with the TSA certificate when
    a request asks for certificates.
    """

    certificate: x509.Certificate
    signer: Signer
    serial_numbers: Callable[[], int]
    policy: str = DEFAULT_TSA_POLICY
    accuracy: timedelta = DEFAULT_ACCURACY
    include_tsa_name: bool = False
    chain: tuple[x509.Certificate, ...] = ()
    _parts: _TokenParts = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _require_tsa_certificate(self.certificate)
        mine = self.certificate.public_key().public_bytes(*_SPKI)
        if mine != self.signer.public_key().public_bytes(*_SPKI):
            raise ProfileError("the TSA signer does not hold the key of the TSA certificate", field="signer")
        object.__setattr__(self, "_parts", _token_parts(self))


_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
_ID_CT_TST_INFO = "1.2.840.113549.1.9.16.1.4"
_ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
_ID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"


def _require_tsa_certificate(cert: x509.Certificate) -> None:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        eku = None
    if eku is None or not eku.critical or list(eku.value) != [x509.ExtendedKeyUsageOID.TIME_STAMPING]:
        raise ProfileError(
            "a TSA certificate needs exactly one, critical EKU: id-kp-timeStamping", field="certificate"
        )


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _accuracy(delta: timedelta) -> bytes:
    micros_total = round(delta.total_seconds() * 1_000_000)
    seconds, rest = divmod(micros_total, 1_000_000)
    millis, micros = divmod(rest, 1000)
    parts = {k: v for k, v in {"seconds": seconds, "millis": millis, "micros": micros}.items() if v}
    return bytes(tsp.Accuracy(parts).dump()) if parts else b""  # no accuracy field rather than an empty one


def _cms_hash(algorithm: SignatureAlgorithm) -> hashes.HashAlgorithm:
    # Ed25519 signs the attributes directly; RFC 8419 §3 then uses SHA-512 for the message digest.
    return algorithm.hash or hashes.SHA512()


def _signing_certificate_attribute(cert: asn1_x509.Certificate) -> bytes:
    ess = {
        "cert_hash": _digest(hashes.SHA256(), cert.dump()),
        "issuer_serial": {
            "issuer": [asn1_x509.GeneralName({"directory_name": cert.issuer})],
            "serial_number": cert.serial_number,
        },
    }
    return bytes(cms.CMSAttribute({"type": "signing_certificate_v2", "values": [{"certs": [ess]}]}).dump())


def _token_parts(tsa: TimeStampAuthority) -> _TokenParts:
    cert = _asn1_cert(tsa.certificate)
    digest_hash = _cms_hash(tsa.signer.algorithm)
    name = asn1_x509.GeneralName({"directory_name": cert.subject}).dump()
    sid = cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number})
    return _TokenParts(
        policy=der.oid(tsa.policy),
        accuracy=_accuracy(tsa.accuracy),
        tsa_name=der.explicit(0, name) if tsa.include_tsa_name else b"",
        certificates=b"".join(
            sorted(c.public_bytes(serialization.Encoding.DER) for c in (tsa.certificate, *tsa.chain))
        ),
        sid=bytes(sid.dump()),
        digest_algorithm=der.sequence(der.oid(_HASH_OIDS[digest_hash.name])),
        signature_algorithm=der.sequence(der.oid(tsa.signer.algorithm.oid)),
        content_type_attribute=der.sequence(
            der.oid("1.2.840.113549.1.9.3"), der.set_of(der.oid(_ID_CT_TST_INFO))
        ),
        signing_certificate_attribute=_signing_certificate_attribute(cert),
        digest_hash=digest_hash,
    )


_HASH_OIDS = {
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}


class TimeStampResp(core.Sequence):
    """RFC 3161 TimeStampResp with the token OPTIONAL, as the RFC says (asn1crypto's marks it required)."""

    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class _Rejection(Exception):
    def __init__(self, fail_info: str, text: str) -> None:
        super().__init__(text)
        self.fail_info = fail_info
        self.text = text


def _rejection(fail_info: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {"status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({fail_info})}
    )
    return bytes(TimeStampResp({"status": status}).dump())


def _parse_request(request_der: bytes) -> tsp.TimeStampReq:
    try:
        request = tsp.TimeStampReq.load(request_der, strict=True)
        request.native  # noqa: B018 - forces a full parse, raises on malformed content
    except (ValueError, TypeError, KeyError) as exc:
        raise _Rejection("bad_data_format", f"malformed TimeStampReq: {exc}") from None
    return request


def _check_request(request: tsp.TimeStampReq, tsa: TimeStampAuthority) -> None:
    if request["version"].native != "v1":
        raise _Rejection("bad_data_format", "only TimeStampReq version 1 is supported")
    imprint = request["message_imprint"]
    algorithm = ACCEPTED_HASHES.get(imprint["hash_algorithm"]["algorithm"].native)
    if algorithm is None:
        oid = imprint["hash_algorithm"]["algorithm"].dotted
        raise _Rejection("bad_alg", f"hash algorithm {oid} is not accepted (use SHA-256, SHA-384 or SHA-512)")
    if len(imprint["hashed_message"].native) != algorithm.digest_size:
        raise _Rejection("bad_data_format", "the hashed message does not match the hash algorithm's length")
    policy = request["req_policy"]
    if policy.native is not None and policy.dotted != tsa.policy:
        raise _Rejection("unaccepted_policy", f"this TSA stamps under policy {tsa.policy} only")
    if request["extensions"].native:
        raise _Rejection("unaccepted_extension", "this TSA supports no request extensions")


def respond_timestamp(request_der: bytes, tsa: TimeStampAuthority, *, now: datetime | None = None) -> bytes:
    """Answer a DER TimeStampReq with a DER TimeStampResp (cấp dấu thời gian); rejections never raise."""
    try:
        request = _parse_request(request_der)
        _check_request(request, tsa)
    except _Rejection as rejection:
        return _rejection(rejection.fail_info, rejection.text)
    token = _token(request, tsa, now or datetime.now(UTC))
    return der.sequence(der.sequence(der.integer(0)), token)  # status granted, then the token


def _tst_info(request: tsp.TimeStampReq, tsa: TimeStampAuthority, now: datetime) -> bytes:
    parts = tsa._parts
    nonce = request["nonce"]
    return der.sequence(
        der.integer(1),
        parts.policy,
        bytes(request["message_imprint"].dump()),  # copied as the client sent it
        der.integer(tsa.serial_numbers()),
        der.generalized_time(now),
        parts.accuracy,
        bytes(nonce.dump()) if nonce.native is not None else b"",
        parts.tsa_name,
    )


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def _signer_info(tst: bytes, tsa: TimeStampAuthority) -> bytes:
    parts = tsa._parts
    message_digest = der.sequence(
        der.oid(_ID_MESSAGE_DIGEST), der.set_of(der.octet_string(_digest(parts.digest_hash, tst)))
    )
    attributes = b"".join(
        sorted((parts.content_type_attribute, message_digest, parts.signing_certificate_attribute))
    )
    signature = tsa.signer.sign(der.tlv(der.SET, attributes))  # signed as a SET OF, sent as [0] IMPLICIT
    return der.sequence(
        der.integer(1),
        parts.sid,
        parts.digest_algorithm,
        der.tlv(0xA0, attributes),
        parts.signature_algorithm,
        der.octet_string(signature),
    )


def _token(request: tsp.TimeStampReq, tsa: TimeStampAuthority, now: datetime) -> bytes:
    """The time-stamp token: ContentInfo { SignedData { TSTInfo, [TSA certificate], SignerInfo } }."""
    tst = _tst_info(request, tsa, now)
    parts = tsa._parts
    certificates = der.tlv(0xA0, parts.certificates) if request["cert_req"].native else b""
    signed_data = der.sequence(
        der.integer(3),
        der.set_of(parts.digest_algorithm),
        der.sequence(der.oid(_ID_CT_TST_INFO), der.explicit(0, der.octet_string(tst))),
        certificates,
        der.set_of(_signer_info(tst, tsa)),
    )
    return der.sequence(der.oid(_ID_SIGNED_DATA), der.explicit(0, signed_data))


def timestamp_request(
    digest: bytes, hash_algorithm: str = "sha256", *, nonce: int | None = None, cert_req: bool = True
) -> bytes:
    """A DER TimeStampReq for a digest (yêu cầu cấp dấu thời gian), with a random 64-bit nonce by default."""
    if hash_algorithm not in ACCEPTED_HASHES:
        raise ProfileError(f"hash algorithm {hash_algorithm!r} is not accepted", field="hash_algorithm")
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": hash_algorithm}, "hashed_message": digest},
            "nonce": nonce if nonce is not None else secrets.randbits(63) | 1,
            "cert_req": cert_req,
        }
    )
    return request.dump()


@dataclass(frozen=True)
class TimeStampToken:
    """What a verified token says (nội dung dấu thời gian)."""

    gen_time: datetime
    serial_number: int
    policy: str
    hash_algorithm: str
    hashed_message: bytes
    nonce: int | None
    accuracy: timedelta | None
    tsa_certificate: x509.Certificate
    token: bytes
    """The ContentInfo DER, to embed in a signature (e.g. CAdES/PAdES signature-time-stamp)."""


def _token_from(data: bytes) -> cms.ContentInfo:
    try:
        response = TimeStampResp.load(data, strict=True)
        status = response["status"]["status"].native
    except (ValueError, TypeError, KeyError):
        try:
            return cms.ContentInfo.load(data, strict=True)
        except (ValueError, TypeError) as exc:
            raise TimestampError(f"neither a TimeStampResp nor a time-stamp token: {exc}") from None
    if status not in ("granted", "granted_with_mods"):
        fail = response["status"]["fail_info"].native
        raise TimestampError(f"the TSA did not grant the time-stamp: {status} {sorted(fail or [])}")
    return response["time_stamp_token"]


def _signer_certificate(signed_data: cms.SignedData, sid: cms.SignerIdentifier) -> asn1_x509.Certificate:
    if sid.name != "issuer_and_serial_number":
        raise TimestampError("the token names its signer by key identifier, which we do not support")
    wanted = sid.chosen
    for choice in signed_data["certificates"]:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if cert.issuer == wanted["issuer"] and cert.serial_number == wanted["serial_number"].native:
            return cert
    raise TimestampError("the token does not contain the TSA certificate (request it with certReq)")


def _attribute(attrs: cms.CMSAttributes, name: str) -> object:
    values = [a["values"] for a in attrs if a["type"].native == name]
    if len(values) != 1 or len(values[0]) != 1:
        raise TimestampError(f"the token needs exactly one signed attribute {name}")
    return values[0][0]


def _check_attributes(signer_info: cms.SignerInfo, tst_der: bytes, cert: asn1_x509.Certificate) -> None:
    attrs = signer_info["signed_attrs"]
    if not attrs.native:
        raise TimestampError("the token has no signed attributes")
    content_type = _attribute(attrs, "content_type")
    if not isinstance(content_type, cms.ContentType) or content_type.native != "tst_info":
        raise TimestampError("the signed content-type is not id-ct-TSTInfo")
    digest_alg = ACCEPTED_HASHES.get(signer_info["digest_algorithm"]["algorithm"].native)
    if digest_alg is None:
        raise TimestampError("the token's digest algorithm is not accepted")
    digest = _attribute(attrs, "message_digest")
    if not isinstance(digest, core.OctetString) or digest.native != _digest(digest_alg, tst_der):
        raise TimestampError("the message-digest attribute does not match the TSTInfo (token altered)")
    _check_signing_certificate(attrs, cert)


def _check_signing_certificate(attrs: cms.CMSAttributes, cert: asn1_x509.Certificate) -> None:
    names = {a["type"].native for a in attrs}
    if "signing_certificate_v2" in names:
        ess = _attribute(attrs, "signing_certificate_v2")
        assert isinstance(ess, tsp.SigningCertificateV2)
        first = ess["certs"][0]
        algorithm = ACCEPTED_HASHES.get(first["hash_algorithm"]["algorithm"].native)
        if algorithm is None or first["cert_hash"].native != _digest(algorithm, cert.dump()):
            raise TimestampError("the ESSCertIDv2 does not match the TSA certificate")
    elif "signing_certificate" in names:
        ess_v1 = _attribute(attrs, "signing_certificate")
        assert isinstance(ess_v1, tsp.SigningCertificate)
        if ess_v1["certs"][0]["cert_hash"].native != cert.sha1:
            raise TimestampError("the ESSCertID does not match the TSA certificate")
    else:
        raise TimestampError("the token has no signing-certificate attribute (RFC 5816)")


_SIGNATURE_KEY_TYPES = {
    "rsassa_pkcs1v15": "rsa",
    "sha256_rsa": "rsa",
    "sha384_rsa": "rsa",
    "sha512_rsa": "rsa",
    "ecdsa": "ecdsa",
    "sha256_ecdsa": "ecdsa",
    "sha384_ecdsa": "ecdsa",
    "sha512_ecdsa": "ecdsa",
    "ed25519": "ed25519",
}


def _check_signature(signer_info: cms.SignerInfo, certificate: x509.Certificate) -> None:
    public_key = certificate.public_key()
    assert isinstance(public_key, PublicKey)
    key_algorithm = signature_algorithm_for(public_key)
    declared = signer_info["signature_algorithm"]["algorithm"].native
    if _SIGNATURE_KEY_TYPES.get(declared) != key_algorithm.key_type:
        raise TimestampError(f"signature algorithm {declared} does not fit the TSA key")
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    algorithm = SignatureAlgorithm(
        key_algorithm.key_type,
        None if key_algorithm.key_type == "ed25519" else ACCEPTED_HASHES[digest_name],
        signer_info["signature_algorithm"]["algorithm"].dotted,
    )
    signed_bytes = signer_info["signed_attrs"].untag().dump()
    try:
        verify_signature(public_key, algorithm, signer_info["signature"].native, signed_bytes)
    except InvalidSignature:
        raise TimestampError("the time-stamp token's signature does not verify") from None


def _check_imprint(tst: tsp.TSTInfo, data: bytes | None, digest: bytes | None) -> None:
    imprint = tst["message_imprint"]
    algorithm = ACCEPTED_HASHES.get(imprint["hash_algorithm"]["algorithm"].native)
    if algorithm is None:
        raise TimestampError("the token's message imprint uses a hash we do not accept")
    expected = _digest(algorithm, data) if data is not None else digest
    if expected is not None and expected != imprint["hashed_message"].native:
        raise TimestampError("the time-stamp is for other data (message imprint mismatch)")


def verify_timestamp(
    response_or_token: bytes,
    *,
    data: bytes | None = None,
    digest: bytes | None = None,
    nonce: int | None = None,
    tsa_certificate: x509.Certificate | None = None,
) -> TimeStampToken:
    """Check a TimeStampResp or token (kiểm tra dấu thời gian); `TimestampError` says what is wrong.

    Checks the CMS signature, content-type, message-digest and signing-certificate attributes, the
    signer's id-kp-timeStamping EKU, and, when given, the data (or its digest) and the nonce.
    The TSA certificate comes from the token or from `tsa_certificate`; its chain is not validated here.
    """
    token = _token_from(response_or_token)
    # Serialise before the checks touch it: asn1crypto then re-encodes the whole token (certificates
    # included) on every later dump(), ~45 ms, where the untouched original costs microseconds.
    token_der = bytes(token.dump())
    if token["content_type"].native != "signed_data":
        raise TimestampError("the token is not CMS SignedData")
    signed_data = token["content"]
    encap = signed_data["encap_content_info"]
    if encap["content_type"].native != "tst_info" or len(signed_data["signer_infos"]) != 1:
        raise TimestampError("the token does not carry exactly one signed TSTInfo")
    tst = encap["content"].parsed
    signer_info = signed_data["signer_infos"][0]
    if tsa_certificate is not None:
        cert_asn1 = _asn1_cert(tsa_certificate)
    else:
        cert_asn1 = _signer_certificate(signed_data, signer_info["sid"])
    certificate = x509.load_der_x509_certificate(cert_asn1.dump())
    try:
        _require_tsa_certificate(certificate)
    except ProfileError as exc:
        raise TimestampError(exc.message) from None
    _check_attributes(signer_info, encap["content"].contents, cert_asn1)
    _check_signature(signer_info, certificate)
    _check_imprint(tst, data, digest)
    if nonce is not None and tst["nonce"].native != nonce:
        raise TimestampError("the token's nonce is not the one we sent")
    return _summary(tst, certificate, token_der)


def _summary(tst: tsp.TSTInfo, certificate: x509.Certificate, token_der: bytes) -> TimeStampToken:
    accuracy = tst["accuracy"].native
    delta = None
    if accuracy:
        seconds = accuracy.get("seconds") or 0
        millis = accuracy.get("millis") or 0
        micros = accuracy.get("micros") or 0
        delta = timedelta(seconds=seconds, milliseconds=millis, microseconds=micros)
    imprint = tst["message_imprint"]
    return TimeStampToken(
        gen_time=tst["gen_time"].native,
        serial_number=tst["serial_number"].native,
        policy=tst["policy"].dotted,
        hash_algorithm=imprint["hash_algorithm"]["algorithm"].native,
        hashed_message=imprint["hashed_message"].native,
        nonce=tst["nonce"].native,
        accuracy=delta,
        tsa_certificate=certificate,
        token=token_der,
    )
