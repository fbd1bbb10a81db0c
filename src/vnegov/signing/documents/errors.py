"""Errors of document signing (lỗi khi ký số tài liệu), with stable `code`s for the service to pass on.

    DomainError
     ├── InvalidInput
     │    ├── DocumentFormatError      the document to sign cannot be read (not a PDF, too large, …)
     │    └── SignerCertificateError   the signer's certificate may not sign documents now
     │                                 (revoked, expired, untrusted, wrong key usage, key mismatch)
     ├── UpstreamUnavailable
     │    ├── TimeStampingError        the TSA refused or returned a token that does not verify
     │    └── RevocationDataError      no revocation data for B-LT (thiếu thông tin trạng thái chứng thư)
     └── DocumentSigningError          the signature could not be produced for another reason

Verification never raises on bad input: it returns a report (see `report.ValidationReport`).
"""

from __future__ import annotations

from vnegov.kernel.errors import DomainError, InvalidInput, UpstreamUnavailable


class DocumentFormatError(InvalidInput):
    code = "document_invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="document")


class SignerCertificateError(InvalidInput):
    """The signing certificate must not be used (không được dùng chứng thư số này để ký)."""

    code = "signer_certificate_unusable"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="certificate")


class TimeStampingError(UpstreamUnavailable):
    code = "timestamp_failed"


class RevocationDataError(UpstreamUnavailable):
    code = "revocation_data_unavailable"


class DocumentSigningError(DomainError):
    code = "document_signing_failed"
