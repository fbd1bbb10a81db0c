"""Errors of the signing core (lỗi chữ ký số), with stable `code`s a service can pass on to clients.

    DomainError
     ├── KeyDecryptionError        wrong passphrase for an encrypted private key (sai mật khẩu khóa)
     ├── InvalidInput
     │    ├── KeyFormatError       not a PKCS#8 PEM private key, or not encrypted
     │    ├── UnsupportedKeyError  key type or size we do not issue or sign with
     │    ├── CsrError             malformed request, or its signature does not verify (yêu cầu cấp chứng thư)
     │    ├── ProfileError         the request does not fit the certificate profile (hồ sơ chứng thư)
     │    └── SubjectError         a Vietnamese identifier (MST, CCCD, mã định danh…) is missing or malformed
     └── TimestampError            a time-stamp token does not verify (dấu thời gian không hợp lệ)

OCSP and TSA requests never raise on bad input: the protocols have their own error statuses
(`malformedRequest`, PKIStatus `rejection` with a failInfo), which the responders return instead.
"""

from __future__ import annotations

from vnegov.kernel.errors import DomainError, InvalidInput


class KeyDecryptionError(DomainError):
    """The passphrase does not open the private key (mật khẩu bảo vệ khóa bí mật không đúng)."""

    code = "key_decryption_failed"


class KeyFormatError(InvalidInput):
    code = "key_format_invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="key")


class UnsupportedKeyError(InvalidInput):
    code = "key_unsupported"

    def __init__(self, message: str, *, field: str = "key") -> None:
        super().__init__(message, field=field)


class CsrError(InvalidInput):
    code = "csr_invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="csr")


class ProfileError(InvalidInput):
    code = "profile_mismatch"

    def __init__(self, message: str, *, field: str = "csr") -> None:
        super().__init__(message, field=field)


class SubjectError(InvalidInput):
    code = "subject_invalid"

    def __init__(self, message: str, *, field: str = "subject") -> None:
        super().__init__(message, field=field)


class TimestampError(DomainError):
    code = "timestamp_invalid"
