"""Sign cryptography's X.509 builders with any `Signer`, including ones whose key cannot leave an HSM.

cryptography's builders only sign with its own key objects. For a `FileSigner` we pass the key
through. For any other signer we build the structure with a throw-away key of the same type (so the
to-be-signed part names the right signature algorithm), have the signer sign those to-be-signed
bytes, and put its signature in place of the throw-away one (asn1crypto re-encodes the outer
SEQUENCE). The throw-away signature is never published.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime, timedelta

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from vnegov.signing.crypto.keys import FileSigner, PrivateKey, Signer


@functools.cache
def _stand_in_key(key_type: str, curve: str | None) -> PrivateKey:
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    curves: dict[str | None, ec.EllipticCurve] = {
        "secp256r1": ec.SECP256R1(),
        "secp384r1": ec.SECP384R1(),
        "secp521r1": ec.SECP521R1(),
    }
    return ec.generate_private_key(curves[curve])


def _signing_key(signer: Signer) -> tuple[PrivateKey, bool]:
    """The key to hand to cryptography, and whether its signature must be replaced afterwards."""
    if isinstance(signer, FileSigner):
        return signer.private_key, False
    public = signer.public_key()
    curve = public.curve.name if isinstance(public, ec.EllipticCurvePublicKey) else None
    return _stand_in_key(signer.algorithm.key_type, curve), True


def sign_certificate(builder: x509.CertificateBuilder, signer: Signer) -> x509.Certificate:
    key, replace = _signing_key(signer)
    cert = builder.sign(key, signer.algorithm.hash)
    if not replace:
        return cert
    parsed = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    parsed["signature_value"] = signer.sign(cert.tbs_certificate_bytes)
    return x509.load_der_x509_certificate(parsed.dump(force=True))


def sign_crl(
    builder: x509.CertificateRevocationListBuilder, signer: Signer
) -> x509.CertificateRevocationList:
    key, replace = _signing_key(signer)
    crl = builder.sign(key, signer.algorithm.hash)
    if not replace:
        return crl
    parsed = asn1_crl.CertificateList.load(crl.public_bytes(Encoding.DER))
    parsed["signature"] = signer.sign(crl.tbs_certlist_bytes)
    return x509.load_der_x509_crl(parsed.dump(force=True))


def public_key_bits(cert: x509.Certificate) -> bytes:
    """The contents of the subjectPublicKey BIT STRING (what OCSP CertID and ResponderID hash)."""
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return bytes(asn1_keys.PublicKeyInfo.load(spki)["public_key"].contents[1:])


@functools.cache
def _stand_in_certificate(key_type: str, curve: str | None) -> x509.Certificate:
    key = _stand_in_key(key_type, curve)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in")])
    start = datetime(2000, 1, 1, tzinfo=UTC)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    builder = builder.serial_number(1).not_valid_before(start).not_valid_after(start + timedelta(days=1))
    hash_algorithm = None if key_type == "ed25519" else hashes.SHA256()
    return builder.sign(key, hash_algorithm)


def sign_ocsp(
    builder: ocsp.OCSPResponseBuilder, signer: Signer, responder: x509.Certificate
) -> ocsp.OCSPResponse:
    """Sign a response whose responder (named by key hash) is `responder`, the signer's certificate."""
    if isinstance(signer, FileSigner):
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder).certificates([responder])
        return builder.sign(signer.private_key, signer.algorithm.hash)
    public = signer.public_key()
    curve = public.curve.name if isinstance(public, ec.EllipticCurvePublicKey) else None
    key_type = signer.algorithm.key_type
    stand_in = _stand_in_certificate(key_type, curve)
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, stand_in).certificates([stand_in])
    draft = builder.sign(_stand_in_key(key_type, curve), signer.algorithm.hash)
    parsed = asn1_ocsp.OCSPResponse.load(draft.public_bytes(Encoding.DER))
    basic = parsed["response_bytes"]["response"].parsed
    tbs = basic["tbs_response_data"]
    tbs["responder_id"] = asn1_ocsp.ResponderId({"by_key": hashlib.sha1(public_key_bits(responder)).digest()})
    basic["certs"] = [asn1_x509.Certificate.load(responder.public_bytes(Encoding.DER))]
    basic["signature"] = signer.sign(tbs.dump(force=True))
    parsed["response_bytes"]["response"] = asn1_ocsp.ParsableOctetString(basic.dump(force=True))
    return ocsp.load_der_ocsp_response(parsed.dump(force=True))
