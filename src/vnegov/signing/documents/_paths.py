"""Certificate paths (đường dẫn chứng thư số): building to a trust anchor, CA constraints, validity.

Path building is by name and signature only (no network, no AIA chasing): the pool is the trust store's
intermediates plus whatever the document carries (CMS certificates, x5c, PDF DSS).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from vnegov.signing.documents.trust import TrustStore

MAX_PATH_LENGTH = 8


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` names and signed `cert`."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _issuer_of(
    cert: x509.Certificate, candidates: Sequence[x509.Certificate], path: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    for candidate in candidates:
        if candidate.subject == cert.issuer and candidate not in path and issued_by(cert, candidate):
            return candidate
    return None


def build_path(
    leaf: x509.Certificate, trust: TrustStore, extra: Sequence[x509.Certificate] = ()
) -> list[x509.Certificate] | None:
    """leaf → intermediates → trust anchor, or None when no path reaches an anchor."""
    pool = [*trust.intermediates, *extra]
    path = [leaf]
    for _ in range(MAX_PATH_LENGTH):
        current = path[-1]
        if trust.is_anchor(current):
            return path
        issuer = _issuer_of(current, trust.anchors, path) or _issuer_of(current, pool, path)
        if issuer is None:
            return None
        path.append(issuer)
    return None


def ca_problem(path: Sequence[x509.Certificate]) -> x509.Certificate | None:
    """The first issuing certificate in `path` that is not allowed to issue certificates, if any.

    RFC 5280 §4.2.1.9/§4.2.1.3: an issuer needs BasicConstraints cA=TRUE, keyCertSign when KeyUsage is
    present, and a pathLenConstraint no smaller than the number of CA certificates below it.
    """
    for depth, cert in enumerate(path[1:]):
        try:
            constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            return cert
        if not constraints.ca:
            return cert
        if constraints.path_length is not None and depth > constraints.path_length:
            return cert
        usage = key_usage(cert)
        if usage is not None and not usage.key_cert_sign:
            return cert
    return None


def key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def extended_key_usage(cert: x509.Certificate) -> list[x509.ObjectIdentifier] | None:
    try:
        return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return None


def outside_validity(path: Sequence[x509.Certificate], at: datetime) -> x509.Certificate | None:
    """The first certificate of `path` that is not valid at `at`, if any."""
    for cert in path:
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            return cert
    return None


def display_name(cert: x509.Certificate) -> str:
    """The certificate's common name, else its whole subject."""
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    if names:
        value = names[0].value
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return cert.subject.rfc4514_string()


def utc(moment: datetime) -> datetime:
    """A timezone-aware UTC datetime (naive values are taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def verify_with_key(
    public_key: object,
    signature: bytes,
    data: bytes,
    hash_algorithm: hashes.HashAlgorithm | None,
    *,
    pss_salt: int | None = None,
) -> bool:
    """Verify a signature with any key type we meet in documents; False instead of exceptions.

    ECDSA takes a DER ECDSA-Sig-Value; RSA PKCS#1 v1.5, or PSS when `pss_salt` is given (MGF1 with the
    same hash); Ed25519/Ed448 sign `data` directly.
    """
    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            public_key.verify(signature, data)
            return True
        if hash_algorithm is None:
            return False
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
        elif isinstance(public_key, rsa.RSAPublicKey):
            scheme: padding.AsymmetricPadding = (
                padding.PKCS1v15()
                if pss_salt is None
                else padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=pss_salt)
            )
            public_key.verify(signature, data, scheme, hash_algorithm)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True
