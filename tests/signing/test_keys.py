"""Keys: generation by name, encrypted PKCS#8 storage, the Signer interface."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from vnegov.kernel.errors import InvalidInput
from vnegov.signing.crypto import (
    FileSigner,
    KeyAlgorithm,
    KeyDecryptionError,
    KeyFormatError,
    Signer,
    UnsupportedKeyError,
    encrypt_private_key,
    generate_private_key,
    load_private_key,
)
from vnegov.signing.crypto.keys import verify_signature

from .conftest import OpenSSL


@pytest.mark.parametrize(
    ("name", "kind", "detail"),
    [
        ("ecdsa-p256", ec.EllipticCurvePrivateKey, "secp256r1"),
        ("ecdsa-p384", ec.EllipticCurvePrivateKey, "secp384r1"),
        ("ed25519", ed25519.Ed25519PrivateKey, None),
        ("rsa-3072", rsa.RSAPrivateKey, 3072),
    ],
)
def test_generate_by_name_and_round_trip_encrypted(name: str, kind: type, detail: object) -> None:
    key = generate_private_key(name)
    assert isinstance(key, kind)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        assert key.curve.name == detail
    if isinstance(key, rsa.RSAPrivateKey):
        assert key.key_size == detail
    pem = encrypt_private_key(key, "mật khẩu đủ dài")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    again = load_private_key(pem, "mật khẩu đủ dài")
    assert again.public_key() == key.public_key()


def test_default_algorithm_is_ecdsa_p256() -> None:
    signer = FileSigner.generate()
    assert signer.algorithm.key_type == "ecdsa"
    assert signer.algorithm.hash_name == "sha256"
    assert KeyAlgorithm("ecdsa-p256") is KeyAlgorithm.ECDSA_P256


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(UnsupportedKeyError, match="dsa-1024"):
        generate_private_key("dsa-1024")


def test_wrong_passphrase_raises_key_decryption_error() -> None:
    pem = FileSigner.generate().to_pem("correct horse")
    with pytest.raises(KeyDecryptionError) as caught:
        FileSigner.from_pem(pem, "battery staple")
    assert caught.value.code == "key_decryption_failed"


def test_unencrypted_or_garbage_key_is_a_format_error(openssl: OpenSSL, tmp_path: Path) -> None:
    openssl(
        "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "plain.pem", check=True
    )
    with pytest.raises(KeyFormatError, match="encrypted"):
        load_private_key((tmp_path / "plain.pem").read_bytes(), "x")
    garbage = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nbm90IGEga2V5\n-----END ENCRYPTED PRIVATE KEY-----\n"
    with pytest.raises(KeyFormatError, match="malformed"):
        load_private_key(garbage, "x")


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        FileSigner.generate().to_pem("")
    assert caught.value.data["field"] == "passphrase"


def test_openssl_opens_our_encrypted_key(openssl: OpenSSL, tmp_path: Path) -> None:
    signer = FileSigner.generate("ecdsa-p384")
    (tmp_path / "key.pem").write_bytes(signer.to_pem("s3cret"))
    ok = openssl("pkey", "-in", "key.pem", "-passin", "pass:s3cret", "-noout", "-text")
    assert ok.returncode == 0 and "NIST CURVE: P-384" in ok.stdout
    wrong = openssl("pkey", "-in", "key.pem", "-passin", "pass:nope", "-noout")
    assert wrong.returncode != 0


def test_openssl_key_with_our_passphrase_loads(openssl: OpenSSL, tmp_path: Path) -> None:
    openssl(
        "genpkey", "-algorithm", "ED25519", "-aes-256-cbc", "-pass", "pass:abc", "-out", "k.pem", check=True
    )
    assert isinstance(load_private_key((tmp_path / "k.pem").read_bytes(), b"abc"), ed25519.Ed25519PrivateKey)


@pytest.mark.parametrize("name", [a.value for a in KeyAlgorithm if a is not KeyAlgorithm.RSA_3072])
def test_signer_signs_and_signature_verifies(name: str) -> None:
    signer: Signer = FileSigner.generate(name)
    assert isinstance(signer, Signer)
    signature = signer.sign(b"quyet dinh so 1")
    verify_signature(signer.public_key(), signer.algorithm, signature, b"quyet dinh so 1")
    with pytest.raises(InvalidSignature):
        verify_signature(signer.public_key(), signer.algorithm, signature, b"quyet dinh so 2")


def test_short_rsa_key_is_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(UnsupportedKeyError, match="1024"):
        FileSigner(weak)
