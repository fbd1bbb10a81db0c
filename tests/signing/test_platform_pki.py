"""The platform's PKI as agencies and relying parties use it: issue, revoke, CRL, OCSP, TSA.

Every artefact is checked with openssl, not with our own code.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from tests.conftest import Caller
from vnegov.kernel.db import Database
from vnegov.kernel.models import AuditLogEntry, OutboxMessage

API = "/api/v1/signing"


def openssl(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=30)


def _csr(common_name: str, *, dns: list[str] = (), ca: bool = False) -> str:  # type: ignore[assignment]
    key = ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    )
    if dns:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]), critical=False
        )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture()
def files(tmp_path: Path, client: TestClient, platform_pki) -> Path:  # type: ignore[no-untyped-def]
    for name in ("root", "gov", "public"):
        der = client.get(f"/pki/ca/{name}.crt").content
        (tmp_path / f"{name}.pem").write_bytes(
            x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        )
    return tmp_path


def _issue(client: TestClient, who: Caller, **body: object) -> httpx.Response:
    return client.post(f"{API}/certificates", json=body, headers=who.headers)


def test_first_start_made_the_hierarchy(client: TestClient, files: Path) -> None:
    names = [a["name"] for a in client.get(f"{API}/authorities").json()]
    assert names == ["root", "gov", "public"]
    for intermediate in ("gov", "public"):
        r = openssl(files, "verify", "-x509_strict", "-CAfile", "root.pem", f"{intermediate}.pem")
        assert r.returncode == 0, r.stdout + r.stderr


def test_an_agency_gets_a_document_signing_certificate_in_its_own_name(
    client: TestClient, files: Path, ministry_finance: Caller
) -> None:
    r = _issue(
        client,
        ministry_finance,
        profile="document_signing",
        common_name="Nguyễn Văn Bình",
        identifiers=["CCCD:001090001234"],
        key_passphrase="a long passphrase",
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert "MDDT:G12" in body["certificate"]["identifiers"]
    assert "CCCD:001090001234" in body["certificate"]["identifiers"]
    assert body["private_key_pem"].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    (files / "chain.pem").write_text(body["chain_pem"])
    leaf = body["certificate"]["certificate_pem"]
    (files / "leaf.pem").write_text(leaf)
    r = openssl(files, "verify", "-x509_strict", "-CAfile", "root.pem", "-untrusted", "gov.pem", "leaf.pem")
    assert r.returncode == 0, r.stdout + r.stderr
    (files / "key.pem").write_text(body["private_key_pem"])
    decrypted = openssl(files, "pkey", "-in", "key.pem", "-passin", "pass:a long passphrase", "-pubout")
    assert decrypted.returncode == 0
    cert_pub = openssl(files, "x509", "-in", "leaf.pem", "-pubkey", "-noout")
    assert decrypted.stdout == cert_pub.stdout


def test_tls_server_certificate_from_a_csr(client: TestClient, files: Path, ministry_finance: Caller) -> None:
    r = _issue(
        client,
        ministry_finance,
        profile="tls_server",
        csr_pem=_csr("lgsp.mof.gov.vn", dns=["lgsp.mof.gov.vn"]),
    )
    assert r.status_code == 201, r.text
    (files / "leaf.pem").write_text(r.json()["certificate"]["certificate_pem"])
    verify = openssl(
        files, "verify", "-purpose", "sslserver", "-CAfile", "root.pem", "-untrusted", "gov.pem", "leaf.pem"
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    text = openssl(files, "x509", "-in", "leaf.pem", "-noout", "-ext", "subjectAltName").stdout
    assert "DNS:lgsp.mof.gov.vn" in text


@pytest.mark.parametrize(
    ("csr", "field"),
    [
        ("-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----", "csr_pem"),
        (_csr("evil CA", ca=True), "csr_pem"),
    ],
)
def test_bad_requests_name_the_field(
    client: TestClient,
    ministry_finance: Caller,
    platform_pki,  # type: ignore[no-untyped-def]
    csr: str,
    field: str,
) -> None:
    r = _issue(client, ministry_finance, profile="tls_client", csr_pem=csr)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


def test_no_key_passphrase_no_generated_key(
    client: TestClient, ministry_finance: Caller, platform_pki
) -> None:  # type: ignore[no-untyped-def]
    r = _issue(client, ministry_finance, profile="tls_client", common_name="system")
    assert r.status_code == 422
    assert r.json()["field"] == "key_passphrase"


def test_an_agency_cannot_request_in_another_agencys_name(
    client: TestClient,
    ministry_finance: Caller,
    platform_pki,  # type: ignore[no-untyped-def]
) -> None:
    r = _issue(
        client,
        ministry_finance,
        profile="tls_client",
        common_name="x",
        identifiers=["MDDT:H24"],
        key_passphrase="a long passphrase",
    )
    assert r.status_code == 403
    assert r.json()["code"] == "not_holder_agency"


def test_public_ca_needs_a_registration_authority(
    client: TestClient, files: Path, ministry_finance: Caller, operator: Caller
) -> None:
    body = {
        "profile": "document_signing",
        "authority": "public",
        "common_name": "Trần Thị An",
        "identifiers": ["CCCD:079190000001"],
        "key_passphrase": "a long passphrase",
    }
    assert _issue(client, ministry_finance, **body).status_code == 403
    r = _issue(client, operator, **body)
    assert r.status_code == 201, r.text
    (files / "leaf.pem").write_text(r.json()["certificate"]["certificate_pem"])
    assert (
        openssl(files, "verify", "-CAfile", "root.pem", "-untrusted", "public.pem", "leaf.pem").returncode
        == 0
    )
    missing_id = _issue(client, operator, **{**body, "identifiers": []})
    assert missing_id.status_code == 422
    assert missing_id.json()["field"] == "identifiers"


def test_revocation_shows_in_the_crl_and_ocsp(
    client: TestClient, live_server: str, files: Path, db: Database, ministry_finance: Caller
) -> None:
    issued = _issue(
        client,
        ministry_finance,
        profile="tls_client",
        common_name="Hệ thống một cửa",
        key_passphrase="a long passphrase",
    ).json()
    serial = issued["certificate"]["serial"]
    (files / "leaf.pem").write_text(issued["certificate"]["certificate_pem"])
    ocsp_args = [
        "ocsp",
        "-issuer",
        "gov.pem",
        "-cert",
        "leaf.pem",
        "-url",
        f"{live_server}/pki/ocsp",
        "-CAfile",
        "root.pem",
        "-verify_other",
        "gov.pem",
    ]
    good = openssl(files, *ocsp_args)
    assert "leaf.pem: good" in good.stdout, good.stdout + good.stderr
    assert "Response verify OK" in good.stderr

    r = client.post(
        f"{API}/certificates/{serial}/revoke",
        json={"reason": "key_compromise"},
        headers=ministry_finance.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked"

    revoked = openssl(files, *ocsp_args)
    assert "leaf.pem: revoked" in revoked.stdout, revoked.stdout + revoked.stderr
    assert "Reason: keyCompromise" in revoked.stdout

    (files / "gov.crl").write_bytes(httpx.get(f"{live_server}/pki/crl/gov.crl").content)
    crl_text = openssl(files, "crl", "-inform", "DER", "-in", "gov.crl", "-noout", "-text").stdout
    listed = {
        line.split(":", 1)[1].strip().lstrip("0")
        for line in crl_text.splitlines()
        if "Serial Number:" in line
    }
    assert serial.lstrip("0") in listed
    assert "Key Compromise" in crl_text
    openssl(files, "crl", "-inform", "DER", "-in", "gov.crl", "-out", "gov.crl.pem")
    (files / "root.crl").write_bytes(httpx.get(f"{live_server}/pki/crl/root.crl").content)
    openssl(files, "crl", "-inform", "DER", "-in", "root.crl", "-out", "root.crl.pem")
    (files / "crls.pem").write_text(
        (files / "gov.crl.pem").read_text() + (files / "root.crl.pem").read_text()
    )
    verdict = openssl(
        files,
        "verify",
        "-crl_check_all",
        "-CRLfile",
        "crls.pem",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "gov.pem",
        "leaf.pem",
    )
    assert verdict.returncode != 0
    assert "certificate revoked" in verdict.stdout + verdict.stderr

    with db.read() as s:
        actions = set(s.scalars(sa.select(AuditLogEntry.action).where(AuditLogEntry.object_id == serial)))
        assert actions == {"signing.certificate.issue", "signing.certificate.revoke"}
        events = s.scalars(
            sa.select(OutboxMessage.payload).where(OutboxMessage.topic == "signing.certificate.revoked")
        )
        assert any(e["serial"] == serial for e in events)
    again = client.post(f"{API}/certificates/{serial}/revoke", json={}, headers=ministry_finance.headers)
    assert again.status_code == 409


def test_time_stamps_verify_with_openssl(live_server: str, files: Path) -> None:
    (files / "document.txt").write_text("Quyết định số 01/QĐ-UBND", encoding="utf-8")
    openssl(files, "ts", "-query", "-data", "document.txt", "-sha256", "-cert", "-out", "request.tsq")
    r = httpx.post(
        f"{live_server}/pki/tsa",
        content=(files / "request.tsq").read_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/timestamp-reply"
    (files / "reply.tsr").write_bytes(r.content)
    (files / "chain.pem").write_text((files / "root.pem").read_text() + (files / "gov.pem").read_text())
    ok = openssl(files, "ts", "-verify", "-in", "reply.tsr", "-data", "document.txt", "-CAfile", "chain.pem")
    assert "Verification: OK" in ok.stdout, ok.stdout + ok.stderr
    (files / "document.txt").write_text("Quyết định số 02/QĐ-UBND", encoding="utf-8")
    tampered = openssl(
        files, "ts", "-verify", "-in", "reply.tsr", "-data", "document.txt", "-CAfile", "chain.pem"
    )
    assert "Verification: OK" not in tampered.stdout


def test_time_stamp_serials_never_repeat(live_server: str, files: Path) -> None:
    from vnegov.signing.crypto import timestamp_request, verify_timestamp

    serials = set()
    with httpx.Client(base_url=live_server) as c:
        for i in range(50):
            digest = hashes.Hash(hashes.SHA256())
            digest.update(str(i).encode())
            reply = c.post(
                "/pki/tsa",
                content=timestamp_request(digest.finalize()),
                headers={"Content-Type": "application/timestamp-query"},
            ).content
            serials.add(verify_timestamp(reply).serial_number)
    assert len(serials) == 50


def test_others_cannot_see_or_revoke_an_agencys_certificate(
    client: TestClient,
    ministry_finance: Caller,
    province_hanoi: Caller,
    platform_pki,  # type: ignore[no-untyped-def]
) -> None:
    serial = _issue(
        client, ministry_finance, profile="tls_client", common_name="x", key_passphrase="a long passphrase"
    ).json()["certificate"]["serial"]
    assert client.get(f"{API}/certificates/{serial}", headers=province_hanoi.headers).status_code == 404
    r = client.post(f"{API}/certificates/{serial}/revoke", json={}, headers=province_hanoi.headers)
    assert r.status_code == 404
    assert client.get(f"{API}/certificates/{serial}", headers=ministry_finance.headers).status_code == 200
    mine = client.get(f"{API}/certificates", headers=province_hanoi.headers).json()
    assert all(c["agency_code"] == "H24" for c in mine["items"])
    assert client.get(f"{API}/certificates").status_code == 401


def test_renewal_keeps_the_holder_and_links_back(
    client: TestClient, ministry_finance: Caller, platform_pki
) -> None:  # type: ignore[no-untyped-def]
    first = _issue(
        client,
        ministry_finance,
        profile="tls_client",
        common_name="renew me",
        key_passphrase="a long passphrase",
    ).json()["certificate"]
    r = client.post(f"{API}/certificates/{first['serial']}/renew", json={}, headers=ministry_finance.headers)
    assert r.status_code == 201, r.text
    renewed = r.json()["certificate"]
    assert renewed["renewal_of"] == first["serial"]
    assert renewed["serial"] != first["serial"]
    assert renewed["subject"] == first["subject"]


def test_diagnostics_say_everything_works(client: TestClient, platform_pki) -> None:  # type: ignore[no-untyped-def]
    report = client.get(f"{API}/diagnostics").json()
    assert {c["name"]: c["ok"] for c in report["checks"]} == {
        "authorities": True,
        "crl": True,
        "ocsp": True,
        "tsa": True,
        "clock": True,
    }
    assert report["ok"] is True


def test_garbage_protocol_requests_get_protocol_errors(client: TestClient, platform_pki) -> None:  # type: ignore[no-untyped-def]
    from cryptography.x509 import ocsp

    r = client.post("/pki/ocsp", content=b"garbage", headers={"Content-Type": "application/ocsp-request"})
    assert r.status_code == 200
    assert ocsp.load_der_ocsp_response(r.content).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    wrong_type = client.post("/pki/tsa", content=b"x", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 422
    assert wrong_type.json()["field"] == "content-type"


def test_cached_ocsp_answers_do_not_outlive_a_revocation(
    client: TestClient,
    ministry_finance: Caller,
    platform_pki,  # type: ignore[no-untyped-def]
) -> None:
    from cryptography.x509 import ocsp

    issued = _issue(
        client,
        ministry_finance,
        profile="tls_client",
        common_name="cache test",
        key_passphrase="a long passphrase",
    ).json()
    leaf = x509.load_pem_x509_certificate(issued["certificate"]["certificate_pem"].encode())
    gov = x509.load_der_x509_certificate(client.get("/pki/ca/gov.crt").content)
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, gov, hashes.SHA256()).build()  # no nonce
    der = request.public_bytes(serialization.Encoding.DER)

    def ask() -> ocsp.OCSPCertStatus:
        r = client.post("/pki/ocsp", content=der, headers={"Content-Type": "application/ocsp-request"})
        return ocsp.load_der_ocsp_response(r.content).certificate_status

    assert ask() == ocsp.OCSPCertStatus.GOOD
    assert ask() == ocsp.OCSPCertStatus.GOOD  # served from the cache
    serial = issued["certificate"]["serial"]
    client.post(f"{API}/certificates/{serial}/revoke", json={}, headers=ministry_finance.headers)
    assert ask() == ocsp.OCSPCertStatus.REVOKED


def test_reading_a_persons_identifiers_is_logged(
    client: TestClient,
    db: Database,
    ministry_finance: Caller,
    platform_pki,  # type: ignore[no-untyped-def]
) -> None:
    issued = _issue(
        client,
        ministry_finance,
        profile="document_signing",
        common_name="Đỗ Văn Em",
        identifiers=["CCCD:001090007777"],
        key_passphrase="a long passphrase",
    ).json()
    serial = issued["certificate"]["serial"]
    assert client.get(f"{API}/certificates/{serial}", headers=ministry_finance.headers).status_code == 200
    with db.read() as s:
        reads = s.execute(
            sa.select(AuditLogEntry.agency_code, AuditLogEntry.after).where(
                AuditLogEntry.action == "personal_data.read", AuditLogEntry.object_id == serial
            )
        ).all()
    assert len(reads) == 1
    assert reads[0].agency_code == "G12"
    assert reads[0].after["serials"] == [serial]
