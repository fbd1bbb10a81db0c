"""Certificate status: CRLs checked by `openssl verify -crl_check`, OCSP answers checked by `openssl ocsp`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from vnegov.signing.crypto import (
    OCSP_SIGNING,
    TLS_CLIENT,
    CertificateAuthority,
    FileSigner,
    IdentifierKind,
    OcspResponder,
    ProfileError,
    Revocation,
    RevocationReason,
    SerialStatus,
    VnIdentifier,
    build_crl,
    create_root_ca,
    issue_certificate,
    issue_with_new_key,
    respond_ocsp,
    subject_name,
)

from .conftest import OpenSSL, Pki
from .test_pki import OpaqueSigner

AGENCY = VnIdentifier(IdentifierKind.AGENCY, "H29")
REVOKED_AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _leaf(pki: Pki, tmp_path: Path, name: str = "leaf.pem") -> x509.Certificate:
    _signer, cert = issue_with_new_key(
        pki.gov, subject_name("Hệ thống một cửa"), TLS_CLIENT, identifiers=[AGENCY]
    )
    (tmp_path / name).write_bytes(cert.public_bytes(Encoding.PEM))
    return cert


def _write_crls(pki: Pki, tmp_path: Path, revoked: list[Revocation]) -> None:
    gov_crl = build_crl(pki.gov, revoked, crl_number=7)
    root_crl = build_crl(pki.root, [], crl_number=1)
    pem = b"".join(c.public_bytes(Encoding.PEM) for c in (gov_crl, root_crl))
    (tmp_path / "crl.pem").write_bytes(pem)
    (tmp_path / "gov-crl.pem").write_bytes(gov_crl.public_bytes(Encoding.PEM))


def _crl_verify(openssl: OpenSSL, pki: Pki) -> str:
    done = openssl(
        "verify",
        "-crl_check_all",
        "-CRLfile",
        "crl.pem",
        "-CAfile",
        pki.folder / "root.pem",
        "-untrusted",
        pki.folder / "gov.pem",
        "leaf.pem",
    )
    return done.stdout + done.stderr


def test_crl_revokes_the_leaf_for_openssl(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    leaf = _leaf(pki, tmp_path)
    _write_crls(pki, tmp_path, [])
    assert _crl_verify(openssl, pki).strip() == "leaf.pem: OK"
    _write_crls(pki, tmp_path, [Revocation(leaf.serial_number, REVOKED_AT, RevocationReason.KEY_COMPROMISE)])
    result = _crl_verify(openssl, pki)
    assert "certificate revoked" in result and "leaf.pem: OK" not in result


def test_crl_text_shows_reason_number_and_dates(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    entries = [
        Revocation(0x1234, REVOKED_AT, RevocationReason.KEY_COMPROMISE),
        Revocation(0x5678, REVOKED_AT, RevocationReason.SUPERSEDED),
        Revocation(0x9ABC, REVOKED_AT),
    ]
    this_update = datetime(2026, 3, 2, tzinfo=UTC)
    crl = build_crl(pki.gov, entries, crl_number=42, this_update=this_update)
    (tmp_path / "c.pem").write_bytes(crl.public_bytes(Encoding.PEM))
    text = openssl("crl", "-in", "c.pem", "-noout", "-text", check=True).stdout
    assert "Key Compromise" in text and "Superseded" in text
    assert text.count("CRL Reason Code") == 2  # "unspecified" is left out, as RFC 5280 asks
    assert "X509v3 CRL Number: \n                42" in text
    assert "Last Update: Mar  2 00:00:00 2026 GMT" in text and "Next Update: Mar  3 00:00:00 2026 GMT" in text
    assert "Revocation Date: Mar  1 08:00:00 2026 GMT" in text
    signed = openssl("crl", "-in", "c.pem", "-noout", "-CAfile", pki.folder / "chain.pem")
    assert "verify OK" in signed.stdout + signed.stderr


def test_crl_number_must_fit_20_octets(pki: Pki) -> None:
    with pytest.raises(ProfileError, match="CRL number"):
        build_crl(pki.gov, [], crl_number=2**159)


def _responder(pki: Pki, statuses: dict[int, SerialStatus]) -> OcspResponder:
    return OcspResponder(
        pki.gov.certificate, pki.ocsp_cert, pki.ocsp_signer, lambda s: statuses.get(s, SerialStatus.unknown())
    )


def _ocsp_status(openssl: OpenSSL, pki: Pki, cert_id_hash: str = "-sha1") -> str:
    done = openssl(
        "ocsp",
        "-respin",
        "resp.der",
        "-VAfile",
        pki.folder / "ocsp.pem",
        "-issuer",
        pki.folder / "gov.pem",
        cert_id_hash,
        "-cert",
        "leaf.pem",
        "-no_nonce",
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize("cert_id_hash", ["-sha1", "-sha256"])
def test_ocsp_good_then_revoked_verified_by_openssl(
    cert_id_hash: str, pki: Pki, openssl: OpenSSL, tmp_path: Path
) -> None:
    leaf = _leaf(pki, tmp_path)
    openssl(
        "ocsp",
        "-issuer",
        pki.folder / "gov.pem",
        cert_id_hash,
        "-cert",
        "leaf.pem",
        "-reqout",
        "req.der",
        check=True,
    )
    request = (tmp_path / "req.der").read_bytes()
    statuses = {leaf.serial_number: SerialStatus.good()}
    (tmp_path / "resp.der").write_bytes(respond_ocsp(request, [_responder(pki, statuses)]))
    good = _ocsp_status(openssl, pki, cert_id_hash)
    assert "Response verify OK" in good and "leaf.pem: good" in good
    # openssl checks the echoed nonce against the request it made
    with_nonce = openssl(
        "ocsp", "-reqin", "req.der", "-respin", "resp.der", "-VAfile", pki.folder / "ocsp.pem"
    )
    assert with_nonce.returncode == 0 and "Response verify OK" in with_nonce.stderr + with_nonce.stdout

    statuses[leaf.serial_number] = SerialStatus.revoked(REVOKED_AT, RevocationReason.KEY_COMPROMISE)
    (tmp_path / "resp.der").write_bytes(respond_ocsp(request, [_responder(pki, statuses)]))
    revoked = _ocsp_status(openssl, pki, cert_id_hash)
    assert "leaf.pem: revoked" in revoked and "Reason: keyCompromise" in revoked
    assert "Revocation Time: Mar  1 08:00:00 2026 GMT" in revoked and "Response verify OK" in revoked


def test_ocsp_chain_of_the_delegated_responder_verifies(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    leaf = _leaf(pki, tmp_path)
    openssl("ocsp", "-issuer", pki.folder / "gov.pem", "-cert", "leaf.pem", "-reqout", "req.der", check=True)
    responder = _responder(pki, {leaf.serial_number: SerialStatus.good()})
    (tmp_path / "resp.der").write_bytes(respond_ocsp((tmp_path / "req.der").read_bytes(), [responder]))
    done = openssl(
        "ocsp",
        "-respin",
        "resp.der",
        "-CAfile",
        pki.folder / "chain.pem",
        "-issuer",
        pki.folder / "gov.pem",
        "-cert",
        "leaf.pem",
        "-no_nonce",
    )
    assert "Response verify OK" in done.stdout + done.stderr and "leaf.pem: good" in done.stdout


def test_ocsp_response_fields(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    _leaf(pki, tmp_path)
    openssl("ocsp", "-issuer", pki.folder / "gov.pem", "-cert", "leaf.pem", "-reqout", "req.der", check=True)
    request = ocsp.load_der_ocsp_request((tmp_path / "req.der").read_bytes())
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    der = respond_ocsp(request.public_bytes(Encoding.DER), [_responder(pki, {})], now=now)
    response = ocsp.load_der_ocsp_response(der)
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status is ocsp.OCSPCertStatus.UNKNOWN  # a serial the CA never issued
    assert response.this_update_utc == now and response.next_update_utc == now + timedelta(hours=1)
    assert (
        response.responder_key_hash
        == pki.ocsp_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    )
    nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    assert response.certificates == [pki.ocsp_cert]


def test_ocsp_without_nonce_has_none(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    _leaf(pki, tmp_path)
    openssl(
        "ocsp",
        "-issuer",
        pki.folder / "gov.pem",
        "-cert",
        "leaf.pem",
        "-no_nonce",
        "-reqout",
        "req.der",
        check=True,
    )
    response = ocsp.load_der_ocsp_response(
        respond_ocsp((tmp_path / "req.der").read_bytes(), [_responder(pki, {})])
    )
    with pytest.raises(x509.ExtensionNotFound):
        response.extensions.get_extension_for_class(x509.OCSPNonce)


def test_garbage_ocsp_request_gets_malformed_request(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    der = respond_ocsp(b"\x30\x03\x02\x01\x00 not an ocsp request", [_responder(pki, {})])
    assert ocsp.load_der_ocsp_response(der).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    (tmp_path / "resp.der").write_bytes(der)
    text = openssl("ocsp", "-respin", "resp.der", "-resp_text", "-noverify").stdout
    assert "malformedrequest" in text.lower()
    assert ocsp.load_der_ocsp_response(respond_ocsp(b"", [])).response_status is (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_request_for_another_issuer_is_unauthorized(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    stranger_key = FileSigner.generate()
    stranger = CertificateAuthority(create_root_ca(subject_name("Stranger CA"), stranger_key), stranger_key)
    _signer, cert = issue_with_new_key(stranger, subject_name("x"), TLS_CLIENT, identifiers=[AGENCY])
    (tmp_path / "s.pem").write_bytes(stranger.certificate.public_bytes(Encoding.PEM))
    (tmp_path / "x.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    openssl("ocsp", "-issuer", "s.pem", "-cert", "x.pem", "-reqout", "req.der", check=True)
    der = respond_ocsp((tmp_path / "req.der").read_bytes(), [_responder(pki, {})])
    assert ocsp.load_der_ocsp_response(der).response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_failing_lookup_is_an_internal_error(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    _leaf(pki, tmp_path)
    openssl("ocsp", "-issuer", pki.folder / "gov.pem", "-cert", "leaf.pem", "-reqout", "req.der", check=True)

    def broken(serial: int) -> SerialStatus:
        raise RuntimeError("database down")

    responder = OcspResponder(pki.gov.certificate, pki.ocsp_cert, pki.ocsp_signer, broken)
    der = respond_ocsp((tmp_path / "req.der").read_bytes(), [responder])
    assert ocsp.load_der_ocsp_response(der).response_status is ocsp.OCSPResponseStatus.INTERNAL_ERROR


def test_responder_certificate_must_be_an_ocsp_signer_of_that_ca(pki: Pki) -> None:
    with pytest.raises(ProfileError, match="OCSPSigning"):
        OcspResponder(pki.gov.certificate, pki.tsa_cert, pki.tsa_signer, lambda s: SerialStatus.good())
    with pytest.raises(ProfileError, match="issued by the CA"):
        OcspResponder(pki.root.certificate, pki.ocsp_cert, pki.ocsp_signer, lambda s: SerialStatus.good())


def test_hsm_style_signer_signs_crl_and_ocsp(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    leaf = _leaf(pki, tmp_path)
    hsm = OpaqueSigner("ecdsa-p256")
    responder_cert = issue_certificate(pki.gov, subject_name("HSM OCSP"), hsm.public_key(), OCSP_SIGNING)
    (tmp_path / "hsm-ocsp.pem").write_bytes(responder_cert.public_bytes(Encoding.PEM))
    openssl("ocsp", "-issuer", pki.folder / "gov.pem", "-cert", "leaf.pem", "-reqout", "req.der", check=True)
    responder = OcspResponder(pki.gov.certificate, responder_cert, hsm, lambda s: SerialStatus.good())
    (tmp_path / "resp.der").write_bytes(respond_ocsp((tmp_path / "req.der").read_bytes(), [responder]))
    done = openssl(
        "ocsp",
        "-respin",
        "resp.der",
        "-VAfile",
        "hsm-ocsp.pem",
        "-issuer",
        pki.folder / "gov.pem",
        "-cert",
        "leaf.pem",
        "-no_nonce",
    )
    assert "Response verify OK" in done.stdout + done.stderr and "leaf.pem: good" in done.stdout
    assert hsm.calls == 1
    ca_hsm = OpaqueSigner("ed25519")
    ca = CertificateAuthority(create_root_ca(subject_name("HSM CA"), ca_hsm), ca_hsm)
    crl = build_crl(
        ca,
        [Revocation(leaf.serial_number, REVOKED_AT, RevocationReason.CESSATION_OF_OPERATION)],
        crl_number=1,
    )
    assert crl.is_signature_valid(ca_hsm.public_key())
