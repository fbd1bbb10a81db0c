"""JWS: compact and detached round trips, tampering, algorithms per key, joserfc as an independent check."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc import jwk
from joserfc import jws as jose
from joserfc.errors import BadSignatureError
from joserfc.registry import HeaderParameter

from vnegov.signing.crypto import TLS_CLIENT, IdentifierKind, VnIdentifier, issue_with_new_key, subject_name
from vnegov.signing.documents import (
    CheckStatus,
    Indication,
    SigningCredential,
    SubIndication,
    TrustStore,
    sign_jws,
    verify_document,
)
from vnegov.signing.documents.jws import b64url

from ..conftest import Pki
from .conftest import document_credential

PAYLOAD = json.dumps(
    {"hoSo": "000.00.00.G12-260101-0001", "trangThai": "Đã trả kết quả"}, ensure_ascii=False
).encode()


def _joserfc_verify(token: str, cert: x509.Certificate, alg: str, payload: bytes | None = None) -> bytes:
    """Verify with joserfc alone: key from the certificate, sigT registered, x5c-sized headers allowed."""
    registry = jose.JWSRegistry(
        header_registry={"sigT": HeaderParameter("signing time", "str")}, algorithms=[alg]
    )
    registry.max_header_length = 16384
    key_type = {"ES": "EC", "RS": "RSA"}.get(alg[:2], "OKP")
    key = jwk.import_key(cert.public_key(), key_type)  # type: ignore[call-overload]
    return jose.deserialize_compact(token, key, registry=registry, payload=payload).payload


def test_compact_round_trip(credential: SigningCredential, trust: TrustStore) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    token = sign_jws(PAYLOAD, credential, signing_time=moment)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "ES256" and header["sigT"] == "2026-01-02T03:04:05Z"
    assert len(header["x5c"]) == 2 and "x5t#S256" in header
    report = verify_document(token.encode(), trust=trust)
    assert report.indication is Indication.TOTAL_PASSED, report.reason_en
    signature = report.signatures[0]
    assert report.format == "jws" and signature.signature_algorithm == "ES256"
    assert signature.signing_time_claimed == moment
    assert signature.signer is not None and signature.signer.identifiers[0].value == "001090012345"


def test_joserfc_verifies_our_jws_independently(credential: SigningCredential) -> None:
    token = sign_jws(PAYLOAD, credential)
    assert _joserfc_verify(token, credential.certificate, "ES256") == PAYLOAD
    detached = sign_jws(PAYLOAD, credential, detached=True)
    assert _joserfc_verify(detached, credential.certificate, "ES256", payload=PAYLOAD) == PAYLOAD
    with pytest.raises(BadSignatureError):
        _joserfc_verify(detached, credential.certificate, "ES256", payload=PAYLOAD + b" ")


def test_detached_round_trip_and_tampering(credential: SigningCredential, trust: TrustStore) -> None:
    token = sign_jws(PAYLOAD, credential, detached=True)
    assert token.split(".")[1] == ""
    good = verify_document(token.encode(), trust=trust, detached_content=PAYLOAD)
    assert good.indication is Indication.TOTAL_PASSED, good.reason_en
    missing = verify_document(token.encode(), trust=trust)
    assert missing.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND
    changed = PAYLOAD.replace("Đã trả".encode(), "Từ chối".encode())
    bad = verify_document(token.encode(), trust=trust, detached_content=changed)
    assert (bad.indication, bad.sub_indication) == (Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE)


def test_tampered_compact_payload_fails(credential: SigningCredential, trust: TrustStore) -> None:
    head, _body, signature = sign_jws(PAYLOAD, credential).split(".")
    forged = f"{head}.{b64url(PAYLOAD.replace(b'0001', b'0002'))}.{signature}"
    report = verify_document(forged.encode(), trust=trust)
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.SIG_CRYPTO_FAILURE,
    )
    assert report.signatures[0].integrity.status is CheckStatus.FAILED


@pytest.fixture(scope="session")
def other_keys(pki: Pki) -> dict[str, SigningCredential]:
    ed_signer, ed_cert = issue_with_new_key(
        pki.gov,
        subject_name("Hệ thống một cửa"),
        TLS_CLIENT,
        algorithm="ed25519",
        identifiers=[VnIdentifier(IdentifierKind.AGENCY, "G12.18")],
    )
    return {
        "ES384": document_credential(pki, "Lê Văn Cường", algorithm="ecdsa-p384"),
        "RS256": document_credential(pki, "Phạm Thị Dung", algorithm="rsa-3072"),
        "EdDSA": SigningCredential(ed_signer, ed_cert, (pki.gov.certificate,)),
    }


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
@pytest.mark.parametrize("alg", ["ES384", "RS256", "EdDSA"])
def test_algorithm_follows_the_key(
    alg: str, other_keys: dict[str, SigningCredential], trust: TrustStore
) -> None:
    credential = other_keys[alg]
    token = sign_jws(PAYLOAD, credential)
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"] == alg
    assert _joserfc_verify(token, credential.certificate, alg) == PAYLOAD
    signature = verify_document(token.encode(), trust=trust).signatures[0]
    assert signature.integrity.status is CheckStatus.PASSED
    if (
        alg == "EdDSA"
    ):  # a TLS client certificate: the signature is sound, the certificate is not for documents
        assert signature.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    else:
        assert signature.indication is Indication.TOTAL_PASSED, signature.reason_en


def test_json_serialization_made_by_joserfc_verifies(
    credential: SigningCredential, trust: TrustStore
) -> None:
    x5c = [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in credential.path]
    key = jwk.import_key(credential.signer.private_key, "EC")  # type: ignore[attr-defined,call-overload]
    registry = jose.JWSRegistry(algorithms=["ES256"])
    registry.max_header_length = 16384
    value = jose.serialize_json({"protected": {"alg": "ES256", "x5c": x5c}}, PAYLOAD, key, registry=registry)
    report = verify_document(json.dumps(value).encode(), trust=trust)
    assert report.format == "jws" and report.indication is Indication.TOTAL_PASSED, report.reason_en


@pytest.mark.parametrize(
    ("alg", "indication", "sub"),
    [
        ("none", Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE),
        ("HS256", Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE),
        ("ES256K", Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE),
    ],
)
def test_unusable_algorithms_give_a_report(
    alg: str, indication: Indication, sub: SubIndication, credential: SigningCredential, trust: TrustStore
) -> None:
    head, body, signature = sign_jws(PAYLOAD, credential).split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    forged = f"{b64url(json.dumps({**header, 'alg': alg}).encode())}.{body}.{signature}"
    report = verify_document(forged.encode(), trust=trust)
    assert (report.indication, report.sub_indication) == (indication, sub)
