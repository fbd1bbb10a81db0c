"""A test PKI (root → government intermediate) built once per session, and an `openssl` runner.

The independent checks call the `openssl` command-line tool on files in a temporary folder.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
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
