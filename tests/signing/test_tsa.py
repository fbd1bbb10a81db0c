"""RFC 3161 TSA: `openssl ts -query` → our TSA → `openssl ts -verify`; rejections; our own client."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from cryptography.hazmat.primitives.serialization import Encoding

from vnegov.signing.crypto import (
    DEFAULT_TSA_POLICY,
    TIME_STAMPING,
    ProfileError,
    TimeStampAuthority,
    TimestampError,
    issue_with_new_key,
    respond_timestamp,
    subject_name,
    timestamp_request,
    verify_timestamp,
)
from vnegov.signing.crypto.tsa import TimeStampResp

from .conftest import OpenSSL, Pki

DOCUMENT = "Quyết định số 1/QĐ-UBND về việc công bố thủ tục hành chính\n".encode()


def _tsa(pki: Pki, **options: object) -> tuple[TimeStampAuthority, list[int]]:
    issued: list[int] = []
    counter = itertools.count(1001)

    def next_serial() -> int:
        issued.append(next(counter))
        return issued[-1]

    return TimeStampAuthority(pki.tsa_cert, pki.tsa_signer, next_serial, **options), issued  # type: ignore[arg-type]


def _query(openssl: OpenSSL, tmp_path: Path, *args: str) -> bytes:
    (tmp_path / "file.txt").write_bytes(DOCUMENT)
    openssl("ts", "-query", "-data", "file.txt", *args, "-out", "req.tsq", check=True)
    return (tmp_path / "req.tsq").read_bytes()


def _ts_verify(openssl: OpenSSL, pki: Pki) -> str:
    done = openssl(
        "ts",
        "-verify",
        "-in",
        "resp.tsr",
        "-data",
        "file.txt",
        "-CAfile",
        pki.folder / "chain.pem",
        "-untrusted",
        pki.folder / "tsa.pem",
    )
    return done.stdout + done.stderr


def test_openssl_verifies_our_token_and_rejects_a_tampered_file(
    pki: Pki, openssl: OpenSSL, tmp_path: Path
) -> None:
    tsa, _ = _tsa(pki)
    (tmp_path / "resp.tsr").write_bytes(respond_timestamp(_query(openssl, tmp_path, "-sha256", "-cert"), tsa))
    assert "Verification: OK" in _ts_verify(openssl, pki)
    (tmp_path / "file.txt").write_bytes(DOCUMENT + b" (sua doi)")
    tampered = _ts_verify(openssl, pki)
    assert "Verification: FAILED" in tampered and "message imprint mismatch" in tampered


def test_token_fields_as_openssl_prints_them(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    tsa, issued = _tsa(pki, include_tsa_name=True)
    request = _query(openssl, tmp_path, "-sha384", "-cert")
    (tmp_path / "resp.tsr").write_bytes(respond_timestamp(request, tsa))
    query_text = openssl("ts", "-query", "-in", "req.tsq", "-text", check=True).stdout
    reply_text = openssl("ts", "-reply", "-in", "resp.tsr", "-text", check=True).stdout
    nonce_line = next(line for line in query_text.splitlines() if line.startswith("Nonce:"))
    assert nonce_line in reply_text  # the nonce is echoed
    assert "Status: Granted." in reply_text
    assert f"Policy OID: {DEFAULT_TSA_POLICY}" in reply_text
    assert "Hash Algorithm: sha384" in reply_text
    assert f"Serial number: 0x{issued[0]:04X}" in reply_text
    assert "Accuracy: 0x01 seconds" in reply_text
    assert "TSA: DirName:" in reply_text and "CN=vnegov TSA" in reply_text
    assert "Verification: OK" in _ts_verify(openssl, pki)


def test_each_token_takes_one_serial_from_the_callable(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    tsa, issued = _tsa(pki)
    request = _query(openssl, tmp_path, "-sha256")
    tokens = [
        verify_timestamp(respond_timestamp(request, tsa), tsa_certificate=pki.tsa_cert) for _ in range(3)
    ]
    serials = [t.serial_number for t in tokens]
    assert serials == issued == [1001, 1002, 1003]
    respond_timestamp(b"garbage", tsa)
    assert issued == [1001, 1002, 1003]  # rejections use no serial


def _rejection(response: bytes) -> tuple[str, set[str]]:
    status = TimeStampResp.load(response)["status"]
    return status["status"].native, set(status["fail_info"].native or ())


def test_sha1_request_is_rejected_with_bad_alg(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    tsa, issued = _tsa(pki)
    response = respond_timestamp(_query(openssl, tmp_path, "-sha1", "-cert"), tsa)
    assert _rejection(response) == ("rejection", {"bad_alg"})
    (tmp_path / "resp.tsr").write_bytes(response)
    text = openssl("ts", "-reply", "-in", "resp.tsr", "-text", check=True).stdout
    assert "Status: Rejected." in text and "unrecognized or unsupported algorithm identifier" in text
    assert "Verification: FAILED" in _ts_verify(openssl, pki)
    assert issued == []


@pytest.mark.parametrize("oid", ["md5", "sha3_256", "1.2.3.4.5"])
def test_unknown_hash_algorithms_are_rejected_with_bad_alg(pki: Pki, oid: str) -> None:
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": oid}, "hashed_message": b"\x00" * 32},
            "cert_req": True,
        }
    )
    assert _rejection(respond_timestamp(request.dump(), _tsa(pki)[0])) == ("rejection", {"bad_alg"})


def test_malformed_requests_are_rejected_not_raised(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    tsa, _ = _tsa(pki)
    assert _rejection(respond_timestamp(b"\x30\x80 not DER", tsa)) == ("rejection", {"bad_data_format"})
    short = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": b"x"},
        }
    )
    assert _rejection(respond_timestamp(short.dump(), tsa)) == ("rejection", {"bad_data_format"})
    other_policy = _query(openssl, tmp_path, "-sha256", "-tspolicy", "1.2.3.4")
    assert _rejection(respond_timestamp(other_policy, tsa)) == ("rejection", {"unaccepted_policy"})


def test_without_cert_req_the_token_carries_no_certificate(
    pki: Pki, openssl: OpenSSL, tmp_path: Path
) -> None:
    tsa, _ = _tsa(pki)
    response = respond_timestamp(_query(openssl, tmp_path, "-sha256"), tsa)
    (tmp_path / "resp.tsr").write_bytes(response)
    assert "Verification: OK" in _ts_verify(openssl, pki)  # openssl takes the TSA cert from -untrusted
    with pytest.raises(TimestampError, match="does not contain the TSA certificate"):
        verify_timestamp(response, data=DOCUMENT)
    assert verify_timestamp(response, data=DOCUMENT, tsa_certificate=pki.tsa_cert).hash_algorithm == "sha256"


def test_rsa_tsa_verifies_with_openssl(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    signer, cert = issue_with_new_key(
        pki.gov, subject_name("vnegov TSA RSA"), TIME_STAMPING, algorithm="rsa-3072"
    )
    (tmp_path / "tsa-rsa.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    tsa = TimeStampAuthority(cert, signer, itertools.count(1).__next__)
    (tmp_path / "resp.tsr").write_bytes(respond_timestamp(_query(openssl, tmp_path, "-sha512", "-cert"), tsa))
    done = openssl(
        "ts", "-verify", "-in", "resp.tsr", "-data", "file.txt", "-CAfile", pki.folder / "chain.pem"
    )  # the TSA certificate comes from the token itself
    assert "Verification: OK" in done.stdout + done.stderr


def test_our_client_request_and_verification(pki: Pki, openssl: OpenSSL, tmp_path: Path) -> None:
    tsa, issued = _tsa(pki)
    digest = hashlib.sha256(DOCUMENT).digest()
    request = timestamp_request(digest, nonce=424242)
    (tmp_path / "mine.tsq").write_bytes(request)
    query_text = openssl("ts", "-query", "-in", "mine.tsq", "-text", check=True).stdout
    assert "Certificate required: yes" in query_text and "Nonce: 0x067932" in query_text
    token = verify_timestamp(respond_timestamp(request, tsa), data=DOCUMENT, nonce=424242)
    assert token.serial_number == issued[0] and token.hashed_message == digest
    assert token.tsa_certificate == pki.tsa_cert and token.accuracy is not None
    assert token.accuracy.total_seconds() == 1 and token.policy == DEFAULT_TSA_POLICY
    assert verify_timestamp(token.token, digest=digest).serial_number == token.serial_number
    with pytest.raises(TimestampError, match="imprint"):
        verify_timestamp(token.token, data=DOCUMENT + b"!")
    with pytest.raises(TimestampError, match="nonce"):
        verify_timestamp(token.token, nonce=1)


def test_a_token_with_an_altered_signature_fails(pki: Pki) -> None:
    tsa, _ = _tsa(pki)
    token = verify_timestamp(respond_timestamp(timestamp_request(hashlib.sha256(b"x").digest()), tsa)).token
    altered = bytearray(token)
    altered[-3] ^= 0x40  # inside the ECDSA signature value, the last field of the token
    with pytest.raises(TimestampError, match="signature does not verify"):
        verify_timestamp(bytes(altered))


def test_a_rejection_does_not_verify(pki: Pki) -> None:
    with pytest.raises(TimestampError, match="did not grant"):
        verify_timestamp(respond_timestamp(b"junk", _tsa(pki)[0]))
    with pytest.raises(TimestampError, match="neither"):
        verify_timestamp(b"junk")


def test_tsa_needs_a_time_stamping_certificate(pki: Pki) -> None:
    with pytest.raises(ProfileError, match="timeStamping"):
        TimeStampAuthority(pki.ocsp_cert, pki.ocsp_signer, itertools.count().__next__)
    with pytest.raises(ProfileError, match="does not hold"):
        TimeStampAuthority(pki.tsa_cert, pki.ocsp_signer, itertools.count().__next__)
    with pytest.raises(ProfileError, match="sha1"):
        timestamp_request(b"\x00" * 20, "sha1")


def test_a_token_with_an_altered_tst_info_fails(pki: Pki) -> None:
    tsa, _ = _tsa(pki)
    token = verify_timestamp(respond_timestamp(timestamp_request(hashlib.sha256(b"x").digest()), tsa)).token
    info = cms.ContentInfo.load(token)
    tst = info["content"]["encap_content_info"]["content"].parsed
    tst["serial_number"] = 999_999  # a forged serial, signature left as it was
    info["content"]["encap_content_info"]["content"] = tst
    with pytest.raises(TimestampError, match="message-digest"):
        verify_timestamp(info.dump(force=True))
