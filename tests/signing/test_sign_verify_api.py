"""Signing with an agency's seal and verifying anything, through the API and the public page."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.signing.documents.conftest import minimal_pdf
from vnegov.kernel.db import Database
from vnegov.kernel.models import AuditLogEntry

API = "/api/v1/signing"


def _sign(client: TestClient, who: Caller, data: bytes, name: str, **form: str):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/sign", files={"file": (name, data)}, data=form, headers=who.headers)


def _verify(client: TestClient, data: bytes, name: str = "doc", detached: bytes | None = None):  # type: ignore[no-untyped-def]
    files = {"file": (name, data)}
    if detached is not None:
        files["detached_content"] = ("content", detached)
    return client.post(f"{API}/verify", files=files)


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT"])
def test_an_agency_seals_a_pdf_and_anyone_can_verify_it(
    client: TestClient,
    ministry_finance: Caller,
    platform_pki,
    level: str,  # type: ignore[no-untyped-def]
) -> None:
    r = _sign(client, ministry_finance, minimal_pdf(), "quyet-dinh.pdf", level=level)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-signature-level"] == level
    report = _verify(client, r.content, "quyet-dinh-signed.pdf").json()  # no API key: verification is public
    assert report["indication"] == "TOTAL_PASSED", report
    sig = report["signatures"][0]
    assert {"kind": "MDDT", "value": "G12"} in sig["signer"]["identifiers"]
    assert (sig["timestamp"] is not None) == (level != "B-B")
    assert (
        sig["pdf_validator"]["intact"] and sig["pdf_validator"]["valid"] and sig["pdf_validator"]["trusted"]
    )


def test_a_tampered_pdf_is_not_valid(client: TestClient, ministry_finance: Caller, platform_pki) -> None:  # type: ignore[no-untyped-def]
    signed = _sign(client, ministry_finance, minimal_pdf("Quyet dinh so 7"), "qd.pdf").content
    tampered = signed.replace(b"Quyet dinh so 7", b"Quyet dinh so 9")
    assert tampered != signed
    report = _verify(client, tampered).json()
    assert report["indication"] == "TOTAL_FAILED"
    assert report["sub_indication"] == "HASH_FAILURE"


def test_pdf_signed_by_the_platform_passes_pyhankos_own_validator(
    client: TestClient,
    ministry_finance: Caller,
    platform_pki,  # type: ignore[no-untyped-def]
) -> None:
    """An independent check: pyHanko validates our B-LT PDF from its embedded data alone."""
    from io import BytesIO

    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    signed = _sign(client, ministry_finance, minimal_pdf(), "qd.pdf", level="B-LT").content
    root = asn1_x509.Certificate.load(client.get("/pki/ca/root.crt").content)

    def pyhanko_status(pdf: bytes):  # type: ignore[no-untyped-def]
        reader = PdfFileReader(BytesIO(pdf))
        context = DocumentSecurityStore.read_dss(reader).as_validation_context(
            {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail"}
        )
        return validate_pdf_signature(reader.embedded_signatures[0], context)

    status = pyhanko_status(signed)
    assert status.intact and status.valid and status.trusted
    assert not pyhanko_status(signed.replace(b"Quyet dinh so 1", b"Quyet dinh so 2")).intact


def test_json_becomes_a_jws_and_any_file_a_cms_signature(
    client: TestClient,
    ministry_finance: Caller,
    platform_pki,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    jws = _sign(client, ministry_finance, b'{"maHoSo": "G12-261127-0001"}', "ket-qua.json")
    assert jws.headers["content-type"] == "application/jose"
    assert _verify(client, jws.content, "ket-qua.jws").json()["indication"] == "TOTAL_PASSED"

    content = "Biên bản họp".encode()
    p7s = _sign(client, ministry_finance, content, "bien-ban.txt")
    assert p7s.headers["content-type"] == "application/pkcs7-signature"
    assert (
        _verify(client, p7s.content, "bien-ban.txt.p7s", detached=content).json()["indication"]
        == "TOTAL_PASSED"
    )
    changed = _verify(client, p7s.content, detached="Biên bản khác".encode()).json()
    assert changed["indication"] == "TOTAL_FAILED"

    # openssl agrees that the CMS signature is good (chain up to the platform root).
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pems = b"".join(
        x509.load_der_x509_certificate(client.get(f"/pki/ca/{n}.crt").content).public_bytes(Encoding.PEM)
        for n in ("root", "gov")
    )
    (tmp_path / "chain.pem").write_bytes(pems)
    (tmp_path / "sig.p7s").write_bytes(p7s.content)
    (tmp_path / "content.txt").write_bytes(content)
    r = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "sig.p7s",
            "-content",
            "content.txt",
            "-CAfile",
            "chain.pem",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "Verification successful" in r.stderr, r.stderr


def test_signing_needs_a_key_and_is_audited(
    client: TestClient,
    db: Database,
    ministry_finance: Caller,
    platform_pki,  # type: ignore[no-untyped-def]
) -> None:
    assert client.post(f"{API}/sign", files={"file": ("a.pdf", minimal_pdf())}).status_code == 401
    import hashlib

    data = minimal_pdf("audit me")
    assert _sign(client, ministry_finance, data, "a.pdf").status_code == 200
    with db.read() as s:
        entry = s.scalars(
            sa.select(AuditLogEntry).where(
                AuditLogEntry.action == "signing.document.sign",
                AuditLogEntry.object_id == hashlib.sha256(data).hexdigest(),
            )
        ).one()
        assert entry.agency_code == "G12"
        assert entry.after["format"] == "pades"


def test_bad_and_oversized_uploads(client: TestClient, ministry_finance: Caller, platform_pki, app) -> None:  # type: ignore[no-untyped-def]
    garbage = _verify(client, b"\x00\x01 not a signature").json()
    assert garbage["indication"] in ("TOTAL_FAILED", "INDETERMINATE")
    assert garbage["sub_indication"] == "FORMAT_FAILURE"
    not_pdf = _sign(client, ministry_finance, b"hello", "x.txt", format="pades")
    assert not_pdf.status_code == 422
    assert not_pdf.json()["field"] == "format"
    limit = app.state.signing.max_upload
    app.state.signing.max_upload = 1024
    try:
        big = _verify(client, b"%PDF-1.7\n" + b"0" * 4096)
        assert big.status_code == 413
        assert big.json()["field"] == "file"
    finally:
        app.state.signing.max_upload = limit


def test_public_pages(client: TestClient, platform_pki) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/verify")
    assert page.status_code == 200
    assert 'type="file"' in page.text
    pki = client.get("/pki")
    assert "vnegov Government CA" in pki.text
    status = client.get("/pki/status")
    assert status.text.count('class="badge on">OK') == 5


def test_never_a_signature_from_a_revoked_seal(
    client: TestClient,
    province_hanoi: Caller,
    platform_pki,  # type: ignore[no-untyped-def]
) -> None:
    first = _sign(client, province_hanoi, b"to-trinh v1", "to-trinh.txt")
    assert first.status_code == 200, first.text
    seal_serial = first.headers["x-signing-certificate"]
    time.sleep(2.1)  # past the time-stamp's second and its 1 s accuracy: clearly signed before revocation
    r = client.post(
        f"{API}/certificates/{seal_serial}/revoke",
        json={"reason": "key_compromise"},
        headers=province_hanoi.headers,
    )
    assert r.status_code == 200, r.text
    again = _sign(client, province_hanoi, b"to-trinh v2", "to-trinh.txt")
    assert again.status_code == 409
    assert again.json()["code"] == "seal_revoked"
    # What it sealed before the revocation stays valid: the time-stamp proves when it was signed.
    report = _verify(client, first.content, "to-trinh.txt.p7s", detached=b"to-trinh v1").json()
    assert report["indication"] == "TOTAL_PASSED", report["reason_en"]


def test_the_sample_document_verifies(client: TestClient, platform_pki, db: Database) -> None:  # type: ignore[no-untyped-def]
    sample = client.get("/verify/sample.pdf")
    assert sample.status_code == 200
    assert sample.content.startswith(b"%PDF-")
    report = _verify(client, sample.content, "quyet-dinh-mau-signed.pdf").json()
    assert report["indication"] == "TOTAL_PASSED", report["reason_en"]
    assert {"kind": "MDDT", "value": "G22"} in report["signatures"][0]["signer"]["identifiers"]
