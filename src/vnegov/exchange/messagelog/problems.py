"""What verification finds wrong with a message log (vấn đề phát hiện khi kiểm tra nhật ký)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    """The log was tampered with or a seal does not hold: the log is not ok."""
    WARNING = "warning"
    """Worth knowing but not a sign of tampering (e.g. records not yet sealed)."""


class ProblemCode(StrEnum):
    EDITED = "edited"
    """A record's hash does not match its content."""
    DELETED = "deleted"
    """Sequence numbers are missing."""
    REORDERED = "reordered"
    """A record comes after one with a higher sequence number, or hash links cross."""
    DUPLICATE = "duplicate"
    """Two records carry the same sequence number."""
    BROKEN_LINK = "broken_link"
    """A record's previous_hash is not the previous record's hash."""
    SEAL_HEAD_MISMATCH = "seal_head_mismatch"
    """A seal's head hash is not the hash of the record at its sequence number."""
    SEAL_RECORD_MISSING = "seal_record_missing"
    """A seal covers a record that is not in the log (the log was truncated)."""
    SEAL_INVALID = "seal_invalid"
    """A seal is malformed (bad sequence range, unreadable certificate)."""
    SEAL_SIGNATURE = "seal_signature"
    """A seal's signature does not verify with its certificate."""
    SEAL_TIMESTAMP = "seal_timestamp"
    """A seal's time-stamp token does not verify or is for other data."""
    SEAL_UNTRUSTED = "seal_untrusted"
    """A seal's signer or TSA certificate is not trusted, or was not valid at the time-stamp."""
    NOT_SEALED = "not_sealed"
    """Records after the last seal (warning)."""
    TRUST_NOT_CHECKED = "trust_not_checked"
    """Seals were checked without trusted certificates (warning)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding, about the record (or seal head) with sequence number `sequence`.

    `until_sequence` is set when the finding covers a range (missing or unsealed records).
    """

    code: ProblemCode
    sequence: int
    message: str
    message_vi: str
    severity: Severity = Severity.ERROR
    until_sequence: int | None = None

    def __str__(self) -> str:
        where = f"#{self.sequence}" + (
            f"–#{self.until_sequence}" if self.until_sequence not in (None, self.sequence) else ""
        )
        return f"{self.severity} {where} {self.code}: {self.message}"
