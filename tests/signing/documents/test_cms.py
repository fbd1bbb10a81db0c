"""Detached CMS (.p7s): `openssl cms -verify` and our verifier agree; tampering, hashes, expiry, status."""

from __future__ import annotations

import base64
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms

from vnegov.signing.crypto import RevocationReason
from vnegov.signing.documents import (
    CheckStatus,
    Indication,
    SignerCertificateError,
    SigningCredential,
    SubIndication,
    TrustStore,
    sign_cms,
    verify_document,
)

from ..conftest import OpenSSL, Pki
from .conftest import Revocations, Stamper, document_credential, later

CONTENT = "Biên bản họp ngày 01/01/2026 — bản chính thức\n".encode() * 50


def _openssl_verify(openssl: OpenSSL, tmp_path: Path, pki: Pki, signature: bytes, content: bytes) -> str:
    (tmp_path / "sig.p7s").write_bytes(signature)
    (tmp_path / "file.txt").write_bytes(content)
    done = openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.p7s", "-content", "file.txt",
        "-CAfile", pki.folder / "chain.pem", "-purpose", "any", "-out", "/dev/null",
    )  # fmt: skip
    return done.stdout + done.stderr


def test_openssl_and_our_verifier_accept_it(
    credential: SigningCredential, trust: TrustStore, pki: Pki, openssl: OpenSSL, tmp_path: Path
) -> None:
    signature = sign_cms(CONTENT, credential, trust=trust)
    assert "Verification successful" in _openssl_verify(openssl, tmp_path, pki, signature, CONTENT)
    report = verify_document(signature, trust=trust, detached_content=CONTENT, filename="bien-ban.txt.p7s")
    assert report.indication is Indication.TOTAL_PASSED, report.reason_en
    signature_report = report.signatures[0]
    assert report.format == "cms" and signature_report.level == "CAdES-BASELINE-B"
    assert signature_report.signing_time_claimed is not None
    assert signature_report.revocation.source == "revocation_source"


def test_time_stamped_signature(
    credential: SigningCredential,
    trust: TrustStore,
    stamper: Stamper,
    pki: Pki,
    openssl: OpenSSL,
    tmp_path: Path,
) -> None:
    signature = sign_cms(CONTENT, credential, timestamper=stamper)
    assert "Verification successful" in _openssl_verify(openssl, tmp_path, pki, signature, CONTENT)
    signer_info = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]
    assert signer_info["unsigned_attrs"][0]["type"].native == "signature_time_stamp_token"
    report = verify_document(signature, trust=trust, detached_content=CONTENT)
    result = report.signatures[0]
    assert report.indication is Indication.TOTAL_PASSED, report.reason_en
    assert result.level == "CAdES-BASELINE-T" and result.validation_time_source == "timestamp"
    assert result.timestamp is not None and result.timestamp.check.status is CheckStatus.PASSED


def test_tampered_content_fails_everywhere(
    credential: SigningCredential, trust: TrustStore, pki: Pki, openssl: OpenSSL, tmp_path: Path
) -> None:
    signature = sign_cms(CONTENT, credential)
    tampered = CONTENT.replace(b"01/01", b"02/01", 1)
    assert "Verification failure" in _openssl_verify(openssl, tmp_path, pki, signature, tampered)
    report = verify_document(signature, trust=trust, detached_content=tampered)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)
    missing = verify_document(signature, trust=trust)
    assert (missing.indication, missing.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIGNED_DATA_NOT_FOUND,
    )


def test_rsa_signature_verifies_with_openssl(
    pki: Pki, trust: TrustStore, openssl: OpenSSL, tmp_path: Path
) -> None:
    rsa_credential = document_credential(pki, "Phạm Thị Dung", algorithm="rsa-3072")
    signature = sign_cms(CONTENT, rsa_credential)
    assert "Verification successful" in _openssl_verify(openssl, tmp_path, pki, signature, CONTENT)
    assert (
        verify_document(signature, trust=trust, detached_content=CONTENT).indication
        is Indication.TOTAL_PASSED
    )


@pytest.mark.parametrize(
    ("oid", "word"), [("1.3.14.3.2.26", "sha1"), ("1.2.840.113549.2.5", "md5"), ("1.2.3.4.5", "1.2.3.4.5")]
)
def test_weak_or_unknown_hash_gives_a_report(
    oid: str, word: str, credential: SigningCredential, trust: TrustStore
) -> None:
    info = cms.ContentInfo.load(sign_cms(CONTENT, credential))
    info["content"]["signer_infos"][0]["digest_algorithm"] = {"algorithm": oid}
    report = verify_document(info.dump(force=True), trust=trust, detached_content=CONTENT)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    )
    assert word in report.reason_en and word in report.reason_vi


def test_expired_certificate(pki: Pki, trust: TrustStore) -> None:
    old = document_credential(
        pki, "Võ Văn Em", now=datetime.now(UTC) - timedelta(days=400), validity=timedelta(days=30)
    )
    report = verify_document(sign_cms(CONTENT, old), trust=trust, detached_content=CONTENT)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, SubIndication.EXPIRED)
    with pytest.raises(SignerCertificateError, match="EXPIRED"):
        sign_cms(CONTENT, old, trust=trust)


def test_revoked_certificate_signs_nothing(
    fresh_credential: SigningCredential, trust: TrustStore, revocations: Revocations
) -> None:
    revocations.revoke(fresh_credential.certificate, later(-5), RevocationReason.KEY_COMPROMISE)
    with pytest.raises(SignerCertificateError, match="REVOKED"):
        sign_cms(CONTENT, fresh_credential, trust=trust)
    report = verify_document(sign_cms(CONTENT, fresh_credential), trust=trust, detached_content=CONTENT)
    # the signer's own signing time is after the revocation: invalid even without a time-stamp
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, SubIndication.REVOKED)


def test_pem_armoured_signature_is_recognised(credential: SigningCredential, trust: TrustStore) -> None:
    body = "\n".join(textwrap.wrap(base64.b64encode(sign_cms(CONTENT, credential)).decode(), 64))
    armoured = f"-----BEGIN PKCS7-----\n{body}\n-----END PKCS7-----\n".encode()
    assert (
        verify_document(armoured, trust=trust, detached_content=CONTENT).indication is Indication.TOTAL_PASSED
    )
