"""Signing and verifying documents (ký số và xác thực chữ ký số tài liệu điện tử).

Pure functions for the signing service: no database, no HTTP. The private key is only used through
the crypto core's `Signer` (file key or HSM), revocation data comes from an injected
`RevocationSource`, time-stamps from an injected `TimeStamper`.

Sign (ký số):
- `sign_pdf` — PDF as PAdES B-B, B-T or B-LT (pyHanko);
- `sign_jws` — JSON as JWS, compact or detached, with `x5c` and `sigT`;
- `sign_cms` — any file as a detached CMS signature (`.p7s`), optionally time-stamped (CAdES-B-T).

Verify (xác thực): `verify_document` → `ValidationReport`, one shape for all three formats, like
the EU DSS simple report, with reasons in Vietnamese and English.
"""

from vnegov.signing.documents.cms import sign_cms
from vnegov.signing.documents.credential import SigningCredential, check_signing_certificate
from vnegov.signing.documents.errors import (
    DocumentFormatError,
    DocumentSigningError,
    RevocationDataError,
    SignerCertificateError,
    TimeStampingError,
)
from vnegov.signing.documents.jws import jws_algorithm, sign_jws
from vnegov.signing.documents.pades import DEFAULT_LOCATION, PadesLevel, PdfSignatureOptions, sign_pdf
from vnegov.signing.documents.report import (
    CertificateInfo,
    Check,
    CheckStatus,
    Identifier,
    Indication,
    PdfValidatorResult,
    RevocationCheck,
    SignatureFormat,
    SignatureReport,
    SubIndication,
    TimestampInfo,
    ValidationReport,
)
from vnegov.signing.documents.trust import (
    NoRevocationData,
    RevocationData,
    RevocationSource,
    TimeStamper,
    TrustStore,
    collect_revocation_data,
)
from vnegov.signing.documents.verify import DEFAULT_MAX_SIZE, detect_format, verify_document

__all__ = [
    "DEFAULT_LOCATION",
    "DEFAULT_MAX_SIZE",
    "CertificateInfo",
    "Check",
    "CheckStatus",
    "DocumentFormatError",
    "DocumentSigningError",
    "Identifier",
    "Indication",
    "NoRevocationData",
    "PadesLevel",
    "PdfSignatureOptions",
    "PdfValidatorResult",
    "RevocationCheck",
    "RevocationData",
    "RevocationDataError",
    "RevocationSource",
    "SignatureFormat",
    "SignatureReport",
    "SignerCertificateError",
    "SigningCredential",
    "SubIndication",
    "TimeStamper",
    "TimeStampingError",
    "TimestampInfo",
    "TrustStore",
    "ValidationReport",
    "check_signing_certificate",
    "collect_revocation_data",
    "detect_format",
    "jws_algorithm",
    "sign_cms",
    "sign_jws",
    "sign_pdf",
    "verify_document",
]
