"""What the signing service needs at run time besides the database: the key passphrase, the public
base URL, and a cache of decrypted keys (decrypting PKCS#8 costs ~100 ms; it is done once per key)."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509

from vnegov.kernel.settings import Settings
from vnegov.signing.crypto import FileSigner, IssuerUrls, load_certificate

PASSPHRASE_FILE = Path("secrets") / "signing-key-passphrase"


def resolve_passphrase(settings: Settings) -> str:
    """The key passphrase from settings; in the embedded mode, generated once under data_dir."""
    configured = settings.signing.key_passphrase
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    path = settings.data_dir / PASSPHRASE_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret)
    return secret


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
    runtime: dict[str, Any] = field(default_factory=dict, repr=False)

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
