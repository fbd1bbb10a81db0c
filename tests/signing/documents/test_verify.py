"""verify_document on bad input and missing trust: always a report, never an exception."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from cryptography import x509

from vnegov.signing.crypto import (
    TIME_STAMPING,
    CertificateAuthority,
    FileSigner,
    TimeStampAuthority,
    create_root_ca,
    issue_with_new_key,
    subject_name,
)
from vnegov.signing.documents import (
    DEFAULT_MAX_SIZE,
    Indication,
    NoRevocationData,
    RevocationDataError,
    SignatureFormat,
    SigningCredential,
    SubIndication,
    TrustStore,
    ValidationReport,
    detect_format,
    sign_cms,
    sign_jws,
    sign_pdf,
    verify_document,
)

from ..conftest import Pki
from .conftest import Stamper

CONTENT = b'{"so": "1/QD-UBND"}'


@pytest.fixture(scope="module")
def stranger() -> CertificateAuthority:
    """A CA nobody here trusts."""
    signer = FileSigner.generate()
    return CertificateAuthority(create_root_ca(subject_name("Unknown Root CA"), signer), signer)


def _signed(kind: str, credential: SigningCredential, pdf: bytes) -> bytes:
    if kind == "pades":
        return sign_pdf(pdf, credential)
    if kind == "jws":
        return sign_jws(CONTENT, credential).encode()
    return sign_cms(CONTENT, credential)


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        random.Random(1).randbytes(300),  # fixed: parallel test workers must collect the same ids
        b"\x30\x82\x01\x00" + random.Random(2).randbytes(40),
        b"abc.def.ghi",
        b'{"payload": "e30", "signature": 5}',
        b"-----BEGIN PKCS7-----\n!!!\n-----END PKCS7-----\n",
        "Xin chào".encode(),
    ],
)
def test_garbage_is_a_format_failure(garbage: bytes, trust: TrustStore) -> None:
    report = verify_document(garbage, trust=trust, detached_content=b"x")
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert report.reason_vi and report.reason_en and report.signatures == []


@pytest.mark.parametrize("kind", ["pades", "jws", "cms"])
def test_unknown_trust_anchor_is_indeterminate(
    kind: str, credential: SigningCredential, pdf: bytes, stranger: CertificateAuthority
) -> None:
    signed = _signed(kind, credential, pdf)
    assert detect_format(signed) == SignatureFormat(kind)
    report = verify_document(signed, trust=TrustStore((stranger.certificate,)), detached_content=CONTENT)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )
    assert report.signatures[0].integrity.status == "PASSED"


def test_too_large_input_is_refused_with_a_reason(credential: SigningCredential, trust: TrustStore) -> None:
    signed = sign_cms(CONTENT, credential)
    report = verify_document(signed, trust=trust, detached_content=CONTENT, max_size=len(signed) - 1)
    assert report.sub_indication is SubIndication.FORMAT_FAILURE and "too large" in report.reason_en
    assert "quá lớn" in report.reason_vi
    huge = verify_document(b"%PDF-1.7\n" + bytes(DEFAULT_MAX_SIZE), trust=trust)
    assert huge.sub_indication is SubIndication.FORMAT_FAILURE and "25 MiB" in huge.reason_en
    big_content = verify_document(signed, trust=trust, detached_content=bytes(DEFAULT_MAX_SIZE + 1))
    assert big_content.sub_indication is SubIndication.FORMAT_FAILURE


def test_no_revocation_data_is_try_later(credential: SigningCredential, pki: Pki) -> None:
    offline = TrustStore((pki.root.certificate,), (pki.gov.certificate,), NoRevocationData())
    report = verify_document(sign_jws(CONTENT, credential).encode(), trust=offline)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, SubIndication.TRY_LATER)
    with pytest.raises(RevocationDataError, match="TRY_LATER"):  # the platform will not sign blind
        sign_jws(CONTENT, credential, trust=offline)


def test_untrusted_or_broken_time_stamp_makes_the_signature_indeterminate(
    credential: SigningCredential, trust: TrustStore, stranger: CertificateAuthority
) -> None:
    tsa_signer, tsa_cert = issue_with_new_key(stranger, subject_name("Rogue TSA"), TIME_STAMPING)
    rogue = Stamper(TimeStampAuthority(tsa_cert, tsa_signer, itertools.count(1).__next__))
    report = verify_document(
        sign_cms(CONTENT, credential, timestamper=rogue), trust=trust, detached_content=CONTENT
    )
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    result = report.signatures[0]
    assert result.timestamp is not None and result.timestamp.check.status == "FAILED"
    assert result.validation_time_source == "now" and "not trusted" in result.reason_en
    signed = sign_cms(CONTENT, credential, timestamper=rogue)
    assert signed.count(b"Rogue TSA") >= 1
    broken = verify_document(
        signed.replace(b"Rogue TSA", b"Rogue TSB"), trust=trust, detached_content=CONTENT
    )
    assert broken.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert "invalid" in broken.signatures[0].timestamp.check.reason_en  # type: ignore[union-attr]


def test_a_failing_revocation_source_means_try_later(credential: SigningCredential, pki: Pki) -> None:
    class Broken(NoRevocationData):
        def crls_for(self, cert: x509.Certificate) -> list[bytes]:
            raise RuntimeError("database is down")

    broken = TrustStore((pki.root.certificate,), (pki.gov.certificate,), Broken())
    report = verify_document(sign_cms(CONTENT, credential), trust=broken, detached_content=CONTENT)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, SubIndication.TRY_LATER)


def test_an_internal_error_gives_a_report(
    credential: SigningCredential, trust: TrustStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("vnegov.signing.documents.verify.evaluate", boom)
    report = verify_document(sign_cms(CONTENT, credential), trust=trust, detached_content=CONTENT)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.INTERNAL_ERROR,
    )


def test_report_is_json_and_bilingual(
    credential: SigningCredential, trust: TrustStore, stamper: Stamper
) -> None:
    report = verify_document(
        sign_cms(CONTENT, credential, timestamper=stamper),
        trust=trust,
        detached_content=CONTENT,
        filename="a.p7s",
    )
    data = json.loads(report.model_dump_json())
    assert data["indication"] == "TOTAL_PASSED" and data["format"] == "cms" and data["filename"] == "a.p7s"
    signature = data["signatures"][0]
    assert signature["timestamp"]["time"] and signature["signer"]["identifiers"][0]["kind"] == "CCCD"
    for check in ("integrity", "chain", "certificate_validity", "revocation", "key_usage"):
        assert signature[check]["status"] == "PASSED"
        assert signature[check]["reason_vi"] != signature[check]["reason_en"]
    assert ValidationReport.model_validate(data) == report
