"""Key pairs (cặp khóa) and signers (bộ ký): generation, encrypted storage, and the `Signer` interface.

A private key (khóa bí mật) never leaves its backend: the rest of the signing core only sees a `Signer`,
which gives its public key (khóa công khai), its signature algorithm and `sign(data)`. `FileSigner`
holds the key in memory and stores it as an encrypted PKCS#8 PEM (keys at rest are always encrypted
with a passphrase, *mật khẩu bảo vệ khóa*). A PKCS#11 backend (HSM, thiết bị HSM) can stand in later by
implementing the same protocol; `vnegov.signing.crypto` builds X.509 structures for such signers too.

Algorithms (thuật toán): ECDSA P-256 (default), ECDSA P-384, Ed25519, RSA-3072. Keys in requests from
others may also be RSA ≥ 2048 bits or ECDSA P-521 (USB tokens of Vietnamese public CAs often hold
RSA-2048 keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from vnegov.kernel.errors import InvalidInput
from vnegov.signing.crypto.errors import KeyDecryptionError, KeyFormatError, UnsupportedKeyError

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
KeyType = Literal["ecdsa", "rsa", "ed25519"]
SigningHash = hashes.SHA256 | hashes.SHA384 | hashes.SHA512

MIN_RSA_BITS = 2048
_CURVE_HASHES: dict[str, tuple[SigningHash, str]] = {
    "secp256r1": (hashes.SHA256(), "1.2.840.10045.4.3.2"),
    "secp384r1": (hashes.SHA384(), "1.2.840.10045.4.3.3"),
    "secp521r1": (hashes.SHA512(), "1.2.840.10045.4.3.4"),
}
_RSA_SHA256 = "1.2.840.113549.1.1.11"
_ED25519 = "1.3.101.112"
_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


class KeyAlgorithm(StrEnum):
    """Key algorithms we generate (thuật toán sinh khóa)."""

    ECDSA_P256 = "ecdsa-p256"
    ECDSA_P384 = "ecdsa-p384"
    ED25519 = "ed25519"
    RSA_3072 = "rsa-3072"


DEFAULT_KEY_ALGORITHM = KeyAlgorithm.ECDSA_P256


@dataclass(frozen=True)
class SignatureAlgorithm:
    """How a key signs: key type, digest (None for Ed25519) and the X.509/CMS signature algorithm OID."""

    key_type: KeyType
    hash: SigningHash | None
    oid: str

    @property
    def hash_name(self) -> str | None:
        """The digest's name as asn1crypto spells it ("sha256"), None for Ed25519."""
        return self.hash.name if self.hash is not None else None


@runtime_checkable
class Signer(Protocol):
    """A private key behind an interface (khóa bí mật chỉ dùng qua giao diện ký).

    `sign(data)` hashes `data` with `algorithm.hash` and signs the digest (PKCS#1 v1.5 for RSA, DER
    ECDSA-Sig-Value for ECDSA, pure Ed25519), i.e. exactly the signature value X.509 and CMS expect.
    """

    @property
    def algorithm(self) -> SignatureAlgorithm: ...

    def public_key(self) -> PublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


def generate_private_key(algorithm: KeyAlgorithm | str = DEFAULT_KEY_ALGORITHM) -> PrivateKey:
    """Generate a new private key (sinh khóa bí mật) by algorithm name, e.g. "ecdsa-p256"."""
    try:
        chosen = KeyAlgorithm(algorithm)
    except ValueError:
        names = ", ".join(a.value for a in KeyAlgorithm)
        raise UnsupportedKeyError(f"unknown key algorithm {algorithm!r}; use one of {names}") from None
    if chosen is KeyAlgorithm.ECDSA_P256:
        return ec.generate_private_key(ec.SECP256R1())
    if chosen is KeyAlgorithm.ECDSA_P384:
        return ec.generate_private_key(ec.SECP384R1())
    if chosen is KeyAlgorithm.ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def signature_algorithm_for(public_key: object) -> SignatureAlgorithm:
    """The signature algorithm a key of this type uses; refuses keys we do not accept.

    ECDSA: P-256/SHA-256, P-384/SHA-384, P-521/SHA-512; RSA ≥ 2048 bits: SHA-256 with PKCS#1 v1.5;
    Ed25519. Anything else (DSA, other curves, short RSA) raises `UnsupportedKeyError`.
    """
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        found = _CURVE_HASHES.get(public_key.curve.name)
        if found is None:
            raise UnsupportedKeyError(
                f"elliptic curve {public_key.curve.name} is not accepted (P-256/384/521)"
            )
        return SignatureAlgorithm("ecdsa", found[0], found[1])
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_BITS:
            raise UnsupportedKeyError(
                f"RSA key of {public_key.key_size} bits; at least {MIN_RSA_BITS} needed"
            )
        return SignatureAlgorithm("rsa", hashes.SHA256(), _RSA_SHA256)
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return SignatureAlgorithm("ed25519", None, _ED25519)
    raise UnsupportedKeyError(f"key type {type(public_key).__name__} is not accepted (ECDSA, RSA, Ed25519)")


def encrypt_private_key(key: PrivateKey, passphrase: str | bytes) -> bytes:
    """Serialise a private key as PKCS#8 PEM encrypted with a passphrase (mã hóa khóa khi lưu trữ)."""
    secret = _passphrase_bytes(passphrase)
    encryption = serialization.BestAvailableEncryption(secret)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_private_key(pem: bytes, passphrase: str | bytes) -> PrivateKey:
    """Load an encrypted PKCS#8 PEM key; `KeyDecryptionError` on a wrong passphrase.

    Unencrypted or malformed PEM raises `KeyFormatError`: keys at rest must be encrypted.
    """
    _check_encrypted_pkcs8(pem)
    try:
        key = serialization.load_pem_private_key(pem, password=_passphrase_bytes(passphrase))
    except ValueError:
        raise KeyDecryptionError("the passphrase does not decrypt this private key") from None
    if not isinstance(key, PrivateKey):
        raise UnsupportedKeyError(f"key type {type(key).__name__} is not accepted (ECDSA, RSA, Ed25519)")
    signature_algorithm_for(key.public_key())
    return key


def _check_encrypted_pkcs8(pem: bytes) -> None:
    if _ENCRYPTED_PEM not in pem:
        raise KeyFormatError("expected an encrypted PKCS#8 PEM private key (ENCRYPTED PRIVATE KEY)")
    try:
        _kind, _headers, der = asn1_pem.unarmor(pem.strip())
        info = asn1_keys.EncryptedPrivateKeyInfo.load(der)
        info["encryption_algorithm"].native  # noqa: B018 - forces parsing, raises on garbage
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"malformed encrypted private key: {exc}") from None


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    if not secret:
        raise InvalidInput(
            "the key passphrase must not be empty", field="passphrase", code="passphrase_empty"
        )
    return secret


def sign_with_key(key: PrivateKey, algorithm: SignatureAlgorithm, data: bytes) -> bytes:
    """Sign `data` with a private key the way X.509 and CMS expect (see `Signer`)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    assert algorithm.hash is not None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm.hash))
    return key.sign(data, padding.PKCS1v15(), algorithm.hash)


def verify_signature(
    public_key: PublicKey, algorithm: SignatureAlgorithm, signature: bytes, data: bytes
) -> None:
    """Verify a signature made by `sign_with_key`; raises `cryptography.exceptions.InvalidSignature`."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        public_key.verify(signature, data)
        return
    assert algorithm.hash is not None
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(algorithm.hash))
    else:
        public_key.verify(signature, data, padding.PKCS1v15(), algorithm.hash)


class FileSigner:
    """A private key held in memory and stored as encrypted PEM (khóa lưu trong tệp, mặc định nhúng).

    `private_key` is exposed so cryptography's X.509 builders can sign directly; an HSM signer has no
    such attribute and the core then signs the to-be-signed bytes through `sign()` instead.
    """

    def __init__(self, private_key: PrivateKey) -> None:
        self._key = private_key
        self._algorithm = signature_algorithm_for(private_key.public_key())

    @classmethod
    def generate(cls, algorithm: KeyAlgorithm | str = DEFAULT_KEY_ALGORITHM) -> FileSigner:
        """A signer over a freshly generated key."""
        return cls(generate_private_key(algorithm))

    @classmethod
    def from_pem(cls, pem: bytes, passphrase: str | bytes) -> FileSigner:
        """A signer over an encrypted PKCS#8 PEM key (see `load_private_key`)."""
        return cls(load_private_key(pem, passphrase))

    def to_pem(self, passphrase: str | bytes) -> bytes:
        """The key as encrypted PKCS#8 PEM, ready to be written to disk."""
        return encrypt_private_key(self._key, passphrase)

    @property
    def private_key(self) -> PrivateKey:
        return self._key

    @property
    def algorithm(self) -> SignatureAlgorithm:
        return self._algorithm

    def public_key(self) -> PublicKey:
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        return sign_with_key(self._key, self._algorithm, data)
