"""Verification of signed documents (xác thực chữ ký số): one report for PDF, JWS and CMS.

`verify_document` recognises the format (a PDF by its %PDF header, a JWS by its three base64url parts
or its JSON serialization, a CMS signature by its DER ContentInfo or PKCS7 PEM block), reads every
signature, and judges each against the `TrustStore` (see `_evaluate` for the rules). It never raises
on bad input: garbage, an oversized upload or an unknown algorithm give a report with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from vnegov.signing.documents._evaluate import evaluate
from vnegov.signing.documents._evidence import Evidence, FormatProblem
from vnegov.signing.documents._pdf_read import read_pdf
from vnegov.signing.documents.cms import looks_like_cms, read_cms
from vnegov.signing.documents.jws import looks_like_jws, read_jws
from vnegov.signing.documents.report import (
    Indication,
    SignatureFormat,
    SignatureReport,
    SubIndication,
    Text,
    ValidationReport,
)
from vnegov.signing.documents.trust import TrustStore

log = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 25 * 1024 * 1024
"""Largest document (and detached content) accepted for verification: 25 MiB."""

_SEVERITY = {Indication.TOTAL_PASSED: 0, Indication.INDETERMINATE: 1, Indication.TOTAL_FAILED: 2}


def detect_format(data: bytes) -> SignatureFormat | None:
    """PDF, JWS or CMS by their first bytes; None when it is none of them."""
    if b"%PDF-" in data[:1024]:
        return SignatureFormat.PADES
    if looks_like_jws(data):
        return SignatureFormat.JWS
    if looks_like_cms(data):
        return SignatureFormat.CMS
    return None


def _failure_report(
    text: Text,
    *,
    fmt: SignatureFormat | None,
    filename: str | None,
    now: datetime,
    indication: Indication = Indication.TOTAL_FAILED,
    sub: SubIndication = SubIndication.FORMAT_FAILURE,
) -> ValidationReport:
    return ValidationReport(
        format=fmt,
        filename=filename,
        validated_at=now,
        indication=indication,
        sub_indication=sub,
        reason_vi=text.vi,
        reason_en=text.en,
    )


def _too_large(size: int, limit: int) -> Text:
    mib = limit / (1024 * 1024)
    return Text(
        f"Tệp quá lớn ({size} byte); giới hạn xác thực là {mib:g} MiB.",
        f"The file is too large ({size} bytes); the verification limit is {mib:g} MiB.",
    )


_UNKNOWN_FORMAT = Text(
    "Không nhận dạng được định dạng: cần tệp PDF đã ký, chữ ký JWS hoặc chữ ký CMS/PKCS#7 (.p7s).",
    "Unrecognised format: expected a signed PDF, a JWS or a CMS/PKCS#7 signature (.p7s).",
)


def _read(fmt: SignatureFormat, data: bytes, detached: bytes | None, trust: TrustStore) -> list[Evidence]:
    readers: dict[SignatureFormat, Callable[[], list[Evidence]]] = {
        SignatureFormat.PADES: lambda: read_pdf(data, trust),
        SignatureFormat.JWS: lambda: read_jws(data, detached),
        SignatureFormat.CMS: lambda: read_cms(data, detached),
    }
    return readers[fmt]()


def _summary(
    fmt: SignatureFormat, filename: str | None, now: datetime, reports: list[SignatureReport]
) -> ValidationReport:
    worst = max(reports, key=lambda r: _SEVERITY[r.indication])
    valid = sum(r.indication is Indication.TOTAL_PASSED for r in reports)
    return ValidationReport(
        format=fmt,
        filename=filename,
        validated_at=now,
        indication=worst.indication,
        sub_indication=worst.sub_indication,
        reason_vi=worst.reason_vi,
        reason_en=worst.reason_en,
        signatures_count=len(reports),
        valid_signatures_count=valid,
        signatures=reports,
    )


def _verify(
    data: bytes, trust: TrustStore, detached: bytes | None, filename: str | None, now: datetime, limit: int
) -> ValidationReport:
    for blob in (data, detached or b""):
        if len(blob) > limit:
            return _failure_report(_too_large(len(blob), limit), fmt=None, filename=filename, now=now)
    fmt = detect_format(data)
    if fmt is None:
        return _failure_report(_UNKNOWN_FORMAT, fmt=None, filename=filename, now=now)
    try:
        evidence = _read(fmt, data, detached, trust)
    except FormatProblem as problem:
        return _failure_report(problem.text, fmt=fmt, filename=filename, now=now)
    reports = [evaluate(e, trust, now) for e in evidence]
    return _summary(fmt, filename, now, reports)


def verify_document(
    data: bytes,
    *,
    trust: TrustStore,
    detached_content: bytes | None = None,
    filename: str | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
    now: datetime | None = None,
) -> ValidationReport:
    """Xác thực chữ ký số: the validation report for a signed PDF, a JWS or a CMS signature.

    `detached_content` is the signed file of a detached CMS or JWS signature. `now` is the time to
    validate at when no time-stamp proves the signing time (default: the current time). Never raises
    on bad input; an unexpected internal error gives INDETERMINATE/INTERNAL_ERROR and is logged.
    """
    moment = now or datetime.now(UTC)
    try:
        return _verify(data, trust, detached_content, filename, moment, max_size)
    except Exception:  # the last line of defence: a report, never a 500
        log.exception("verification of %s failed unexpectedly", filename or "a document")
        text = Text(
            "Lỗi nội bộ khi xác thực; vui lòng báo cho quản trị hệ thống.",
            "Internal error during verification; please tell the system administrator.",
        )
        return _failure_report(
            text,
            fmt=None,
            filename=filename,
            now=moment,
            indication=Indication.INDETERMINATE,
            sub=SubIndication.INTERNAL_ERROR,
        )
