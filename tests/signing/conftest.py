"""A test PKI (root → government intermediate) built once per session, and an `openssl` runner.

The independent checks call the `openssl` command-line tool on files in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from vnegov.signing.crypto import (
    OCSP_SIGNING,
    TIME_STAMPING,
    CertificateAuthority,
    FileSigner,
    IssuerUrls,
    chain_pem,
    create_intermediate_ca,
    create_root_ca,
    issue_with_new_key,
    subject_name,
)
from vnegov.signing.crypto.pkcs11 import (
    Pkcs11Signer,
    find_softhsm2_module,
    generate_key_on_token,
    refresh_pkcs11_module,
)

OpenSSL = Callable[..., subprocess.CompletedProcess[str]]


@dataclass(frozen=True)
class Pki:
    root: CertificateAuthority
    gov: CertificateAuthority
    ocsp_signer: FileSigner
    ocsp_cert: x509.Certificate
    tsa_signer: FileSigner
    tsa_cert: x509.Certificate
    folder: Path

    def write(self, name: str, *certs: x509.Certificate) -> Path:
        path = self.folder / name
        path.write_bytes(chain_pem(certs))
        return path


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    root_signer = FileSigner.generate("ecdsa-p384")
    root_cert = create_root_ca(subject_name("vnegov Test Root CA", organization="vnegov"), root_signer)
    root = CertificateAuthority(root_cert, root_signer, IssuerUrls(crl=("http://pki.test/root.crl",)))
    gov_signer = FileSigner.generate()
    gov_cert = create_intermediate_ca(
        root, subject_name("vnegov Test Government CA", organization="vnegov"), gov_signer.public_key()
    )
    urls = IssuerUrls(
        crl=("http://pki.test/gov.crl",),
        ocsp=("http://pki.test/ocsp",),
        ca_issuers=("http://pki.test/gov.crt",),
    )
    gov = CertificateAuthority(gov_cert, gov_signer, urls)
    ocsp_signer, ocsp_cert = issue_with_new_key(gov, subject_name("vnegov OCSP responder"), OCSP_SIGNING)
    tsa_signer, tsa_cert = issue_with_new_key(gov, subject_name("vnegov TSA"), TIME_STAMPING)
    made = Pki(root, gov, ocsp_signer, ocsp_cert, tsa_signer, tsa_cert, folder)
    made.write("root.pem", root_cert)
    made.write("gov.pem", gov_cert)
    made.write("chain.pem", root_cert, gov_cert)
    made.write("ocsp.pem", ocsp_cert)
    made.write("tsa.pem", tsa_cert)
    return made


@pytest.fixture
def openssl(tmp_path: Path) -> OpenSSL:
    """Run `openssl <args>` in tmp_path; returns the completed process (stdout and stderr as text)."""

    def run(*args: str | Path, check: bool = False) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["openssl", *map(str, args)], cwd=tmp_path, capture_output=True, text=True, timeout=30
        )
        if check and done.returncode != 0:
            raise AssertionError(f"openssl {args} failed: {done.stdout}{done.stderr}")
        return done

    return run


# ----------------------------------------------------------------------------- SoftHSM2

TOKEN = "vnegov-test"
PIN_TOKEN = "vnegov-pin-test"  # only the wrong-PIN test logs in to it
USER_PIN = "246810"
SO_PIN = "13579135"


@dataclass(frozen=True)
class SoftHsm:
    module: str
    token: str
    pin: str
    folder: Path

    def generate(self, algorithm: str = "ecdsa-p256", *, token: str | None = None) -> Pkcs11Signer:
        label = f"{algorithm}-{uuid.uuid4().hex[:8]}"
        return generate_key_on_token(self.module, token or self.token, self.pin, label, algorithm)


def _unavailable(reason: str) -> None:
    if os.environ.get("VNEGOV_REQUIRE_HSM"):
        pytest.fail(f"{reason}, and VNEGOV_REQUIRE_HSM is set")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    module = os.environ.get("VNEGOV_PKCS11_MODULE") or find_softhsm2_module()
    util = shutil.which("softhsm2-util")
    if module is None or not Path(module).is_file() or util is None:
        _unavailable("SoftHSM2 not installed: no libsofthsm2.so or softhsm2-util (apt-get install softhsm2)")
    assert module is not None and util is not None
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOFTHSM2_CONF", str(conf))
        for label in (TOKEN, PIN_TOKEN):
            subprocess.run(
                [util, "--init-token", "--free", "--label", label, "--pin", USER_PIN, "--so-pin", SO_PIN],
                check=True,
                capture_output=True,
                timeout=30,
            )
        refresh_pkcs11_module(module)
        yield SoftHsm(module, TOKEN, USER_PIN, folder)
