"""Fixtures for document signing: a document-signing certificate, a revocation source, a TSA, a PDF.

Everything stays in-process: the revocation source answers with `build_crl`/`respond_ocsp` from the
crypto core, the time-stamper with `respond_timestamp`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from vnegov.signing.crypto import (
    DOCUMENT_SIGNING,
    TLS_SERVER,
    CertificateAuthority,
    IdentifierKind,
    OcspResponder,
    Revocation,
    RevocationReason,
    SerialStatus,
    TimeStampAuthority,
    VnIdentifier,
    build_crl,
    issue_with_new_key,
    respond_ocsp,
    respond_timestamp,
    subject_name,
    timestamp_request,
)
from vnegov.signing.documents import SigningCredential, TrustStore
from vnegov.signing.documents.sample import sample_pdf

from ..conftest import Pki


def minimal_pdf(text: str = "Quyet dinh so 1/QD-UBND") -> bytes:
    """A one-page PDF with one line of text."""
    return sample_pdf(text)


@dataclass
class Revocations:
    """A `RevocationSource` backed by the test PKI: CRLs from each CA, OCSP from the government CA."""

    pki: Pki
    revoked: dict[int, Revocation] = field(default_factory=dict)
    use_crl: bool = True
    use_ocsp: bool = True
    calls: int = 0
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def revoke(self, cert: x509.Certificate, at: datetime, reason: RevocationReason) -> None:
        self.revoked[cert.serial_number] = Revocation(cert.serial_number, at, reason)

    def _ca(self, cert: x509.Certificate) -> CertificateAuthority | None:
        return next(
            (ca for ca in (self.pki.root, self.pki.gov) if ca.certificate.subject == cert.issuer), None
        )

    def crls_for(self, cert: x509.Certificate) -> list[bytes]:
        self.calls += 1
        ca = self._ca(cert)
        if not self.use_crl or ca is None:
            return []
        entries = [r for r in self.revoked.values() if r.serial_number != ca.certificate.serial_number]
        crl = build_crl(ca, entries, crl_number=next(self._numbers))
        return [crl.public_bytes(serialization.Encoding.DER)]

    def _lookup(self, serial: int) -> SerialStatus:
        entry = self.revoked.get(serial)
        return SerialStatus.revoked(entry.revoked_at, entry.reason) if entry else SerialStatus.good()

    def ocsp_for(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes | None:
        self.calls += 1
        if not self.use_ocsp or issuer != self.pki.gov.certificate:
            return None
        request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
        responder = OcspResponder(issuer, self.pki.ocsp_cert, self.pki.ocsp_signer, self._lookup)
        return respond_ocsp(request.public_bytes(serialization.Encoding.DER), [responder])


@dataclass
class Stamper:
    """A `TimeStamper` backed by an in-process TSA; `now` can be moved for tests."""

    tsa: TimeStampAuthority
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    count: int = 0

    def stamp(self, digest: bytes, hash_name: str) -> bytes:
        self.count += 1
        return respond_timestamp(timestamp_request(digest, hash_name), self.tsa, now=self.now())


def document_credential(pki: Pki, name: str = "Nguyễn Văn An", **options: object) -> SigningCredential:
    signer, cert = issue_with_new_key(
        pki.gov,
        subject_name(name, organization="UBND phường Ba Đình", province="Hà Nội"),
        DOCUMENT_SIGNING,
        identifiers=[VnIdentifier(IdentifierKind.PERSON, "001090012345")],
        **options,  # type: ignore[arg-type]
    )
    return SigningCredential(signer, cert, (pki.gov.certificate,))


@pytest.fixture(scope="session")
def credential(pki: Pki) -> SigningCredential:
    """A document-signing certificate (profile document_signing) from the government CA."""
    return document_credential(pki)


@pytest.fixture
def fresh_credential(pki: Pki) -> SigningCredential:
    """A certificate of its own, for tests that revoke it."""
    return document_credential(pki, "Trần Thị Bình")


@pytest.fixture(scope="session")
def tls_credential(pki: Pki) -> SigningCredential:
    signer, cert = issue_with_new_key(
        pki.gov,
        subject_name("cong.vnegov.test"),
        TLS_SERVER,
        subject_alt_names=[x509.DNSName("cong.vnegov.test")],
    )
    return SigningCredential(signer, cert, (pki.gov.certificate,))


@pytest.fixture
def revocations(pki: Pki) -> Revocations:
    return Revocations(pki)


@pytest.fixture
def trust(pki: Pki, revocations: Revocations) -> TrustStore:
    return TrustStore((pki.root.certificate,), (pki.gov.certificate,), revocations)


@pytest.fixture
def stamper(pki: Pki) -> Stamper:
    serials = itertools.count(1)
    tsa = TimeStampAuthority(
        pki.tsa_cert, pki.tsa_signer, lambda: next(serials), chain=(pki.gov.certificate,)
    )
    return Stamper(tsa)


@pytest.fixture(scope="session")
def pdf() -> bytes:
    return minimal_pdf()


def later(minutes: int) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)
