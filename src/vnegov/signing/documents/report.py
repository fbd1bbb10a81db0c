"""The validation report (báo cáo xác thực chữ ký số), one shape for PAdES, JWS and CMS.

Shaped like the EU DSS "simple report" and ETSI EN 319 102-1: per signature an indication
(TOTAL_PASSED / TOTAL_FAILED / INDETERMINATE), a sub-indication saying why, and the checks behind it
(toàn vẹn, chuỗi chứng thư, hiệu lực, trạng thái thu hồi, mục đích sử dụng khóa, dấu thời gian). Every
reason is given in Vietnamese and in English. The report is JSON-serialisable (`model_dump(mode="json")`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Indication(StrEnum):
    """Overall result (kết luận): valid, invalid, or cannot be decided with the data at hand."""

    TOTAL_PASSED = "TOTAL_PASSED"  # hợp lệ
    TOTAL_FAILED = "TOTAL_FAILED"  # không hợp lệ
    INDETERMINATE = "INDETERMINATE"  # chưa xác định được


class SubIndication(StrEnum):
    """Why a signature is not valid, with ETSI EN 319 102-1 names (§5.1.3); INTERNAL_ERROR is ours."""

    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class SignatureFormat(StrEnum):
    PADES = "pades"
    JWS = "jws"
    CMS = "cms"


class CheckStatus(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    INDETERMINATE = "INDETERMINATE"
    NOT_CHECKED = "NOT_CHECKED"


@dataclass(frozen=True)
class Text:
    """A sentence in Vietnamese and in English."""

    vi: str
    en: str

    def then(self, other: Text) -> Text:
        return Text(f"{self.vi} {other.vi}", f"{self.en} {other.en}")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Check(_Model):
    """One check and its result, with the reason in both languages."""

    status: CheckStatus
    reason_vi: str = ""
    reason_en: str = ""

    @classmethod
    def of(cls, status: CheckStatus, text: Text | None = None) -> Check:
        return cls(status=status, reason_vi=text.vi if text else "", reason_en=text.en if text else "")


NOT_CHECKED = Check(status=CheckStatus.NOT_CHECKED)


class Identifier(_Model):
    """A Vietnamese identifier from the subject's UID (MST, CCCD, MDDT, …)."""

    kind: str
    value: str


class CertificateInfo(_Model):
    """What a reader needs to know about a certificate (thông tin chứng thư số)."""

    subject: str
    common_name: str | None
    identifiers: list[Identifier]
    issuer: str
    serial_number: str
    not_before: datetime
    not_after: datetime
    sha256: str


class RevocationCheck(Check):
    """Revocation status of the chain at the validation time (trạng thái thu hồi)."""

    source: str | None = None
    """"embedded" (data in the document, B-LT) or "revocation_source" (asked when verifying)."""
    revoked_at: datetime | None = None


class TimestampInfo(_Model):
    """The signature time-stamp (dấu thời gian của chữ ký), if the signature has one."""

    check: Check
    time: datetime | None = None
    tsa: str | None = None
    serial_number: int | None = None


class PdfValidatorResult(_Model):
    """pyHanko's own validator on the same PDF signature: an independent second opinion."""

    intact: bool = False
    valid: bool = False
    trusted: bool = False
    revoked: bool = False
    coverage: str | None = None
    modification_level: str | None = None
    docmdp_ok: bool | None = None
    summary: str = ""
    error: str | None = None


class SignatureReport(_Model):
    """One signature: who signed, when, and each check (kết quả xác thực một chữ ký)."""

    id: str
    level: str
    """e.g. "PAdES-BASELINE-LT", "CAdES-BASELINE-T", "JWS"."""
    indication: Indication
    sub_indication: SubIndication | None = None
    reason_vi: str
    reason_en: str
    signer: CertificateInfo | None = None
    certificate_chain: list[CertificateInfo] = []
    signing_time_claimed: datetime | None = None
    timestamp: TimestampInfo | None = None
    validation_time: datetime
    validation_time_source: str
    """"timestamp" when a valid signature time-stamp proves the time, else "now"."""
    hash_algorithm: str | None = None
    signature_algorithm: str | None = None
    integrity: Check = NOT_CHECKED
    chain: Check = NOT_CHECKED
    certificate_validity: Check = NOT_CHECKED
    revocation: RevocationCheck = RevocationCheck(status=CheckStatus.NOT_CHECKED)
    key_usage: Check = NOT_CHECKED
    pdf_validator: PdfValidatorResult | None = None
    notes_vi: list[str] = []
    notes_en: list[str] = []


class ValidationReport(_Model):
    """The report for one document (báo cáo xác thực): the worst signature decides the verdict."""

    format: SignatureFormat | None
    filename: str | None = None
    validated_at: datetime
    indication: Indication
    sub_indication: SubIndication | None = None
    reason_vi: str
    reason_en: str
    signatures_count: int = 0
    valid_signatures_count: int = 0
    signatures: list[SignatureReport] = []
