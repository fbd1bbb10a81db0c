"""PAdES: sign at B-B, B-T and B-LT, verify with our report and with pyHanko's own validator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import EmbeddedPdfSignature, validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore

from vnegov.signing.crypto import FileSigner, PublicKey, RevocationReason, SignatureAlgorithm
from vnegov.signing.documents import (
    CheckStatus,
    Indication,
    NoRevocationData,
    PadesLevel,
    PdfSignatureOptions,
    SignerCertificateError,
    SigningCredential,
    SubIndication,
    TrustStore,
    sign_pdf,
    verify_document,
)
from vnegov.signing.documents.pades import asn1_certificate

from ..conftest import Pki
from .conftest import Revocations, Stamper, later


@dataclass(frozen=True)
class OpaqueSigner:
    """A signer that only offers `sign()`, as an HSM does: no private key object anywhere."""

    inner: FileSigner

    @property
    def algorithm(self) -> SignatureAlgorithm:
        return self.inner.algorithm

    def public_key(self) -> PublicKey:
        return self.inner.public_key()

    def sign(self, data: bytes) -> bytes:
        return self.inner.sign(data)


def _embedded(signed: bytes) -> EmbeddedPdfSignature:
    return PdfFileReader(BytesIO(signed)).embedded_signatures[0]


@pytest.mark.parametrize("level", list(PadesLevel))
def test_each_level_verifies_with_our_report_and_pyhanko(
    level: PadesLevel,
    pdf: bytes,
    credential: SigningCredential,
    trust: TrustStore,
    stamper: Stamper,
) -> None:
    signed = sign_pdf(pdf, credential, level=level, timestamper=stamper, trust=trust)
    report = verify_document(signed, trust=trust, filename="quyet-dinh.pdf")
    assert report.indication is Indication.TOTAL_PASSED, report.reason_en
    assert report.format == "pades" and report.valid_signatures_count == 1
    signature = report.signatures[0]
    assert signature.level == f"PAdES-BASELINE-{level.value[2:]}"
    assert signature.signer is not None and signature.signer.common_name == "Nguyễn Văn An"
    assert [(i.kind, i.value) for i in signature.signer.identifiers] == [("CCCD", "001090012345")]
    opinion = signature.pdf_validator
    assert opinion is not None and (opinion.intact, opinion.valid, opinion.trusted) == (True, True, True)
    assert (signature.timestamp is not None) is (level is not PadesLevel.B_B)
    assert signature.validation_time_source == ("now" if level is PadesLevel.B_B else "timestamp")


def test_b_lt_embeds_revocation_data_that_suffices_alone(
    pdf: bytes, credential: SigningCredential, trust: TrustStore, stamper: Stamper, pki: Pki
) -> None:
    signed = sign_pdf(pdf, credential, level=PadesLevel.B_LT, timestamper=stamper, trust=trust)
    dss = DocumentSecurityStore.read_dss(PdfFileReader(BytesIO(signed)))
    assert dss.crls and dss.ocsps
    # pyHanko, on the DSS alone (no other revocation data, hard-fail): trusted
    context = dss.as_validation_context(
        {"trust_roots": [asn1_certificate(pki.root.certificate)], "revocation_mode": "hard-fail"}
    )
    status = validate_pdf_signature(_embedded(signed), context)
    assert status.intact and status.valid and status.trusted
    # our verifier, with a trust store that knows nothing about revocation
    offline = TrustStore((pki.root.certificate,), (), NoRevocationData())
    report = verify_document(signed, trust=offline)
    assert report.indication is Indication.TOTAL_PASSED, report.reason_en
    assert report.signatures[0].revocation.source == "embedded"


def test_signature_dictionary_and_an_hsm_like_signer(
    pdf: bytes, credential: SigningCredential, trust: TrustStore
) -> None:
    opaque = SigningCredential(OpaqueSigner(credential.signer), credential.certificate, credential.chain)  # type: ignore[arg-type]
    options = PdfSignatureOptions(field_name="ChuKy1", reason="Phê duyệt")
    signed = sign_pdf(pdf, opaque, options=options)
    sig = _embedded(signed)
    assert sig.field_name == "ChuKy1"
    assert sig.sig_object["/Location"] == "Hà Nội" and sig.sig_object["/Reason"] == "Phê duyệt"
    assert sig.sig_object["/Name"] == "Nguyễn Văn An"
    assert verify_document(signed, trust=trust).indication is Indication.TOTAL_PASSED


def test_tampered_copy_fails_with_hash_failure(
    pdf: bytes, credential: SigningCredential, trust: TrustStore
) -> None:
    signed = sign_pdf(pdf, credential)
    assert signed.count(b"Quyet dinh so 1") == 1
    tampered = signed.replace(b"Quyet dinh so 1", b"Quyet dinh so 7")
    report = verify_document(tampered, trust=trust)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)
    signature = report.signatures[0]
    assert signature.integrity.status is CheckStatus.FAILED
    assert signature.pdf_validator is not None and not signature.pdf_validator.intact
    assert "thay đổi" in report.reason_vi and "changed" in report.reason_en


def test_certificate_revoked_before_signing(
    pdf: bytes,
    fresh_credential: SigningCredential,
    trust: TrustStore,
    revocations: Revocations,
    stamper: Stamper,
) -> None:
    revocations.revoke(fresh_credential.certificate, later(-60), RevocationReason.KEY_COMPROMISE)
    with pytest.raises(SignerCertificateError, match="REVOKED"):
        sign_pdf(pdf, fresh_credential, trust=trust)
    # a signer outside the platform signs anyway: the time-stamp proves it was after the revocation
    signed = sign_pdf(pdf, fresh_credential, level=PadesLevel.B_T, timestamper=stamper)
    report = verify_document(signed, trust=trust)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, SubIndication.REVOKED)
    assert report.signatures[0].revocation.revoked_at is not None
    assert "thu hồi" in report.reason_vi


def test_revoked_after_a_time_stamped_signature_stays_valid(
    pdf: bytes,
    fresh_credential: SigningCredential,
    trust: TrustStore,
    revocations: Revocations,
    stamper: Stamper,
) -> None:
    stamped = sign_pdf(pdf, fresh_credential, level=PadesLevel.B_T, timestamper=stamper)
    plain = sign_pdf(pdf, fresh_credential)
    revocations.revoke(fresh_credential.certificate, later(10), RevocationReason.SUPERSEDED)
    when = later(60)
    report = verify_document(stamped, trust=trust, now=when)
    assert report.indication is Indication.TOTAL_PASSED, report.reason_en
    assert report.signatures[0].revocation.revoked_at is not None
    unproven = verify_document(plain, trust=trust, now=when)
    assert (unproven.indication, unproven.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.REVOKED_NO_POE,
    )


def test_tls_server_certificate_cannot_sign_documents(
    pdf: bytes, tls_credential: SigningCredential, trust: TrustStore
) -> None:
    with pytest.raises(SignerCertificateError, match="SIG_CONSTRAINTS_FAILURE"):
        sign_pdf(pdf, tls_credential, trust=trust)
    report = verify_document(sign_pdf(pdf, tls_credential), trust=trust)
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    signature = report.signatures[0]
    assert (
        signature.key_usage.status is CheckStatus.FAILED and signature.integrity.status is CheckStatus.PASSED
    )
    assert "TLS server authentication" in report.reason_en and "máy chủ TLS" in report.reason_vi


def test_levels_need_their_services(pdf: bytes, credential: SigningCredential, trust: TrustStore) -> None:
    with pytest.raises(Exception, match="time-stamp"):
        sign_pdf(pdf, credential, level=PadesLevel.B_T)
    with pytest.raises(Exception, match="trust store"):
        sign_pdf(pdf, credential, level=PadesLevel.B_LT, timestamper=object())  # type: ignore[arg-type]


def test_unsigned_or_broken_pdf(pdf: bytes, credential: SigningCredential, trust: TrustStore) -> None:
    unsigned = verify_document(pdf, trust=trust)
    assert (unsigned.indication, unsigned.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert "chưa được ký" in unsigned.reason_vi
    broken = verify_document(b"%PDF-1.7\n" + bytes(range(256)) * 4, trust=trust)
    assert broken.sub_indication is SubIndication.FORMAT_FAILURE
    with pytest.raises(Exception, match="not a readable PDF"):
        sign_pdf(b"%PDF-1.7\nnot really", credential)


def test_expired_time_stamp_window_is_reported(
    pdf: bytes, credential: SigningCredential, trust: TrustStore
) -> None:
    """Without a time-stamp, validation is at 'now': after the certificate expires the result is unproven."""
    signed = sign_pdf(pdf, credential)
    after_expiry = credential.certificate.not_valid_after_utc + timedelta(days=1)
    report = verify_document(signed, trust=trust, now=after_expiry)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.OUT_OF_BOUNDS_NO_POE,
    )
