"""The platform PKI with its CA keys in an HSM (SoftHSM2 through PKCS#11), as configured in production."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vnegov import migrate
from vnegov.kernel.context import Principal
from vnegov.kernel.db import Database
from vnegov.signing import schemas, service, signatures
from vnegov.signing.context import HsmConfig, SigningContext
from vnegov.signing.errors import PkiNotReady

from .conftest import OpenSSL, SoftHsm

OPERATOR = Principal(subject="test", agency_code="G22", roles=frozenset({"platform-admin"}))


def test_ca_keys_live_on_the_token_and_everything_still_verifies(
    softhsm: SoftHsm, tmp_path: Path, openssl: OpenSSL
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'hsm.db'}")
    migrate.upgrade(db)
    hsm = HsmConfig(softhsm.module, softhsm.token, softhsm.pin)
    ctx = SigningContext(passphrase="for the service keys", base_url="http://pki.test", hsm=hsm)
    with db.transaction() as session:
        assert service.ensure_pki(session, ctx)
    with db.read() as session:
        rows = session.execute(sa.text("SELECT name, key_backend, key_pem FROM signing_authority")).all()
    assert {r.key_backend for r in rows} == {"pkcs11"}
    assert not any("PRIVATE KEY" in r.key_pem for r in rows)  # only the token has the keys
    with db.read() as session:
        services = session.execute(sa.text("SELECT role, key_backend FROM signing_service_key")).all()
    assert {r.role for r in services} == {"ocsp:gov", "ocsp:public", "tsa"}
    assert {r.key_backend for r in services} == {"pkcs11"}  # OCSP responders and the TSA too

    # A new process: nothing cached, the keys are found on the token by their labels.
    fresh = SigningContext(passphrase="for the service keys", base_url="http://pki.test", hsm=hsm)
    with db.transaction() as session:
        issued = service.request_certificate(
            session,
            actor=OPERATOR,
            ctx=fresh,
            request_in=schemas.CertificateRequest(
                profile="tls_client", common_name="Hệ thống HSM", key_passphrase="a long passphrase"
            ),
        )
        root, gov = (
            service.authority_certificate(session, "root"),
            service.authority_certificate(session, "gov"),
        )
    for name, der in (("root.pem", root), ("gov.pem", gov)):
        (tmp_path / name).write_bytes(
            x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        )
    (tmp_path / "leaf.pem").write_text(issued.certificate.certificate_pem)
    chain = openssl("verify", "-x509_strict", "-CAfile", "root.pem", "-untrusted", "gov.pem", "leaf.pem")
    assert chain.returncode == 0, chain.stdout + chain.stderr

    with db.transaction() as session:
        service.revoke_certificate(
            session,
            actor=OPERATOR,
            ctx=fresh,
            serial=issued.certificate.serial,
            revoke_in=schemas.Revoke(reason="key_compromise"),
        )
    (tmp_path / "gov.crl").write_bytes(service.current_crl(db, fresh, "gov"))
    (tmp_path / "chain.pem").write_text(
        (tmp_path / "root.pem").read_text() + (tmp_path / "gov.pem").read_text()
    )
    crl = openssl("crl", "-inform", "DER", "-in", "gov.crl", "-noout", "-verify", "-CAfile", "chain.pem")
    assert "verify OK" in crl.stdout + crl.stderr

    # Time-stamps and an agency's seal sign on the token as well; what they sign verifies.
    report = signatures.verify(
        db,
        fresh,
        data=signatures.sign_document(
            db, fresh, actor=OPERATOR, data=b"to trinh", filename="to-trinh.txt", level="B-T"
        ).content,
        detached=b"to trinh",
    )
    assert report.indication == "TOTAL_PASSED", report.reason_en
    with db.read() as session:
        seal_backend = session.execute(sa.text("SELECT key_backend FROM signing_seal")).scalar_one()
    assert seal_backend == "pkcs11"

    without_hsm = SigningContext(passphrase="for the service keys", base_url="http://pki.test")
    with pytest.raises(PkiNotReady), db.transaction() as session:
        service.request_certificate(
            session,
            actor=OPERATOR,
            ctx=without_hsm,
            request_in=schemas.CertificateRequest(
                profile="tls_client", common_name="x", key_passphrase="a long passphrase"
            ),
        )
    db.dispose()
