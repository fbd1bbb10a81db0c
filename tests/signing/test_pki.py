"""Certificate authority: chains that `openssl verify` accepts, profiles, CSRs, identifiers, renewal."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from vnegov.signing.crypto import (
    DOCUMENT_SIGNING,
    END_ENTITY_PROFILES,
    ID_KP_DOCUMENT_SIGNING,
    INTERMEDIATE_CA,
    OCSP_SIGNING,
    TIME_STAMPING,
    TLS_CLIENT,
    TLS_SERVER,
    CertificateAuthority,
    CertificateProfile,
    CsrError,
    FileSigner,
    IdentifierKind,
    ProfileError,
    PublicKey,
    SignatureAlgorithm,
    SubjectError,
    UnsupportedKeyError,
    VnIdentifier,
    create_intermediate_ca,
    create_root_ca,
    identifiers_in,
    issue_certificate,
    issue_from_csr,
    issue_with_new_key,
    load_certificate,
    renew_certificate,
    subject_name,
)

from .conftest import OpenSSL, Pki

AGENCY = VnIdentifier(IdentifierKind.AGENCY, "000.00.00.G12")
PERSON = VnIdentifier(IdentifierKind.PERSON, "001089020747")
PURPOSES = {"tls_server": "sslserver", "tls_client": "sslclient", "time_stamping": "timestampsign"}
SAN = [x509.DNSName("dichvucong.test.gov.vn"), x509.IPAddress(ipaddress.ip_address("10.1.2.3"))]


def _issue(pki: Pki, profile: CertificateProfile, algorithm: str = "ecdsa-p256") -> x509.Certificate:
    _signer, cert = issue_with_new_key(
        pki.gov,
        subject_name(f"Hệ thống {profile.name}", organization="Bộ Tư pháp", province="Hà Nội"),
        profile,
        algorithm=algorithm,
        identifiers=[AGENCY] if profile.requires_identifier else (),
        subject_alt_names=SAN if profile.requires_san else (),
    )
    return cert


def _verify(openssl: OpenSSL, pki: Pki, leaf: Path, *extra: str) -> str:
    done = openssl(
        "verify",
        "-x509_strict",
        *extra,
        "-CAfile",
        pki.folder / "root.pem",
        "-untrusted",
        pki.folder / "gov.pem",
        leaf,
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize("profile", END_ENTITY_PROFILES, ids=lambda p: p.name)
def test_every_profile_verifies_with_openssl(profile: CertificateProfile, pki: Pki, openssl: OpenSSL) -> None:
    leaf = pki.write(f"{profile.name}.pem", _issue(pki, profile))
    purpose = ("-purpose", PURPOSES[profile.name]) if profile.name in PURPOSES else ()
    assert _verify(openssl, pki, leaf, *purpose).strip() == f"{leaf}: OK"


def test_rsa_tls_server_verifies_and_gets_key_encipherment(pki: Pki, openssl: OpenSSL) -> None:
    cert = _issue(pki, TLS_SERVER, "rsa-3072")
    assert _verify(openssl, pki, pki.write("rsa.pem", cert), "-purpose", "sslserver").endswith(": OK\n")
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment
    ec_usage = _issue(pki, TLS_SERVER).extensions.get_extension_for_class(x509.KeyUsage).value
    assert ec_usage.digital_signature and not ec_usage.key_encipherment


def test_ca_certificates_have_the_right_constraints(pki: Pki, openssl: OpenSSL) -> None:
    root_bc = pki.root.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    gov_bc = pki.gov.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert root_bc.critical and root_bc.value.ca and root_bc.value.path_length is None
    assert gov_bc.critical and gov_bc.value.ca and gov_bc.value.path_length == 0
    text = openssl("x509", "-in", pki.folder / "gov.pem", "-noout", "-text", check=True).stdout
    assert "CA:TRUE, pathlen:0" in text and "Certificate Sign, CRL Sign" in text
    assert "URI:http://pki.test/root.crl" in text


def test_special_purpose_extensions(pki: Pki, openssl: OpenSSL) -> None:
    tsa_eku = pki.tsa_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert tsa_eku.critical and list(tsa_eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    tsa_ku = pki.tsa_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert tsa_ku.digital_signature and not tsa_ku.content_commitment and not tsa_ku.key_encipherment
    ocsp_text = openssl("x509", "-in", pki.folder / "ocsp.pem", "-noout", "-text", check=True).stdout
    assert "OCSP No Check" in ocsp_text and "OCSP Signing" in ocsp_text
    assert "OCSP - URI" not in ocsp_text  # a no-check responder certificate is never asked about
    doc = _issue(pki, DOCUMENT_SIGNING)
    doc_ku = doc.extensions.get_extension_for_class(x509.KeyUsage).value
    assert doc_ku.digital_signature and doc_ku.content_commitment
    assert list(doc.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ID_KP_DOCUMENT_SIGNING
    ]


def test_aia_and_crl_urls_and_policies_are_written(pki: Pki, openssl: OpenSSL) -> None:
    signer = FileSigner.generate()
    cert = issue_certificate(
        pki.gov,
        subject_name("Cổng DVC"),
        signer.public_key(),
        TLS_SERVER,
        subject_alt_names=SAN,
        policies=["2.23.140.1.2.2"],
    )
    text = openssl("x509", "-in", pki.write("aia.pem", cert), "-noout", "-text", check=True).stdout
    assert "OCSP - URI:http://pki.test/ocsp" in text
    assert "CA Issuers - URI:http://pki.test/gov.crt" in text
    assert "URI:http://pki.test/gov.crl" in text
    assert "Policy: 2.23.140.1.2.2" in text
    assert "DNS:dichvucong.test.gov.vn, IP Address:10.1.2.3" in text


def test_vietnamese_identifiers_go_into_uid(pki: Pki, openssl: OpenSSL) -> None:
    business = VnIdentifier(IdentifierKind.ENTERPRISE, "0101234567-001")
    subject = subject_name("CÔNG TY TNHH ABC", organization="CÔNG TY TNHH ABC", province="Hà Nội")
    signer = FileSigner.generate()
    cert = issue_certificate(
        pki.gov, subject, signer.public_key(), DOCUMENT_SIGNING, identifiers=[business, PERSON]
    )
    printed = openssl(
        "x509",
        "-in",
        pki.write("uid.pem", cert),
        "-noout",
        "-subject",
        "-nameopt",
        "RFC2253,-esc_msb",
        check=True,
    ).stdout
    assert "UID=CCCD:001089020747,UID=MST:0101234567-001,CN=CÔNG TY TNHH ABC" in printed
    assert printed.strip().endswith("C=VN")
    assert identifiers_in(cert.subject) == [business, PERSON]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (IdentifierKind.PERSON, "00108902074"),  # 11 digits
        (IdentifierKind.ENTERPRISE, "01012345"),
        (IdentifierKind.AGENCY, "g12"),
        (IdentifierKind.AGENCY, "000.00.00.123"),
        (IdentifierKind.BUDGET_UNIT, "10476"),
    ],
)
def test_malformed_identifiers_are_refused(kind: IdentifierKind, value: str) -> None:
    with pytest.raises(SubjectError):
        VnIdentifier(kind, value)


def test_identifier_forms_that_are_accepted() -> None:
    assert VnIdentifier(IdentifierKind.AGENCY, "G12").uid == "MDDT:G12"
    assert VnIdentifier(IdentifierKind.AGENCY, "000.00.18.G12").value == "000.00.18.G12"
    assert VnIdentifier(IdentifierKind.AGENCY, "H55.242").value == "H55.242"  # QĐ 20/2020, level 1 first
    assert VnIdentifier.parse("MNS:1047665") == VnIdentifier(IdentifierKind.BUDGET_UNIT, "1047665")
    assert VnIdentifier.parse("CMND:162952530").kind is IdentifierKind.LEGACY_ID
    with pytest.raises(SubjectError):
        VnIdentifier.parse("alice")


def test_document_signing_needs_an_identifier(pki: Pki) -> None:
    signer = FileSigner.generate()
    with pytest.raises(SubjectError, match="identifier"):
        issue_certificate(pki.gov, subject_name("Nguyễn Văn A"), signer.public_key(), DOCUMENT_SIGNING)


def _csr(openssl: OpenSSL, tmp_path: Path, subj: str, *extra: str, key: str = "ec") -> bytes:
    key_args = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if key == "ec" else ["-newkey", key]
    openssl(
        "req",
        "-new",
        *key_args,
        "-nodes",
        "-keyout",
        "k.pem",
        "-subj",
        subj,
        *extra,
        "-out",
        "r.csr",
        check=True,
    )
    return (tmp_path / "r.csr").read_bytes()


def test_issue_from_openssl_csr(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    csr = _csr(
        openssl,
        tmp_path,
        "/C=VN/ST=Hà Nội/O=Văn phòng Chính phủ/CN=api.test.gov.vn",
        "-utf8",
        "-addext",
        "subjectAltName=DNS:api.test.gov.vn",
        "-addext",
        "keyUsage=critical,digitalSignature",
    )
    cert = issue_from_csr(pki.gov, csr, TLS_SERVER)
    leaf = pki.write("from-csr.pem", cert)
    assert _verify(openssl, pki, leaf, "-purpose", "sslserver").strip() == f"{leaf}: OK"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Văn phòng Chính phủ"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["api.test.gov.vn"]
    # the certificate is for the key in the request: openssl matches it with the private key
    modulus = openssl("x509", "-in", leaf, "-noout", "-pubkey", check=True).stdout
    assert modulus == openssl("pkey", "-in", "k.pem", "-pubout", check=True).stdout


def test_csr_uid_must_match_the_verified_identifier(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    csr = _csr(openssl, tmp_path, "/C=VN/CN=Nguyen Van A/UID=CCCD:001089020747")
    cert = issue_from_csr(pki.gov, csr, DOCUMENT_SIGNING, identifiers=[PERSON])
    assert [a.value for a in cert.subject.get_attributes_for_oid(NameOID.USER_ID)] == ["CCCD:001089020747"]
    with pytest.raises(SubjectError, match="not verified"):
        issue_from_csr(
            pki.gov, csr, DOCUMENT_SIGNING, identifiers=[VnIdentifier(IdentifierKind.PERSON, "0" * 12)]
        )


def test_malformed_csr_is_refused(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    with pytest.raises(CsrError, match="malformed"):
        issue_from_csr(pki.gov, b"this is not a request", TLS_CLIENT, identifiers=[AGENCY])
    broken_pem = b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
    with pytest.raises(CsrError) as caught:
        issue_from_csr(pki.gov, broken_pem, TLS_CLIENT, identifiers=[AGENCY])
    assert caught.value.code == "csr_invalid" and caught.value.field == "csr"


def test_csr_with_a_bad_signature_is_refused(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    _csr(openssl, tmp_path, "/C=VN/CN=tampered")
    openssl("req", "-in", "r.csr", "-outform", "DER", "-out", "r.der", check=True)
    der = bytearray((tmp_path / "r.der").read_bytes())
    der[-5] ^= 0x01  # inside the signature value
    with pytest.raises(CsrError, match="proof of key possession"):
        issue_from_csr(pki.gov, bytes(der), TLS_CLIENT, identifiers=[AGENCY])


def test_csr_asking_for_ca_is_refused(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    csr = _csr(openssl, tmp_path, "/C=VN/CN=would-be CA", "-addext", "basicConstraints=critical,CA:TRUE")
    with pytest.raises(ProfileError, match="CA=true"):
        issue_from_csr(pki.gov, csr, TLS_CLIENT, identifiers=[AGENCY])
    with pytest.raises(ProfileError, match="CA profile"):
        issue_from_csr(pki.gov, csr, INTERMEDIATE_CA)


def test_csr_asking_for_more_usage_than_the_profile_is_refused(
    pki: Pki, openssl: OpenSSL, tmp_path: Path
) -> None:
    csr = _csr(
        openssl, tmp_path, "/C=VN/CN=sneaky", "-addext", "keyUsage=critical,digitalSignature,keyCertSign"
    )
    with pytest.raises(ProfileError, match="key_cert_sign"):
        issue_from_csr(pki.gov, csr, TLS_CLIENT, identifiers=[AGENCY])
    csr = _csr(openssl, tmp_path, "/C=VN/CN=sneaky", "-addext", "extendedKeyUsage=codeSigning")
    with pytest.raises(ProfileError, match="extended key usage"):
        issue_from_csr(pki.gov, csr, TLS_CLIENT, identifiers=[AGENCY])


def test_key_type_must_fit_the_profile(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    csr = _csr(
        openssl,
        tmp_path,
        "/C=VN/CN=ed.test.gov.vn",
        "-addext",
        "subjectAltName=DNS:ed.test.gov.vn",
        key="ed25519",
    )
    with pytest.raises(ProfileError, match="ed25519 key does not fit the tls_server"):
        issue_from_csr(pki.gov, csr, TLS_SERVER)
    client = issue_from_csr(pki.gov, csr, TLS_CLIENT, identifiers=[AGENCY], subject_alt_names=[])
    assert _verify(openssl, pki, pki.write("ed.pem", client), "-purpose", "sslclient").endswith(": OK\n")
    weak = _csr(openssl, tmp_path, "/C=VN/CN=weak", key="rsa:1024")
    with pytest.raises(UnsupportedKeyError, match="1024"):
        issue_from_csr(pki.gov, weak, TLS_CLIENT, identifiers=[AGENCY])


def test_tls_server_needs_names(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    csr = _csr(openssl, tmp_path, "/C=VN/CN=no-san")
    with pytest.raises(ProfileError, match="DNS names") as caught:
        issue_from_csr(pki.gov, csr, TLS_SERVER)
    assert caught.value.field == "subject_alt_names"


def test_renew_keeps_subject_and_names_with_a_new_serial(pki: Pki, openssl: OpenSSL) -> None:
    old = _issue(pki, TLS_SERVER)
    same_key = renew_certificate(pki.gov, old, TLS_SERVER)
    new_signer = FileSigner.generate("ecdsa-p384")
    new_key = renew_certificate(pki.gov, old, TLS_SERVER, public_key=new_signer.public_key())
    for renewed in (same_key, new_key):
        assert renewed.subject == old.subject and renewed.serial_number != old.serial_number
        assert renewed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value == (
            old.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        )
        assert _verify(openssl, pki, pki.write("renewed.pem", renewed)).endswith(": OK\n")
    assert same_key.public_key() == old.public_key()
    assert new_key.public_key() == new_signer.public_key()
    with pytest.raises(ProfileError, match="not issued by this CA"):
        renew_certificate(pki.gov, pki.gov.certificate, TLS_SERVER)


def test_serials_are_unique_positive_and_at_most_159_bits(pki: Pki) -> None:
    key = FileSigner.generate().public_key()
    subject = subject_name("serial test", identifiers=[AGENCY])
    serials = {
        issue_certificate(pki.gov, subject, key, TLS_CLIENT, identifiers=[AGENCY]).serial_number
        for _ in range(1000)
    }
    assert len(serials) == 1000
    assert all(0 < s < 2**159 for s in serials)
    assert max(serials).bit_length() > 150  # random, not a counter


def test_leaf_never_outlives_its_ca(pki: Pki) -> None:
    cert = issue_certificate(
        pki.gov,
        subject_name("long"),
        FileSigner.generate().public_key(),
        TLS_CLIENT,
        identifiers=[AGENCY],
        validity=timedelta(days=365 * 40),
    )
    assert cert.not_valid_after_utc == pki.gov.certificate.not_valid_after_utc


def test_ca_refuses_a_signer_that_does_not_hold_its_key(pki: Pki) -> None:
    with pytest.raises(UnsupportedKeyError, match="does not hold"):
        CertificateAuthority(pki.gov.certificate, FileSigner.generate())


class OpaqueSigner:
    """Stands in for an HSM: signs through the interface, never shows its private key."""

    def __init__(self, algorithm: str) -> None:
        self._inner = FileSigner.generate(algorithm)
        self.calls = 0

    @property
    def algorithm(self) -> SignatureAlgorithm:
        return self._inner.algorithm

    def public_key(self) -> PublicKey:
        return self._inner.public_key()

    def sign(self, data: bytes) -> bytes:
        self.calls += 1
        return self._inner.sign(data)


@pytest.mark.parametrize("algorithm", ["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-3072"])
def test_hsm_style_signer_builds_a_chain_openssl_accepts(
    algorithm: str, openssl: OpenSSL, tmp_path: Path
) -> None:
    root_signer, inter_signer = OpaqueSigner(algorithm), OpaqueSigner("ecdsa-p256")
    root_cert = create_root_ca(subject_name("HSM Root"), root_signer)
    root = CertificateAuthority(root_cert, root_signer)
    inter = CertificateAuthority(
        create_intermediate_ca(root, subject_name("HSM Sub CA"), inter_signer.public_key()), inter_signer
    )
    _key, leaf = issue_with_new_key(inter, subject_name("ocsp"), OCSP_SIGNING)
    for name, cert in (("root.pem", root_cert), ("inter.pem", inter.certificate), ("leaf.pem", leaf)):
        (tmp_path / name).write_bytes(cert.public_bytes(Encoding.PEM))
    done = openssl("verify", "-x509_strict", "-CAfile", "root.pem", "-untrusted", "inter.pem", "leaf.pem")
    assert done.stdout.strip() == "leaf.pem: OK", done.stderr
    assert root_signer.calls == 2 and inter_signer.calls == 1
    assert load_certificate(leaf.public_bytes(Encoding.DER)) == leaf


def test_time_stamping_refuses_ed25519(pki: Pki) -> None:
    with pytest.raises(ProfileError, match="time_stamping"):
        issue_with_new_key(pki.gov, subject_name("tsa"), TIME_STAMPING, algorithm="ed25519")


def test_an_expired_ca_issues_nothing(pki: Pki) -> None:
    later = pki.gov.certificate.not_valid_after_utc + timedelta(days=1)
    with pytest.raises(ProfileError, match="expired"):
        issue_with_new_key(pki.gov, subject_name("late"), TLS_CLIENT, identifiers=[AGENCY], now=later)


def test_a_caller_serial_must_be_positive_and_fit(pki: Pki) -> None:
    key = FileSigner.generate().public_key()
    assert issue_certificate(pki.gov, subject_name("s"), key, OCSP_SIGNING, serial=77).serial_number == 77
    with pytest.raises(ProfileError, match="serial"):
        issue_certificate(pki.gov, subject_name("s"), key, OCSP_SIGNING, serial=2**159)
    with pytest.raises(ProfileError, match="not a CA"):
        CertificateAuthority(pki.ocsp_cert, pki.ocsp_signer)
