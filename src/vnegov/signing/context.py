"""What the signing service needs at run time besides the database: the key passphrase, the public
base URL, and a cache of decrypted keys (decrypting PKCS#8 costs ~100 ms; it is done once per key)."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509

from vnegov.kernel.secret_files import read_or_create
from vnegov.kernel.settings import Settings
from vnegov.signing.crypto import FileSigner, IssuerUrls, Signer, load_certificate
from vnegov.signing.errors import PkiNotReady

PASSPHRASE_FILE = Path("secrets") / "signing-key-passphrase"


def resolve_passphrase(settings: Settings) -> str:
    """The key passphrase from settings; in the embedded mode, generated once under data_dir."""
    configured = settings.signing.key_passphrase
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    return read_or_create(settings.data_dir / PASSPHRASE_FILE)


@dataclass(frozen=True)
class HsmConfig:
    """Where CA keys live when an HSM is configured (PKCS#11 module, token label, user PIN)."""

    module: str
    token: str
    pin: str


@dataclass
class SigningContext:
    passphrase: str
    base_url: str
    key_algorithm: str = "ecdsa-p256"
    crl_validity: timedelta = timedelta(hours=24)
    ocsp_validity: timedelta = timedelta(minutes=60)
    tsa_policy: str = "2.25.143238767107780418409599143049453415804"
    max_upload: int = 25 * 1024 * 1024
    _signers: dict[str, FileSigner] = field(default_factory=dict, repr=False)
    _certificates: dict[str, x509.Certificate] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _hsm_signers: dict[str, Signer] = field(default_factory=dict, repr=False)
    runtime: dict[str, Any] = field(default_factory=dict, repr=False)
    hsm: HsmConfig | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningContext:
        s = settings.signing
        return cls(
            passphrase=resolve_passphrase(settings),
            base_url=s.public_base_url.rstrip("/"),
            key_algorithm=s.key_algorithm,
            crl_validity=timedelta(hours=s.crl_validity_hours),
            ocsp_validity=timedelta(minutes=s.ocsp_validity_minutes),
            tsa_policy=s.tsa_policy_oid,
            max_upload=s.max_upload_bytes,
            hsm=_hsm(settings),
        )

    def signer(self, key_pem: str) -> FileSigner:
        digest = hashlib.sha256(key_pem.encode()).hexdigest()
        with self._lock:
            found = self._signers.get(digest)
        if found is None:
            found = FileSigner.from_pem(key_pem.encode(), self.passphrase)
            with self._lock:
                self._signers[digest] = found
        return found

    def key_signer(self, backend: str, key_ref: str) -> Signer:
        """The signer of a stored key: an encrypted PEM ("file") or a key label on the HSM ("pkcs11")."""
        if backend == "file":
            return self.signer(key_ref)
        if backend != "pkcs11" or self.hsm is None:
            raise PkiNotReady(f"this key lives in an HSM ({backend}) that is not configured here")
        cache_key = f"pkcs11:{key_ref}"
        with self._lock:
            found = self._hsm_signers.get(cache_key)
            if found is None:
                from vnegov.signing.crypto.pkcs11 import Pkcs11Signer

                found = Pkcs11Signer(self.hsm.module, self.hsm.token, self.hsm.pin, key_label=key_ref)
                self._hsm_signers[cache_key] = found
        return found

    def certificate(self, pem: str) -> x509.Certificate:
        found = self._certificates.get(pem)
        if found is None:
            found = load_certificate(pem.encode())
            self._certificates[pem] = found
        return found

    def urls(self, authority: str) -> IssuerUrls:
        """URLs written into certificates the authority issues."""
        return IssuerUrls(
            crl=(f"{self.base_url}/pki/crl/{authority}.crl",),
            ocsp=(f"{self.base_url}/pki/ocsp",) if authority != "root" else (),
            ca_issuers=(f"{self.base_url}/pki/ca/{authority}.crt",),
        )


def _hsm(settings: Settings) -> HsmConfig | None:
    s = settings.signing
    if not (s.pkcs11_module and s.pkcs11_token and s.pkcs11_pin):
        return None
    return HsmConfig(s.pkcs11_module, s.pkcs11_token, s.pkcs11_pin.get_secret_value())
