"""The same three formats with a key inside SoftHSM2 (PKCS#11): nothing needs the private key object."""

from __future__ import annotations

from pathlib import Path

from vnegov.signing.crypto import (
    DOCUMENT_SIGNING,
    IdentifierKind,
    VnIdentifier,
    issue_certificate,
    subject_name,
)
from vnegov.signing.documents import (
    Indication,
    PadesLevel,
    SigningCredential,
    TrustStore,
    sign_cms,
    sign_jws,
    sign_pdf,
    verify_document,
)

from ..conftest import OpenSSL, Pki, SoftHsm
from .conftest import Stamper


def test_hsm_key_signs_pdf_jws_and_cms(
    softhsm: SoftHsm,
    pki: Pki,
    trust: TrustStore,
    stamper: Stamper,
    pdf: bytes,
    openssl: OpenSSL,
    tmp_path: Path,
) -> None:
    signer = softhsm.generate("ecdsa-p256")
    assert not hasattr(signer, "private_key")
    cert = issue_certificate(
        pki.gov,
        subject_name("Sở Tư pháp Hà Nội"),
        signer.public_key(),
        DOCUMENT_SIGNING,
        identifiers=[VnIdentifier(IdentifierKind.AGENCY, "G12.18")],
    )
    credential = SigningCredential(signer, cert, (pki.gov.certificate,))
    signed_pdf = sign_pdf(pdf, credential, level=PadesLevel.B_LT, timestamper=stamper, trust=trust)
    report = verify_document(signed_pdf, trust=trust)
    assert report.indication is Indication.TOTAL_PASSED, report.reason_en
    assert report.signatures[0].pdf_validator is not None and report.signatures[0].pdf_validator.trusted
    token = sign_jws(b'{"a": 1}', credential, trust=trust)
    assert verify_document(token.encode(), trust=trust).indication is Indication.TOTAL_PASSED
    p7s = sign_cms(b"content", credential, timestamper=stamper, trust=trust)
    assert (
        verify_document(p7s, trust=trust, detached_content=b"content").indication is Indication.TOTAL_PASSED
    )
    (tmp_path / "sig.p7s").write_bytes(p7s)
    (tmp_path / "file.bin").write_bytes(b"content")
    done = openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.p7s", "-content", "file.bin",
        "-CAfile", pki.folder / "chain.pem", "-purpose", "any", "-out", "/dev/null",
    )  # fmt: skip
    assert "Verification successful" in done.stderr + done.stdout
