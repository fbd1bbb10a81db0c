"""What a verifier trusts and where it learns certificate status (tin cậy và trạng thái chứng thư số).

`TrustStore` is injected into verification (xác thực chữ ký số) and into B-LT signing: the trust anchors
(chứng thư số gốc được tin cậy), intermediate CA certificates, and a `RevocationSource` that answers with
DER CRLs and OCSP responses. The signing service answers from its own database in-process; tests answer
with `build_crl`/`respond_ocsp` from the crypto core. Nothing here fetches from the network.

`TimeStamper` is how signing obtains a time-stamp (dấu thời gian): a DER TimeStampResp for a digest,
from the platform's TSA in-process or over HTTP.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization


@runtime_checkable
class RevocationSource(Protocol):
    """Revocation data for one certificate (thông tin thu hồi chứng thư số), DER encoded.

    `crls_for` returns the CRLs that cover `cert` (usually its issuer's current CRL); `ocsp_for` returns
    an OCSP response about `cert` from its `issuer`'s responder, or None. Both may return nothing.
    """

    def crls_for(self, cert: x509.Certificate) -> list[bytes]: ...

    def ocsp_for(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes | None: ...


class NoRevocationData:
    """A `RevocationSource` that knows nothing: status then comes only from data embedded in documents."""

    def crls_for(self, cert: x509.Certificate) -> list[bytes]:
        return []

    def ocsp_for(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes | None:
        return None


@runtime_checkable
class TimeStamper(Protocol):
    """Obtains an RFC 3161 time-stamp (cấp dấu thời gian) for a digest.

    `hash_name` is the digest's name as asn1crypto spells it ("sha256", "sha384", "sha512"); the result
    is the DER TimeStampResp (with the token, or a rejection status). The implementation checks its own
    nonce; the caller checks the token against the digest.
    """

    def stamp(self, digest: bytes, hash_name: str) -> bytes: ...


def _fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


@dataclass(frozen=True)
class TrustStore:
    """Trust anchors, intermediates and the revocation source a verifier uses (kho tin cậy)."""

    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    revocation: RevocationSource = field(default_factory=NoRevocationData)
    _anchor_prints: frozenset[bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors", tuple(self.anchors))
        object.__setattr__(self, "intermediates", tuple(self.intermediates))
        object.__setattr__(self, "_anchor_prints", frozenset(_fingerprint(c) for c in self.anchors))

    @classmethod
    def from_pem(
        cls, anchors: bytes, intermediates: bytes = b"", revocation: RevocationSource | None = None
    ) -> TrustStore:
        """A trust store from concatenated PEM certificates (e.g. the platform's root.pem and ca.pem)."""
        roots = tuple(x509.load_pem_x509_certificates(anchors))
        middle = tuple(x509.load_pem_x509_certificates(intermediates)) if intermediates.strip() else ()
        return cls(roots, middle, revocation or NoRevocationData())

    def is_anchor(self, cert: x509.Certificate) -> bool:
        """Whether this exact certificate is a trust anchor."""
        return _fingerprint(cert) in self._anchor_prints


@dataclass(frozen=True)
class RevocationData:
    """Revocation data as DER blobs: embedded in a document (B-LT) or collected for embedding."""

    crls: tuple[bytes, ...] = ()
    ocsps: tuple[bytes, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.crls or self.ocsps)

    def plus(self, other: RevocationData) -> RevocationData:
        """Both sets of data, without duplicates, in order."""
        return RevocationData(_unique((*self.crls, *other.crls)), _unique((*self.ocsps, *other.ocsps)))


def _unique(items: Iterable[bytes]) -> tuple[bytes, ...]:
    return tuple(dict.fromkeys(items))


def collect_revocation_data(path: Sequence[x509.Certificate], source: RevocationSource) -> RevocationData:
    """Ask `source` about every certificate of `path` (leaf first, each followed by its issuer)."""
    crls: list[bytes] = []
    ocsps: list[bytes] = []
    for cert, issuer in itertools.pairwise(path):
        crls.extend(source.crls_for(cert))
        response = source.ocsp_for(cert, issuer)
        if response is not None:
            ocsps.append(response)
    return RevocationData(_unique(crls), _unique(ocsps))


def certificate_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)
