"""Keys in an HSM: `Pkcs11Signer` against SoftHSM2, checked with `openssl verify`, `crl` and `ts -verify`.

Needs SoftHSM2 (Debian: `apt-get install softhsm2`, module /usr/lib/softhsm/libsofthsm2.so, or the
path in VNEGOV_PKCS11_MODULE). Without it the tests skip, unless VNEGOV_REQUIRE_HSM is set (CI), in
which case they fail. One SoftHSM2 token folder per test session: SoftHSM2 reads SOFTHSM2_CONF in
C_Initialize, which python-pkcs11 calls when it first loads the module (`pkcs11.lib`), and it only
sees tokens initialised before that call, so the fixture initialises its tokens first and then
re-initialises the module (`refresh_pkcs11_module`) in case something loaded it earlier.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pkcs11
import pytest
from asn1crypto import algos
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11 import exceptions as p11

from vnegov.kernel.errors import Conflict, UpstreamUnavailable
from vnegov.signing.crypto import (
    OCSP_SIGNING,
    TIME_STAMPING,
    TLS_CLIENT,
    CertificateAuthority,
    FileSigner,
    IdentifierKind,
    IssuerUrls,
    Revocation,
    RevocationReason,
    Signer,
    TimeStampAuthority,
    UnsupportedKeyError,
    VnIdentifier,
    build_crl,
    chain_pem,
    create_intermediate_ca,
    create_root_ca,
    issue_certificate,
    issue_with_new_key,
    respond_timestamp,
    subject_name,
    verify_timestamp,
)
from vnegov.signing.crypto.keys import verify_signature
from vnegov.signing.crypto.pkcs11 import (
    HsmError,
    HsmKeyNotFound,
    HsmModuleNotFound,
    HsmPinIncorrect,
    HsmTokenNotFound,
    Pkcs11Signer,
    generate_key_on_token,
    open_pkcs11_signer,
    refresh_pkcs11_module,
)

from .conftest import PIN_TOKEN, OpenSSL, Pki, SoftHsm

AGENCY = VnIdentifier(IdentifierKind.AGENCY, "000.00.00.G12")
REVOKED_AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
DOCUMENT = "Quyết định số 7/QĐ-UBND ký bằng khóa trong HSM\n".encode()


def _write(tmp_path: Path, name: str, *items: x509.Certificate | x509.CertificateRevocationList) -> None:
    (tmp_path / name).write_bytes(b"".join(item.public_bytes(Encoding.PEM) for item in items))


def _hsm_intermediate(pki: Pki, signer: Pkcs11Signer, tmp_path: Path) -> CertificateAuthority:
    cert = create_intermediate_ca(
        pki.root, subject_name("vnegov HSM Government CA", organization="vnegov"), signer.public_key()
    )
    _write(tmp_path, "inter.pem", cert)
    _write(tmp_path, "chain.pem", pki.root.certificate, cert)
    return CertificateAuthority(cert, signer, IssuerUrls(crl=("http://pki.test/hsm.crl",)))


def _check_ca_on_token(pki: Pki, signer: Pkcs11Signer, openssl: OpenSSL, tmp_path: Path) -> None:
    """Intermediate CA key on the token: leaf chain, CRL signature and revocation all pass openssl."""
    inter = _hsm_intermediate(pki, signer, tmp_path)
    _key, leaf = issue_with_new_key(inter, subject_name("Hệ thống một cửa"), TLS_CLIENT, identifiers=[AGENCY])
    _write(tmp_path, "leaf.pem", leaf)
    root = pki.folder / "root.pem"
    chain = openssl("verify", "-x509_strict", "-CAfile", root, "-untrusted", "inter.pem", "leaf.pem")
    assert chain.stdout.strip() == "leaf.pem: OK", chain.stdout + chain.stderr

    revoked = [Revocation(leaf.serial_number, REVOKED_AT, RevocationReason.KEY_COMPROMISE)]
    crl = build_crl(inter, revoked, crl_number=3)
    _write(tmp_path, "crl.pem", crl)
    signed = openssl("crl", "-in", "crl.pem", "-noout", "-verify", "-CAfile", "chain.pem")
    assert "verify OK" in signed.stdout + signed.stderr
    status = openssl(
        "verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", root, "-untrusted", "inter.pem", "leaf.pem"
    )
    assert status.returncode != 0 and "certificate revoked" in status.stdout + status.stderr


def test_ecdsa_p256_ca_key_on_the_token(softhsm: SoftHsm, pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    signer = softhsm.generate("ecdsa-p256")
    assert signer.algorithm == FileSigner.generate("ecdsa-p256").algorithm
    public = signer.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    _check_ca_on_token(pki, signer, openssl, tmp_path)


def test_rsa_3072_ca_key_on_the_token(softhsm: SoftHsm, pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    signer = softhsm.generate("rsa-3072")
    assert signer.algorithm == FileSigner.generate("rsa-3072").algorithm  # sha256WithRSAEncryption
    public = signer.public_key()
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 3072
    _check_ca_on_token(pki, signer, openssl, tmp_path)


def test_tsa_key_on_the_token(softhsm: SoftHsm, pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    signer = softhsm.generate("ecdsa-p256")
    cert = issue_certificate(pki.gov, subject_name("vnegov HSM TSA"), signer.public_key(), TIME_STAMPING)
    _write(tmp_path, "tsa.pem", cert)
    tsa = TimeStampAuthority(cert, signer, itertools.count(5001).__next__, chain=(pki.gov.certificate,))
    (tmp_path / "file.txt").write_bytes(DOCUMENT)
    openssl("ts", "-query", "-data", "file.txt", "-sha256", "-cert", "-out", "req.tsq", check=True)
    response = respond_timestamp((tmp_path / "req.tsq").read_bytes(), tsa)
    (tmp_path / "resp.tsr").write_bytes(response)
    chain = pki.folder / "chain.pem"
    args = ("-in", "resp.tsr", "-data", "file.txt", "-CAfile", chain, "-untrusted", "tsa.pem")
    done = openssl("ts", "-verify", *args)
    assert "Verification: OK" in done.stdout + done.stderr
    assert verify_timestamp(response, data=DOCUMENT).serial_number == 5001
    (tmp_path / "file.txt").write_bytes(DOCUMENT + b"tampered")
    tampered = openssl("ts", "-verify", *args)
    assert "Verification: OK" not in tampered.stdout + tampered.stderr


def test_ed25519_root_on_the_token(softhsm: SoftHsm, openssl: OpenSSL, tmp_path: Path) -> None:
    try:
        signer = softhsm.generate("ed25519")
    except UnsupportedKeyError as exc:
        pytest.skip(f"this PKCS#11 module has no Ed25519: {exc}")
    assert isinstance(signer.public_key(), ed25519.Ed25519PublicKey)
    root_cert = create_root_ca(subject_name("vnegov HSM Ed25519 Root"), signer)
    root = CertificateAuthority(root_cert, signer)
    _key, leaf = issue_with_new_key(root, subject_name("ocsp"), OCSP_SIGNING)
    (tmp_path / "root.pem").write_bytes(chain_pem([root_cert]))
    (tmp_path / "leaf.pem").write_bytes(chain_pem([leaf]))
    done = openssl("verify", "-x509_strict", "-CAfile", "root.pem", "leaf.pem")
    assert done.stdout.strip() == "leaf.pem: OK", done.stdout + done.stderr


@pytest.mark.parametrize("algorithm", ["ecdsa-p256", "ecdsa-p384", "rsa-3072"])
def test_signatures_are_encoded_like_file_signer(softhsm: SoftHsm, algorithm: str) -> None:
    signer = softhsm.generate(algorithm)
    assert isinstance(signer, Signer)
    signature = signer.sign(DOCUMENT)
    verify_signature(signer.public_key(), signer.algorithm, signature, DOCUMENT)
    if algorithm.startswith("ecdsa"):
        assert algos.DSASignature.load(signature).dump() == signature  # DER ECDSA-Sig-Value, not r‖s
    else:
        assert len(signature) == 3072 // 8


def test_private_key_never_leaves_the_token(softhsm: SoftHsm) -> None:
    for algorithm, secret in (("ecdsa-p256", Attribute.VALUE), ("rsa-3072", Attribute.PRIVATE_EXPONENT)):
        signer = softhsm.generate(algorithm)
        assert signer.key_attributes() == {
            "sensitive": True,
            "extractable": False,
            "always_sensitive": True,
            "never_extractable": True,
            "local": True,
            "private": True,
            "token": True,
            "sign": True,
        }
        # and as the token itself answers, in a session of our own (it inherits the process's login)
        token = pkcs11.lib(softhsm.module).get_token(token_label=softhsm.token)
        with token.open(rw=True) as session:
            key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=signer.key_label)
            assert key[Attribute.EXTRACTABLE] is False and key[Attribute.SENSITIVE] is True
            assert key[Attribute.DECRYPT] is False and key[Attribute.UNWRAP] is False
            with pytest.raises(p11.AttributeSensitive):
                key[secret]
            with pytest.raises(p11.PKCS11Error):
                key[Attribute.EXTRACTABLE] = True  # PKCS#11: may only ever go from true to false


def test_extractable_keys_are_refused_unless_allowed(softhsm: SoftHsm) -> None:
    token = pkcs11.lib(softhsm.module).get_token(token_label=softhsm.token)
    with token.open(rw=True) as session:
        session.generate_keypair(
            KeyType.EC,
            store=True,
            label="extractable",
            public_template={Attribute.EC_PARAMS: pkcs11.util.ec.encode_named_curve_parameters("secp256r1")},
            private_template={Attribute.EXTRACTABLE: True, Attribute.SENSITIVE: False},
        )
    with pytest.raises(HsmError, match="can leave the token") as caught:
        open_pkcs11_signer(softhsm.module, softhsm.token, softhsm.pin, key_label="extractable")
    assert caught.value.code == "hsm_key_extractable"
    allowed = open_pkcs11_signer(
        softhsm.module, softhsm.token, softhsm.pin, key_label="extractable", require_non_extractable=False
    )
    assert allowed.key_attributes()["extractable"] is True


def test_open_an_existing_key_by_label_or_id(softhsm: SoftHsm) -> None:
    made = softhsm.generate("ecdsa-p256")
    assert made.key_id is not None
    by_id = open_pkcs11_signer(softhsm.module, softhsm.token, softhsm.pin, key_id=made.key_id.hex())
    by_label = open_pkcs11_signer(softhsm.module, softhsm.token, softhsm.pin, key_label=made.key_label)
    spki = made.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    for other in (by_id, by_label):
        assert other.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) == spki
        verify_signature(made.public_key(), made.algorithm, other.sign(DOCUMENT), DOCUMENT)
    by_id.close()
    verify_signature(made.public_key(), made.algorithm, by_label.sign(b"still open"), b"still open")
    with pytest.raises(Conflict, match="already holds") as caught:
        generate_key_on_token(softhsm.module, softhsm.token, softhsm.pin, str(made.key_label))
    assert caught.value.code == "hsm_key_exists"


def test_wrong_pin_is_a_clear_error(softhsm: SoftHsm) -> None:
    with pytest.raises(HsmPinIncorrect, match="wrong user PIN") as caught:  # the token's own C_Login
        generate_key_on_token(softhsm.module, PIN_TOKEN, "000000", "never-made")
    assert caught.value.code == "hsm_pin_incorrect" and isinstance(caught.value, UpstreamUnavailable)
    assert "000000" not in str(caught.value)
    signer = softhsm.generate(token=PIN_TOKEN)
    with pytest.raises(HsmPinIncorrect):  # now logged in: a different PIN is still refused
        open_pkcs11_signer(softhsm.module, PIN_TOKEN, "000000", key_label=signer.key_label)


def test_missing_key_token_and_module_are_clear_errors(softhsm: SoftHsm, tmp_path: Path) -> None:
    with pytest.raises(HsmKeyNotFound, match="no private key with label 'no-such-key'") as caught:
        open_pkcs11_signer(softhsm.module, softhsm.token, softhsm.pin, key_label="no-such-key")
    assert caught.value.code == "hsm_key_not_found"
    with pytest.raises(HsmKeyNotFound, match="id 0badc0de"):
        open_pkcs11_signer(softhsm.module, softhsm.token, softhsm.pin, key_id="0badc0de")
    with pytest.raises(HsmTokenNotFound, match="no token labelled 'no-such-token'") as missing_token:
        open_pkcs11_signer(softhsm.module, "no-such-token", softhsm.pin, key_label="x")
    assert softhsm.token in missing_token.value.message  # lists the tokens that are there
    with pytest.raises(HsmModuleNotFound, match="not found"):
        open_pkcs11_signer(tmp_path / "libnothing.so", softhsm.token, softhsm.pin, key_label="x")
    (tmp_path / "libgarbage.so").write_bytes(b"not a shared object")
    with pytest.raises(HsmModuleNotFound, match="could not be loaded"):
        open_pkcs11_signer(tmp_path / "libgarbage.so", softhsm.token, softhsm.pin, key_label="x")


def test_signer_reopens_its_session_after_a_reset(softhsm: SoftHsm) -> None:
    signer, other = softhsm.generate("ecdsa-p256"), softhsm.generate("rsa-3072")
    for reset in (
        lambda: refresh_pkcs11_module(softhsm.module),
        lambda: pkcs11.lib(softhsm.module).reinitialize(),  # behind our back: stale sessions and login
    ):
        reset()
        for each in (signer, other, signer):
            verify_signature(each.public_key(), each.algorithm, each.sign(DOCUMENT), DOCUMENT)


def test_threads_share_signers_safely(softhsm: SoftHsm) -> None:
    signers = [softhsm.generate("ecdsa-p256"), softhsm.generate("ecdsa-p256")]
    jobs = [(signers[i % 2], f"thông điệp {i}".encode()) for i in range(200)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        signatures = list(pool.map(lambda job: job[0].sign(job[1]), jobs))
    for (signer, data), signature in zip(jobs, signatures, strict=True):
        verify_signature(signer.public_key(), signer.algorithm, signature, data)
