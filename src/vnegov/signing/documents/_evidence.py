"""What a format reader extracts from one signature before any trust decision (bằng chứng về chữ ký)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509

from vnegov.signing.documents.report import Indication, PdfValidatorResult, SubIndication, Text
from vnegov.signing.documents.trust import RevocationData


@dataclass(frozen=True)
class Finding:
    """A reason a signature is not valid: indication, sub-indication, explanation."""

    indication: Indication
    sub: SubIndication
    text: Text


def failed(sub: SubIndication, vi: str, en: str) -> Finding:
    return Finding(Indication.TOTAL_FAILED, sub, Text(vi, en))


def indeterminate(sub: SubIndication, vi: str, en: str) -> Finding:
    return Finding(Indication.INDETERMINATE, sub, Text(vi, en))


@dataclass
class Evidence:
    """One signature as read from the document: the signer, its claims, and the integrity result.

    `integrity` is None when the document is unchanged and the signature value verifies with the
    signer's key; otherwise it says what failed. `signature_value` is what a signature time-stamp covers.
    """

    signature_id: str
    level: str
    signer: x509.Certificate | None
    certificates: tuple[x509.Certificate, ...] = ()
    integrity: Finding | None = None
    hash_algorithm: str | None = None
    signature_algorithm: str | None = None
    claimed_time: datetime | None = None
    timestamp_token: bytes | None = None
    signature_value: bytes = b""
    embedded_revocation: RevocationData = field(default_factory=RevocationData)
    notes: list[Text] = field(default_factory=list)
    pdf_validator: PdfValidatorResult | None = None


class FormatProblem(Exception):
    """The input is not a document of the expected format (raised by readers, turned into a report)."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.text = Text(vi, en)
