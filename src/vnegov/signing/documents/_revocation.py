"""Revocation status at a point in time (trạng thái thu hồi tại một thời điểm), from CRLs and OCSP.

A CRL or OCSP answer is usable for validation time T when it is signed by the certificate's issuer (or,
for OCSP, by a responder certificate the issuer gave id-kp-OCSPSigning), was not issued in the future,
and is current at T or later (nextUpdate ≥ T): the RFC 5280 §6.3 rule, applied at T instead of now.
A certificate revoked at R is revoked at T when R ≤ T; revoked later than T it was still good at T.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from vnegov.signing.documents._paths import issued_by, verify_with_key
from vnegov.signing.documents.trust import RevocationData

CLOCK_SKEW = timedelta(minutes=5)
"""Revocation data dated this far in the future is still accepted (clocks of CA and verifier differ)."""


class RevState(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # no usable data


@dataclass(frozen=True)
class RevocationFinding:
    state: RevState
    kind: str | None = None  # "crl" | "ocsp"
    revoked_at: datetime | None = None
    reason: str | None = None


NO_DATA = RevocationFinding(RevState.UNKNOWN)


@dataclass(frozen=True)
class ParsedRevocation:
    """CRLs and successful OCSP responses, parsed once; unparseable blobs are dropped."""

    crls: tuple[x509.CertificateRevocationList, ...]
    ocsps: tuple[ocsp.OCSPResponse, ...]

    @classmethod
    def parse(cls, data: RevocationData) -> ParsedRevocation:
        crls = [c for c in map(_load_crl, data.crls) if c is not None]
        responses = [r for r in map(_load_ocsp, data.ocsps) if r is not None]
        return cls(tuple(crls), tuple(responses))


def _load_crl(der: bytes) -> x509.CertificateRevocationList | None:
    try:
        return x509.load_der_x509_crl(der)
    except ValueError:
        return None


def _load_ocsp(der: bytes) -> ocsp.OCSPResponse | None:
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError:
        return None
    return response if response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL else None


def _current(this_update: datetime, next_update: datetime | None, at: datetime, now: datetime) -> bool:
    if this_update > now + CLOCK_SKEW:
        return False
    return next_update >= at if next_update is not None else this_update >= at


def _key_bits(cert: x509.Certificate) -> bytes:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return bytes(asn1_keys.PublicKeyInfo.load(spki)["public_key"].contents[1:])


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


# ---- CRL ---------------------------------------------------------------------------------------------


def _crl_usable(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    if crl.issuer != issuer.subject:
        return False
    try:
        if crl.extensions.get_extension_for_class(x509.DeltaCRLIndicator):
            return False  # delta CRLs are not combined with their base here
    except x509.ExtensionNotFound:
        pass
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False


def _crl_entry_reason(entry: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None


def _from_crl(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> RevocationFinding:
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is None:
        return RevocationFinding(RevState.GOOD, "crl")
    reason = _crl_entry_reason(entry)
    if reason is x509.ReasonFlags.remove_from_crl:
        return RevocationFinding(RevState.GOOD, "crl")
    return RevocationFinding(
        RevState.REVOKED, "crl", entry.revocation_date_utc, reason.value if reason else None
    )


def _crl_findings(
    crls: Sequence[x509.CertificateRevocationList],
    cert: x509.Certificate,
    issuer: x509.Certificate,
    at: datetime,
    now: datetime,
) -> Iterator[RevocationFinding]:
    for crl in crls:
        if _crl_usable(crl, issuer) and _current(crl.last_update_utc, crl.next_update_utc, at, now):
            yield _from_crl(crl, cert)


# ---- OCSP --------------------------------------------------------------------------------------------


def _names_responder(response: ocsp.OCSPResponse, candidate: x509.Certificate) -> bool:
    if response.responder_key_hash is not None:
        return hashlib.sha1(_key_bits(candidate)).digest() == response.responder_key_hash
    return response.responder_name == candidate.subject


def _may_answer(candidate: x509.Certificate, issuer: x509.Certificate, produced_at: datetime) -> bool:
    """The issuer itself, or a delegated responder it issued with id-kp-OCSPSigning (RFC 6960 §4.2.2.2)."""
    if candidate == issuer:
        return True
    try:
        eku = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    valid_then = candidate.not_valid_before_utc <= produced_at <= candidate.not_valid_after_utc
    return x509.ExtendedKeyUsageOID.OCSP_SIGNING in eku and valid_then and issued_by(candidate, issuer)


def _ocsp_signed_for(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
    for candidate in (issuer, *response.certificates):
        if not _names_responder(response, candidate):
            continue
        if not _may_answer(candidate, issuer, response.produced_at_utc):
            continue
        try:
            digest = response.signature_hash_algorithm
        except UnsupportedAlgorithm:
            return False
        return verify_with_key(
            candidate.public_key(), response.signature, response.tbs_response_bytes, digest
        )
    return False


def _about(single: ocsp.OCSPSingleResponse, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if single.serial_number != cert.serial_number:
        return False
    algorithm = single.hash_algorithm
    return single.issuer_name_hash == _digest(
        algorithm, issuer.subject.public_bytes()
    ) and single.issuer_key_hash == _digest(algorithm, _key_bits(issuer))


def _from_single(single: ocsp.OCSPSingleResponse) -> RevocationFinding:
    if single.certificate_status is ocsp.OCSPCertStatus.GOOD:
        return RevocationFinding(RevState.GOOD, "ocsp")
    if single.certificate_status is ocsp.OCSPCertStatus.REVOKED:
        reason = single.revocation_reason
        return RevocationFinding(
            RevState.REVOKED, "ocsp", single.revocation_time_utc, reason.value if reason else None
        )
    return RevocationFinding(RevState.UNKNOWN, "ocsp")


def _ocsp_findings(
    responses: Sequence[ocsp.OCSPResponse],
    cert: x509.Certificate,
    issuer: x509.Certificate,
    at: datetime,
    now: datetime,
) -> Iterator[RevocationFinding]:
    for response in responses:
        singles = [s for s in response.responses if _about(s, cert, issuer)]
        if not singles or not _ocsp_signed_for(response, issuer):
            continue
        for single in singles:
            if _current(single.this_update_utc, single.next_update_utc, at, now):
                yield _from_single(single)


# ---- decision ----------------------------------------------------------------------------------------


def status_at(
    data: ParsedRevocation, cert: x509.Certificate, issuer: x509.Certificate, at: datetime, now: datetime
) -> RevocationFinding:
    """The certificate's status at `at` according to `data`: revoked wins over good, good over nothing.

    A revocation later than `at` counts as good at `at`; the finding then still carries `revoked_at`.
    """
    findings = [
        *_ocsp_findings(data.ocsps, cert, issuer, at, now),
        *_crl_findings(data.crls, cert, issuer, at, now),
    ]
    revoked = [
        (f.revoked_at, f) for f in findings if f.state is RevState.REVOKED and f.revoked_at is not None
    ]
    before = sorted(((t, f) for t, f in revoked if t <= at), key=lambda pair: pair[0])
    if before:
        return before[0][1]
    if revoked:
        later = revoked[0][1]
        return RevocationFinding(RevState.GOOD, later.kind, later.revoked_at, later.reason)
    good = [f for f in findings if f.state is RevState.GOOD]
    return good[0] if good else NO_DATA
