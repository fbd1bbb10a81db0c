"""Certificate status (trạng thái chứng thư số): CRLs (danh sách thu hồi) and an OCSP responder core.

`build_crl` signs a CRL for one CA from the revoked serials the caller stores. `respond_ocsp` answers an
RFC 6960 request (DER in, DER out) for any of the CAs it serves; the status of a serial comes from a
lookup callable, the response is signed by the CA's delegated OCSP certificate (profile
`ocsp_signing`) and names it by key hash. Bad requests are answered with the OCSP error statuses
(`malformedRequest`, `unauthorized`, `internalError`), never with an exception.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from vnegov.signing.crypto._x509sign import public_key_bits, sign_crl, sign_ocsp
from vnegov.signing.crypto.errors import ProfileError
from vnegov.signing.crypto.keys import Signer
from vnegov.signing.crypto.pki import CertificateAuthority, RevocationReason

log = logging.getLogger(__name__)

CRL_VALIDITY = timedelta(days=1)
OCSP_VALIDITY = timedelta(hours=1)
MAX_CRL_NUMBER = 2**159  # RFC 5280 §5.2.3: at most 20 octets


@dataclass(frozen=True)
class Revocation:
    """One revoked certificate (chứng thư số bị thu hồi): serial, when, why."""

    serial_number: int
    revoked_at: datetime
    reason: RevocationReason = RevocationReason.UNSPECIFIED


def _crl_entry(entry: Revocation) -> x509.RevokedCertificate:
    builder = (
        x509.RevokedCertificateBuilder().serial_number(entry.serial_number).revocation_date(entry.revoked_at)
    )
    if entry.reason is not RevocationReason.UNSPECIFIED:  # RFC 5280 §5.3.1: omit rather than "unspecified"
        builder = builder.add_extension(x509.CRLReason(entry.reason.flag), critical=False)
    return builder.build()


def build_crl(
    ca: CertificateAuthority,
    revoked: Iterable[Revocation],
    *,
    crl_number: int,
    this_update: datetime | None = None,
    next_update: datetime | None = None,
) -> x509.CertificateRevocationList:
    """A CRL for `ca` (danh sách chứng thư số bị thu hồi), signed with the CA key.

    `crl_number` must grow with every CRL the CA publishes (the caller stores the last one);
    nextUpdate defaults to a day after thisUpdate.
    """
    if not 0 <= crl_number < MAX_CRL_NUMBER:
        raise ProfileError(f"CRL number {crl_number} is outside 0..2^159", field="crl_number")
    issued = this_update or datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(issued)
        .next_update(next_update or issued + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.signer.public_key()), critical=False
        )
    )
    for entry in revoked:
        builder = builder.add_revoked_certificate(_crl_entry(entry))
    return sign_crl(builder, ca.signer)


class CertState(StrEnum):
    GOOD = "good"  # còn hiệu lực
    REVOKED = "revoked"  # đã bị thu hồi
    UNKNOWN = "unknown"  # CA không cấp số hiệu này


@dataclass(frozen=True)
class SerialStatus:
    """What the lookup callable says about one serial number of the CA."""

    state: CertState
    revoked_at: datetime | None = None
    reason: RevocationReason | None = None

    @classmethod
    def good(cls) -> SerialStatus:
        return cls(CertState.GOOD)

    @classmethod
    def unknown(cls) -> SerialStatus:
        return cls(CertState.UNKNOWN)

    @classmethod
    def revoked(cls, at: datetime, reason: RevocationReason | None = None) -> SerialStatus:
        return cls(CertState.REVOKED, at, reason)


StatusLookup = Callable[[int], SerialStatus]

_REQUEST_HASHES: tuple[hashes.HashAlgorithm, ...] = (
    hashes.SHA1(),
    hashes.SHA256(),
    hashes.SHA384(),
    hashes.SHA512(),
)


@dataclass(frozen=True)
class OcspResponder:
    """The OCSP service of one CA: its certificate, the delegated responder certificate and key, a lookup."""

    issuer: x509.Certificate
    responder_certificate: x509.Certificate
    signer: Signer
    lookup: StatusLookup
    validity: timedelta = OCSP_VALIDITY
    _ids: dict[str, tuple[bytes, bytes]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.responder_certificate.issuer != self.issuer.subject:
            raise ProfileError("the OCSP responder certificate must be issued by the CA it answers for")
        eku = self.responder_certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if x509.ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
            raise ProfileError(
                "the responder certificate lacks id-kp-OCSPSigning", field="responder_certificate"
            )
        object.__setattr__(self, "_ids", {h.name: _issuer_id(self.issuer, h) for h in _REQUEST_HASHES})

    def serves(self, request: ocsp.OCSPRequest) -> bool:
        """Whether the request's CertID names this CA (by issuer name hash and key hash)."""
        wanted = self._ids.get(request.hash_algorithm.name)
        return wanted == (request.issuer_name_hash, request.issuer_key_hash)


def _issuer_id(issuer: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    name_hash = hashes.Hash(algorithm)
    name_hash.update(issuer.subject.public_bytes())
    key_hash = hashes.Hash(algorithm)
    key_hash.update(public_key_bits(issuer))
    return name_hash.finalize(), key_hash.finalize()


@functools.cache
def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def respond_ocsp(
    request_der: bytes, responders: Sequence[OcspResponder], *, now: datetime | None = None
) -> bytes:
    """Answer one DER OCSP request (phản hồi OCSP) with a DER OCSP response.

    Status good/revoked/unknown from the matching CA's lookup; nonce echoed when the request has one;
    thisUpdate now, nextUpdate now + the responder's validity. Unparseable request → malformedRequest,
    a CA we do not serve → unauthorized, a failing lookup → internalError.
    """
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        hash_name = request.hash_algorithm.name
        nonce = _request_nonce(request)
    except (ValueError, TypeError, NotImplementedError, UnsupportedAlgorithm):
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    responder = next((r for r in responders if r.serves(request)), None)
    if responder is None:
        log.info("ocsp request for an issuer we do not serve (hash %s)", hash_name)
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    try:
        status = responder.lookup(request.serial_number)
    except Exception:
        log.exception("ocsp status lookup failed for serial %x", request.serial_number)
        return _unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)
    response = _signed_response(request, responder, status, nonce, now or datetime.now(UTC))
    return response.public_bytes(serialization.Encoding.DER)


_OCSP_STATES = {
    CertState.GOOD: ocsp.OCSPCertStatus.GOOD,
    CertState.REVOKED: ocsp.OCSPCertStatus.REVOKED,
    CertState.UNKNOWN: ocsp.OCSPCertStatus.UNKNOWN,
}


def _signed_response(
    request: ocsp.OCSPRequest,
    responder: OcspResponder,
    status: SerialStatus,
    nonce: bytes | None,
    now: datetime,
) -> ocsp.OCSPResponse:
    revoked = status.state is CertState.REVOKED
    reason = status.reason.flag if revoked and status.reason else None
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=request.hash_algorithm,
        cert_status=_OCSP_STATES[status.state],
        this_update=now,
        next_update=now + responder.validity,
        revocation_time=(status.revoked_at or now) if revoked else None,
        revocation_reason=reason,
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return sign_ocsp(builder, responder.signer, responder.responder_certificate)


def _request_nonce(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None
