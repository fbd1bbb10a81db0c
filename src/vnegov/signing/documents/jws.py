"""JSON documents signed as JWS (ký số dữ liệu JSON theo RFC 7515), compact or detached.

Signing assembles the JWS itself and signs the signing input `BASE64URL(header).BASE64URL(payload)`
with the crypto core's `Signer`, so an HSM key works unchanged; ECDSA's DER signature is converted to
the fixed-size r‖s JWS requires (RFC 7518 §3.4). The protected header carries `alg` (from the key:
ES256 for P-256, ES384 for P-384, ES512 for P-521, RS256 for RSA, EdDSA for Ed25519), `x5c` (the
certificate chain, RFC 7515 §4.1.6), `x5t#S256`, and `sigT`, the claimed signing time as JAdES
(ETSI TS 119 182-1) names it; it is not listed in `crit`, so any JOSE library can verify the result.
Detached (RFC 7515 Appendix F): the compact form with the payload part left empty. RFC 9864 (2025)
deprecates "EdDSA" for the fully specified "Ed25519"; we still write "EdDSA", which every JOSE library
knows, and accept both. RSA signs RS256 only: the `Signer` interface does PKCS#1 v1.5, not PSS.

Verification reads the header and certificates here and lets joserfc check the signature value, an
implementation independent of our signing code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc import jwk
from joserfc import jws as jose
from joserfc.errors import (
    BadSignatureError,
    InvalidKeyCurveError,
    InvalidKeyTypeError,
    JoseError,
    SecurityWarning,
    UnsupportedAlgorithmError,
    UnsupportedKeyAlgorithmError,
)
from joserfc.registry import HeaderParameter

from vnegov.signing.crypto import Signer, UnsupportedKeyError
from vnegov.signing.documents._evidence import Evidence, Finding, FormatProblem, failed, indeterminate
from vnegov.signing.documents._paths import utc
from vnegov.signing.documents.credential import SigningCredential, check_signing_certificate
from vnegov.signing.documents.report import SubIndication
from vnegov.signing.documents.trust import TrustStore, certificate_der

COMPACT = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
_ECDSA_ALGS = {"sha256": "ES256", "sha384": "ES384", "sha512": "ES512"}
_HASH_OF_ALG = {
    "ES256": "sha256",
    "ES384": "sha384",
    "ES512": "sha512",
    "RS256": "sha256",
    "RS384": "sha384",
    "RS512": "sha512",
    "PS256": "sha256",
    "PS384": "sha384",
    "PS512": "sha512",
    "EdDSA": "sha512",
    "Ed25519": "sha512",
}
_UNDERSTOOD_CRITICAL = frozenset({"sigT"})
_KEY_TYPES: tuple[tuple[type, str], ...] = (
    (ec.EllipticCurvePublicKey, "EC"),
    (rsa.RSAPublicKey, "RSA"),
    (ed25519.Ed25519PublicKey, "OKP"),
    (ed448.Ed448PublicKey, "OKP"),
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    raw = text.encode("ascii") if isinstance(text, str) else text
    return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))


def jws_algorithm(signer: Signer) -> str:
    """The JWS `alg` for the signer's key (ES256/ES384/ES512, RS256, EdDSA)."""
    algorithm = signer.algorithm
    if algorithm.key_type == "ed25519":
        return "EdDSA"
    if algorithm.key_type == "rsa":
        return "RS256"
    name = algorithm.hash_name
    if name not in _ECDSA_ALGS:
        raise UnsupportedKeyError(f"no JWS algorithm for ECDSA with {name}")
    return _ECDSA_ALGS[name]


def _raw_signature(signer: Signer, signature: bytes) -> bytes:
    """ECDSA DER → r‖s, each as long as the curve order (RFC 7518 §3.4); other keys unchanged."""
    key = signer.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return signature
    size = (key.curve.key_size + 7) // 8
    r, s = decode_dss_signature(signature)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _header(credential: SigningCredential, signing_time: datetime | None) -> dict[str, Any]:
    header: dict[str, Any] = {
        "alg": jws_algorithm(credential.signer),
        "x5c": [base64.b64encode(certificate_der(c)).decode("ascii") for c in credential.path],
        "x5t#S256": b64url(hashlib.sha256(certificate_der(credential.certificate)).digest()),
    }
    if signing_time is not None:
        header["sigT"] = signing_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return header


def sign_jws(
    payload: bytes,
    credential: SigningCredential,
    *,
    detached: bool = False,
    signing_time: datetime | None = None,
    include_signing_time: bool = True,
    trust: TrustStore | None = None,
) -> str:
    """Ký số JSON: a JWS compact serialization of `payload` (usually UTF-8 JSON).

    `detached=True` leaves the payload part empty (`header..signature`); the verifier then needs the
    payload. `sigT` is now (or `signing_time`) unless `include_signing_time` is False. With `trust`
    the signing certificate is checked first (`check_signing_certificate`).
    """
    if trust is not None:
        check_signing_certificate(credential, trust)
    when = (signing_time or datetime.now(UTC)) if include_signing_time else None
    header = json.dumps(_header(credential, when), separators=(",", ":"), ensure_ascii=False)
    signing_input = f"{b64url(header.encode('utf-8'))}.{b64url(payload)}"
    signature = _raw_signature(credential.signer, credential.signer.sign(signing_input.encode("ascii")))
    head, body = signing_input.split(".")
    return f"{head}.{'' if detached else body}.{b64url(signature)}"


# ---- reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    """One signature of a JWS: protected header (encoded and parsed), unprotected header, value."""

    protected_b64: str
    protected: dict[str, Any]
    unprotected: dict[str, Any]
    signature_b64: str


def looks_like_jws(data: bytes) -> bool:
    stripped = data.strip()
    return bool(COMPACT.fullmatch(stripped)) or (stripped[:1] == b"{" and b'"signature' in stripped)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise FormatProblem("Phần đầu JWS không phải JSON.", "A JWS header is not JSON.") from None
    if not isinstance(value, dict):
        raise FormatProblem("Phần đầu JWS không phải đối tượng JSON.", "A JWS header is not a JSON object.")
    return value


def _member(protected_b64: object, unprotected: object, signature_b64: object) -> _Member:
    if not isinstance(protected_b64, str) or not isinstance(signature_b64, str):
        raise FormatProblem(
            "Chữ ký JWS thiếu phần đầu hoặc giá trị.", "A JWS signature lacks its header or value."
        )
    try:
        protected = _json_object(b64url_decode(protected_b64))
    except (ValueError, TypeError):
        raise FormatProblem("Phần đầu JWS không giải mã được.", "A JWS header cannot be decoded.") from None
    extra = unprotected if isinstance(unprotected, dict) else {}
    return _Member(protected_b64, protected, extra, signature_b64)


def _parse(data: bytes) -> tuple[str | None, list[_Member]]:
    """The base64url payload ("" or None when detached) and the signatures."""
    stripped = data.strip()
    if COMPACT.fullmatch(stripped):
        head, body, signature = stripped.decode("ascii").split(".")
        return body, [_member(head, None, signature)]
    document = _json_object(stripped)
    payload = document.get("payload")
    if payload is not None and not isinstance(payload, str):
        raise FormatProblem("Trường payload của JWS không hợp lệ.", "The JWS payload member is malformed.")
    entries = document.get("signatures", [document])
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise FormatProblem("JWS không có chữ ký nào.", "The JWS has no signatures.")
    return payload, [_member(e.get("protected"), e.get("header"), e.get("signature")) for e in entries]


def _certificates(header: Mapping[str, Any]) -> tuple[x509.Certificate, ...]:
    chain = header.get("x5c")
    if not isinstance(chain, list):
        return ()
    try:
        return tuple(x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in chain)
    except (ValueError, TypeError):
        return ()


def _signing_time(header: Mapping[str, Any]) -> datetime | None:
    value = header.get("sigT")
    if not isinstance(value, str):
        return None
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def _registry(alg: str) -> jose.JWSRegistry:
    registry = jose.JWSRegistry(
        header_registry={"sigT": HeaderParameter("Claimed signing time (JAdES)", "str")},
        algorithms=[alg],
        strict_check_header=False,
    )
    registry.max_header_length = registry.max_payload_length = 1 << 30  # our own size limit applies
    registry.max_signature_length = 1 << 16
    return registry


def _header_problem(header: Mapping[str, Any], alg: object) -> Finding | None:
    if not isinstance(alg, str) or alg == "none" or alg.startswith("HS"):
        return failed(
            SubIndication.FORMAT_FAILURE,
            f"JWS với alg={alg!r} không phải chữ ký số.",
            f"A JWS with alg={alg!r} is not a digital signature.",
        )
    if alg not in _HASH_OF_ALG:
        return _unsupported(alg)
    critical = header.get("crit", [])
    if header.get("b64") is False or not isinstance(critical, list) or set(critical) - _UNDERSTOOD_CRITICAL:
        return failed(
            SubIndication.FORMAT_FAILURE,
            "JWS dùng tham số bắt buộc (crit/b64) chưa được hỗ trợ.",
            "The JWS uses critical parameters (crit/b64) that are not supported.",
        )
    return None


_UNSUPPORTED_KEY = indeterminate(
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    "Loại khóa của chứng thư số không được hỗ trợ cho JWS.",
    "The certificate's key type is not supported for JWS.",
)
_BAD_SIGNATURE = failed(
    SubIndication.SIG_CRYPTO_FAILURE,
    "Chữ ký JWS không đúng với nội dung hoặc khóa công khai của chứng thư số.",
    "The JWS signature does not verify for this content with the certificate's public key.",
)


def _unsupported(alg: str) -> Finding:
    return indeterminate(
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
        f"Thuật toán JWS {alg} không được hỗ trợ.",
        f"The JWS algorithm {alg} is not supported.",
    )


def _joserfc_check(member: _Member, payload_b64: str, key: jwk.Key, alg: str) -> None:
    """joserfc verifies the signature value (raises on failure)."""
    value: jose.FlattenedJSONSerialization = {
        "payload": payload_b64,
        "protected": member.protected_b64,
        "signature": member.signature_b64,
    }
    if member.unprotected:
        value["header"] = member.unprotected
    with warnings.catch_warnings():  # joserfc flags "EdDSA" as deprecated by RFC 9864; still in use
        warnings.simplefilter("ignore", SecurityWarning)
        jose.deserialize_json(value, key, registry=_registry(alg))


def _verify(member: _Member, payload_b64: str, cert: x509.Certificate, alg: str) -> Finding | None:
    public_key = cert.public_key()
    key_type = next((name for kind, name in _KEY_TYPES if isinstance(public_key, kind)), None)
    if key_type is None:
        return _UNSUPPORTED_KEY
    try:
        _joserfc_check(member, payload_b64, jwk.import_key(public_key, key_type), alg)  # type: ignore[call-overload]
    except (BadSignatureError, InvalidKeyTypeError, InvalidKeyCurveError, UnsupportedKeyAlgorithmError):
        return _BAD_SIGNATURE
    except UnsupportedAlgorithmError:
        return _unsupported(alg)
    except (JoseError, ValueError, TypeError) as exc:
        return failed(
            SubIndication.FORMAT_FAILURE, f"JWS không hợp lệ ({exc}).", f"The JWS is malformed ({exc})."
        )
    return None


def _integrity(
    member: _Member, header: Mapping[str, Any], payload_b64: str | None, signer: x509.Certificate
) -> Finding | None:
    alg = header.get("alg")
    problem = _header_problem(header, alg)
    if problem is not None:
        return problem
    if not payload_b64:
        return indeterminate(
            SubIndication.SIGNED_DATA_NOT_FOUND,
            "JWS tách rời: cần nội dung JSON đã được ký để xác thực.",
            "Detached JWS: the signed JSON content is needed to verify it.",
        )
    assert isinstance(alg, str)
    return _verify(member, payload_b64, signer, alg)


def _evidence(member: _Member, payload_b64: str | None, index: int) -> Evidence:
    header = {**member.unprotected, **member.protected}
    certs = _certificates(header)
    alg = header.get("alg")
    evidence = Evidence(
        signature_id=f"S-{index}",
        level="JWS",
        signer=certs[0] if certs else None,
        certificates=certs,
        hash_algorithm=_HASH_OF_ALG.get(alg) if isinstance(alg, str) else None,
        signature_algorithm=alg if isinstance(alg, str) else None,
        claimed_time=_signing_time(header),
    )
    if evidence.signer is None:
        evidence.integrity = indeterminate(
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "JWS không có chứng thư số của người ký (x5c).",
            "The JWS carries no signer certificate (x5c).",
        )
    else:
        evidence.integrity = _integrity(member, header, payload_b64, evidence.signer)
    return evidence


def read_jws(data: bytes, detached_content: bytes | None) -> list[Evidence]:
    """Evidence for each signature of a compact or JSON-serialized JWS; `FormatProblem` otherwise."""
    payload_b64, members = _parse(data)
    if not payload_b64 and detached_content is not None:
        payload_b64 = b64url(detached_content)
    return [_evidence(m, payload_b64, i) for i, m in enumerate(members, start=1)]
