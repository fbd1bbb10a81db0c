"""Sealing the chain head in batches (niêm phong đầu chuỗi): signed and RFC 3161 time-stamped.

Every so often the gateway seals the entry at the head of the log: it signs a canonical seal statement
naming the batch's first and last sequence numbers and the head hash, and asks a TSA for a time-stamp
over SHA-256 of the statement (one token per batch, as X-Road does). Since each hash covers every entry
before it, a seal commits to the whole log up to its head: rewriting records and recomputing the hashes
afterwards no longer matches the sealed head.

Seal statement, version 1: UTF-8 JSON, keys sorted, no whitespace::

    {"first_seq":1,"head_hash":"<hex>","last_seq":1000,"type":"vnegov.exchange.messagelog.seal","v":1}

The signature is the signer's raw signature value over those bytes (ECDSA DER, RSA PKCS#1 v1.5 with
SHA-256, or Ed25519, per the key), checked with the public key of the certificate stored in the seal.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from vnegov.exchange.messagelog.problems import Problem, ProblemCode
from vnegov.exchange.messagelog.records import HEX_DIGEST, MessageLogEntry
from vnegov.signing.crypto import (
    Signer,
    TimestampError,
    TimeStampToken,
    UnsupportedKeyError,
    signature_algorithm_for,
    verify_timestamp,
)
from vnegov.signing.crypto.keys import PublicKey, verify_signature

SEAL_VERSION = 1
SEAL_STATEMENT_TYPE = "vnegov.exchange.messagelog.seal"

SealRole = Literal["seal", "tsa"]
TrustCheck = Callable[[x509.Certificate, SealRole], bool]
"""Is this certificate trusted to sign seals (role "seal") or time-stamps (role "tsa")?"""

Stamp = Callable[[bytes], bytes]
"""Ask a TSA for a time-stamp over a SHA-256 digest; returns the DER TimeStampResp (or token)."""

_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class SealError(Exception):
    """A seal could not be made or does not verify; `problems` says why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = tuple(problems)


def seal_statement(first_sequence: int, last_sequence: int, head_hash: str) -> bytes:
    """The canonical bytes a seal signs and time-stamps (see the module docstring)."""
    document = {
        "type": SEAL_STATEMENT_TYPE,
        "v": SEAL_VERSION,
        "first_seq": first_sequence,
        "last_seq": last_sequence,
        "head_hash": head_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class ChainSeal:
    """A signed, time-stamped statement that entry `last_sequence` of the log has hash `head_hash`.

    `first_sequence` is the first entry of the batch this seal closes. `certificate` is the signer's
    certificate (DER); `timestamp` the RFC 3161 time-stamp token (DER ContentInfo) over SHA-256 of
    the statement.
    """

    first_sequence: int
    last_sequence: int
    head_hash: str
    signature: bytes
    certificate: bytes
    timestamp: bytes
    version: int = SEAL_VERSION

    def statement(self) -> bytes:
        return seal_statement(self.first_sequence, self.last_sequence, self.head_hash)

    def statement_digest(self) -> bytes:
        return hashlib.sha256(self.statement()).digest()

    def signer_certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.certificate)


def _problem(seal: ChainSeal, code: ProblemCode, message: str, message_vi: str) -> Problem:
    return Problem(code, seal.last_sequence, message, message_vi)


def _check_batch(entries: Sequence[MessageLogEntry]) -> None:
    if not entries:
        raise ValueError("nothing to seal: the batch is empty")
    for before, after in itertools.pairwise(entries):
        if after.sequence != before.sequence + 1 or after.previous_hash != before.hash:
            raise ValueError(f"entry {after.sequence} does not follow entry {before.sequence} in the chain")
    if not entries[-1].hash:
        raise ValueError("the head entry is not chained (no hash)")


def seal_batch(
    entries: Sequence[MessageLogEntry], signer: Signer, certificate: x509.Certificate, stamp: Stamp
) -> ChainSeal:
    """Seal a batch of consecutive, chained entries: sign the statement, time-stamp it, check the token.

    Raises `SealError` when the time-stamp cannot be obtained or does not verify (the gateway counts
    such failures to fail closed), `ValueError` for an empty or broken batch or a certificate that is
    not the signer's.
    """
    _check_batch(entries)
    return seal_range(entries[0].sequence, entries[-1], signer, certificate, stamp)


def seal_range(
    first_sequence: int, head: MessageLogEntry, signer: Signer, certificate: x509.Certificate, stamp: Stamp
) -> ChainSeal:
    """Seal records `first_sequence`..`head.sequence` knowing only the head: what a writer that owns the
    chain does (it never wrote a broken link; `verify_log` checks every link later anyway)."""
    if not head.hash or not 1 <= first_sequence <= head.sequence:
        raise ValueError("the head entry is not chained, or the range is empty")
    if certificate.public_key().public_bytes(*_SPKI) != signer.public_key().public_bytes(*_SPKI):
        raise ValueError("the certificate is not for the signer's key")
    statement = seal_statement(first_sequence, head.sequence, head.hash)
    signature = signer.sign(statement)
    digest = hashlib.sha256(statement).digest()
    try:
        token = verify_timestamp(stamp(digest), digest=digest)
    except Exception as exc:
        problem = Problem(
            ProblemCode.SEAL_TIMESTAMP,
            head.sequence,
            f"no valid time-stamp for the seal of records {first_sequence}–{head.sequence}: {exc}",
            f"không lấy được dấu thời gian hợp lệ cho niêm phong bản ghi "
            f"{first_sequence}–{head.sequence}: {exc}",
        )
        raise SealError([problem]) from exc
    return ChainSeal(
        first_sequence=first_sequence,
        last_sequence=head.sequence,
        head_hash=head.hash,
        signature=signature,
        certificate=certificate.public_bytes(serialization.Encoding.DER),
        timestamp=token.token,
    )


def _within(cert: x509.Certificate, moment: datetime) -> bool:
    return cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc


def _trusted(check: TrustCheck, cert: x509.Certificate, role: SealRole) -> bool:
    try:
        return bool(check(cert, role))
    except Exception:
        return False


def check_seal(
    seal: ChainSeal, trusted_check: TrustCheck | None = None
) -> tuple[list[Problem], TimeStampToken | None]:
    """Everything about a seal that does not need the log: form, signature, time-stamp, trust.

    Returns the problems found (all at the seal's `last_sequence`) and the verified token, if any.
    """
    s = seal
    where = f"the seal of record {s.last_sequence}"
    where_vi = f"niêm phong bản ghi {s.last_sequence}"
    if (
        s.version != SEAL_VERSION
        or not 1 <= s.first_sequence <= s.last_sequence
        or not HEX_DIGEST.fullmatch(s.head_hash)
    ):
        return [
            _problem(
                s,
                ProblemCode.SEAL_INVALID,
                f"{where} is malformed (version, sequence range or head hash)",
                f"{where_vi} sai định dạng (phiên bản, khoảng số thứ tự hoặc mã băm đầu chuỗi)",
            )
        ], None
    try:
        cert = s.signer_certificate()
    except ValueError:
        return [
            _problem(
                s,
                ProblemCode.SEAL_INVALID,
                f"{where} carries an unreadable certificate",
                f"{where_vi} mang chứng thư số không đọc được",
            )
        ], None
    problems: list[Problem] = []
    statement = s.statement()
    try:
        public_key = cert.public_key()
        if not isinstance(public_key, PublicKey):
            raise UnsupportedKeyError(f"key type {type(public_key).__name__} is not accepted")
        verify_signature(public_key, signature_algorithm_for(public_key), s.signature, statement)
    except (InvalidSignature, UnsupportedKeyError, ValueError):
        problems.append(
            _problem(
                s,
                ProblemCode.SEAL_SIGNATURE,
                f"the signature of {where} does not verify with its certificate "
                f"({cert.subject.rfc4514_string()})",
                f"chữ ký của {where_vi} không hợp lệ với chứng thư số kèm theo "
                f"({cert.subject.rfc4514_string()})",
            )
        )
    token: TimeStampToken | None = None
    try:
        token = verify_timestamp(s.timestamp, digest=hashlib.sha256(statement).digest())
        if token.hash_algorithm != "sha256":
            raise TimestampError(f"the time-stamp uses {token.hash_algorithm}, not SHA-256")
    except TimestampError as exc:
        token = None
        problems.append(
            _problem(
                s,
                ProblemCode.SEAL_TIMESTAMP,
                f"the time-stamp of {where} does not verify: {exc}",
                f"dấu thời gian của {where_vi} không hợp lệ: {exc}",
            )
        )
    if token is not None and not _within(cert, token.gen_time):
        problems.append(
            _problem(
                s,
                ProblemCode.SEAL_UNTRUSTED,
                f"the certificate of {where} was not valid at its time-stamp ({token.gen_time:%Y-%m-%d})",
                f"chứng thư số của {where_vi} không còn hiệu lực tại thời điểm đóng dấu thời gian "
                f"({token.gen_time:%d/%m/%Y})",
            )
        )
    if trusted_check is not None and not _trusted(trusted_check, cert, "seal"):
        problems.append(
            _problem(
                s,
                ProblemCode.SEAL_UNTRUSTED,
                f"{where} is signed by an untrusted certificate ({cert.subject.rfc4514_string()})",
                f"{where_vi} được ký bằng chứng thư số không tin cậy ({cert.subject.rfc4514_string()})",
            )
        )
    if (
        token is not None
        and trusted_check is not None
        and not _trusted(trusted_check, token.tsa_certificate, "tsa")
    ):
        problems.append(
            _problem(
                s,
                ProblemCode.SEAL_UNTRUSTED,
                f"the time-stamp of {where} is from an untrusted TSA "
                f"({token.tsa_certificate.subject.rfc4514_string()})",
                f"dấu thời gian của {where_vi} do TSA không tin cậy cấp "
                f"({token.tsa_certificate.subject.rfc4514_string()})",
            )
        )
    return problems, token


def head_problems(seal: ChainSeal, entry: MessageLogEntry) -> list[Problem]:
    """Does the record at the seal's sequence number have the sealed hash (and match its content)?"""
    matches = entry.sequence == seal.last_sequence and entry.hash == seal.head_hash
    if matches and entry.previous_hash and entry.compute_hash() == entry.hash:
        return []
    return [
        _problem(
            seal,
            ProblemCode.SEAL_HEAD_MISMATCH,
            f"record {entry.sequence} does not match the sealed head of record {seal.last_sequence} "
            f"(sealed hash {seal.head_hash[:16]}…, record hash {entry.hash[:16]}…)",
            f"bản ghi {entry.sequence} không khớp đầu chuỗi đã niêm phong của bản ghi {seal.last_sequence}",
        )
    ]


def verify_seal(
    seal: ChainSeal, head_entry: MessageLogEntry, trusted_check: TrustCheck | None = None
) -> TimeStampToken:
    """Check a seal against the log's record at its head: signature, time-stamp, trust, head hash.

    Returns the verified time-stamp (its `gen_time` is when the head was sealed); raises `SealError`
    listing every problem otherwise.
    """
    problems, token = check_seal(seal, trusted_check)
    problems += head_problems(seal, head_entry)
    if problems or token is None:
        raise SealError(problems)
    return token


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pinned(*, seal: Iterable[x509.Certificate], tsa: Iterable[x509.Certificate]) -> TrustCheck:
    """Trust exactly these seal-signing and TSA certificates."""
    by_role: dict[SealRole, frozenset[bytes]] = {
        "seal": frozenset(map(_der, seal)),
        "tsa": frozenset(map(_der, tsa)),
    }

    def check(cert: x509.Certificate, role: SealRole) -> bool:
        return _der(cert) in by_role[role]

    return check


def issued_by(*cas: x509.Certificate) -> TrustCheck:
    """Trust certificates signed directly by one of these CA certificates (or the CA certificates themselves).

    Neither revocation nor longer chains are checked; the signing component's verifier can stand in.
    """
    known = frozenset(map(_der, cas))

    def check(cert: x509.Certificate, role: SealRole) -> bool:
        if _der(cert) in known:
            return True
        for ca in cas:
            try:
                cert.verify_directly_issued_by(ca)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return True
        return False

    return check
