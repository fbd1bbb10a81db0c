"""Signing benchmarks: certificate issuance, raw signatures, TSA tokens and OCSP responses.

In-process figures call the service functions; HTTP figures load a real `vnegov serve signing`
process with wrk, against `/healthz` of the same process as the baseline. Target (issue 3):
≥ 1,000/s for TSA tokens and OCSP responses on a 2-core machine.
"""

from __future__ import annotations

import hashlib
import os

from common import load, rate, server
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from vnegov.kernel.context import Principal
from vnegov.kernel.db import Database
from vnegov.signing import schemas, service, signatures
from vnegov.signing.context import SigningContext
from vnegov.signing.crypto import FileSigner, timestamp_request
from vnegov.signing.documents.sample import sample_pdf

ISSUER = Principal(subject="bench", agency_code="G12", roles=frozenset({"platform-admin"}))
TARGET = 1000.0


def prepare(db: Database, ctx: SigningContext) -> None:
    with db.transaction() as session:
        service.ensure_pki(session, ctx)


def _csr() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench system")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def in_process(db: Database, ctx: SigningContext, rounds: int) -> dict[str, object]:
    csr = _csr()

    def issue() -> None:
        with db.transaction() as session:
            service.request_certificate(
                session,
                actor=ISSUER,
                ctx=ctx,
                request_in=schemas.CertificateRequest(profile="tls_client", csr_pem=csr),
            )

    tsq = timestamp_request(hashlib.sha256(b"bench").digest())
    ocsp_der = _ocsp_request(db, ctx, nonce=True)  # with a nonce: always answered fresh
    ecdsa, ed25519 = FileSigner.generate("ecdsa-p256"), FileSigner.generate("ed25519")
    data = os.urandom(1024)

    def ocsp_answer() -> None:
        with db.read() as session:
            service.ocsp_response(session, ctx, ocsp_der)

    seal = Principal(subject="bench", agency_code="G12")
    one_page, hundred_pages = sample_pdf(), sample_pdf(pages=100, lines_per_page=40)

    def sign(data: bytes, name: str, level: str = "B-B") -> None:
        signatures.sign_document(db, ctx, actor=seal, data=data, filename=name, level=level)  # type: ignore[arg-type]

    pades_rounds = max(10, rounds // 100)
    return {
        "issuance_per_s": rate(issue, max(50, rounds // 20)),
        "jws_seal_signatures_per_s_through_service": rate(
            lambda: sign(b'{"maHoSo": "G12-1"}', "x.json"), max(50, rounds // 10)
        ),
        "pades_b_b_per_s_1_page": rate(lambda: sign(one_page, "1.pdf"), pades_rounds),
        "pades_b_b_per_s_100_pages": rate(lambda: sign(hundred_pages, "100.pdf"), pades_rounds),
        "pades_b_t_per_s_1_page": rate(lambda: sign(one_page, "1.pdf", "B-T"), pades_rounds),
        "pades_b_lt_per_s_1_page": rate(lambda: sign(one_page, "1.pdf", "B-LT"), pades_rounds),
        "pdf_100_pages_bytes": len(hundred_pages),
        "ecdsa_p256_signatures_per_s": rate(lambda: ecdsa.sign(data), rounds),
        "ed25519_signatures_per_s": rate(lambda: ed25519.sign(data), rounds),
        "tsa_tokens_per_s": rate(lambda: service.timestamp_response(db, ctx, tsq), rounds),
        "ocsp_responses_per_s": rate(ocsp_answer, rounds),
    }


def _ocsp_request(db: Database, ctx: SigningContext, *, nonce: bool = False) -> bytes:
    with db.read() as session:
        issuer = service.trust_chain(session, ctx, service.GOV)[0]
        cert = service.responder_certificate(session, ctx, service.GOV)
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256())
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def over_http(
    url: str, db: Database, ctx: SigningContext, env: dict[str, str], seconds: int
) -> dict[str, object]:
    tsq = timestamp_request(hashlib.sha256(b"bench").digest(), cert_req=True)
    lightweight = _ocsp_request(db, ctx)  # RFC 5019: no nonce, answers may be cached for 30 s
    with_nonce = _ocsp_request(db, ctx, nonce=True)  # answered fresh from the database every time
    kind = "application/ocsp-request"
    with server(url, ["signing"], env) as base:
        baseline = load(f"{base}/healthz", seconds=seconds)
        tsa = load(f"{base}/pki/tsa", seconds=seconds, body=tsq, content_type="application/timestamp-query")
        ocsp_cached = load(f"{base}/pki/ocsp", seconds=seconds, body=lightweight, content_type=kind)
        ocsp_fresh = load(f"{base}/pki/ocsp", seconds=seconds, body=with_nonce, content_type=kind)
    with server(url, ["signing"], env, workers=2) as base:  # one worker per core, as deployed
        ocsp_fresh_2 = load(f"{base}/pki/ocsp", seconds=seconds, body=with_nonce, content_type=kind)
    base_rps = float(baseline["requests_per_s"])

    def vs(result: dict[str, float | str]) -> dict[str, float | str]:
        return {**result, "vs_healthz": round(float(result["requests_per_s"]) / base_rps, 3)}

    return {
        "baseline_healthz": baseline,
        "tsa": vs(tsa),
        "ocsp_lightweight_cached": vs(ocsp_cached),
        "ocsp_with_nonce_fresh": vs(ocsp_fresh),
        "ocsp_with_nonce_fresh_2_workers": ocsp_fresh_2,
        "target_per_s": TARGET,
        "meets_target": {
            "tsa": float(tsa["requests_per_s"]) >= TARGET,
            "ocsp_lightweight": float(ocsp_cached["requests_per_s"]) >= TARGET,
            "ocsp_with_nonce": float(ocsp_fresh["requests_per_s"]) >= TARGET,
            "ocsp_with_nonce_2_workers": float(ocsp_fresh_2["requests_per_s"]) >= TARGET,
        },
    }
