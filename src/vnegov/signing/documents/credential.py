"""Who signs (người ký số): a `Signer` with its certificate and chain, checked before any signature.

`SigningCredential` bundles the crypto core's `Signer` (file key now, HSM later: only `sign()` is used),
the signer's certificate and the CA certificates to embed. `check_signing_certificate` refuses a
certificate that is revoked, expired, untrusted or not issued for document signing, so the platform
never produces a signature from a revoked certificate. `stamp` obtains a signature time-stamp.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vnegov.signing.crypto import Signer, TimestampError, verify_timestamp
from vnegov.signing.documents._evaluate import Moment, assess_certificate, decide
from vnegov.signing.documents.errors import RevocationDataError, SignerCertificateError, TimeStampingError
from vnegov.signing.documents.report import SubIndication
from vnegov.signing.documents.trust import TimeStamper, TrustStore

_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class SigningCredential:
    """A signer (bộ ký), its certificate (chứng thư số) and the CA chain to embed (leaf excluded)."""

    signer: Signer
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "chain", tuple(self.chain))
        if self.certificate.public_key().public_bytes(*_SPKI) != self.signer.public_key().public_bytes(
            *_SPKI
        ):
            raise SignerCertificateError("the signer does not hold the key of the signing certificate")

    @property
    def path(self) -> tuple[x509.Certificate, ...]:
        """The certificate followed by its chain."""
        return (self.certificate, *self.chain)


def check_signing_certificate(
    credential: SigningCredential, trust: TrustStore, *, now: datetime | None = None
) -> None:
    """Refuse to sign (từ chối ký) with a certificate that would not give a valid signature now.

    Chain to a trust anchor, validity, revocation status (from `trust.revocation`) and key usage for
    document signing; `SignerCertificateError` names the first problem, `RevocationDataError` says
    the status cannot be learnt now (no CRL/OCSP answer).
    """
    moment_now = now or datetime.now(UTC)
    moment = Moment(moment_now, True, moment_now, moment_now)
    result = assess_certificate(credential.certificate, trust, moment, extra=credential.chain)
    problem = decide(result.findings)
    if problem is None:
        return
    message = f"{problem.sub.value}: {problem.text.en}"
    if problem.sub is SubIndication.TRY_LATER:
        raise RevocationDataError(message)
    raise SignerCertificateError(message)


def stamp(timestamper: TimeStamper, data: bytes, hash_name: str) -> bytes:
    """A signature time-stamp token (ContentInfo DER) over `data`, checked before it is embedded."""
    digest = hashlib.new(hash_name, data).digest()
    response = timestamper.stamp(digest, hash_name)
    try:
        return verify_timestamp(response, digest=digest).token
    except TimestampError as exc:
        raise TimeStampingError(f"the time-stamp authority gave no usable token: {exc.message}") from None
