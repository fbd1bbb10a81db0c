"""Reading PAdES signatures (đọc chữ ký trong tệp PDF) for verification, with pyHanko's second opinion.

Each /Sig signature is a detached CMS over its /ByteRange: the CMS checks are shared with `.p7s` files
(`_cms_read`); pyHanko adds what is PDF-specific, i.e. whether the signature covers the whole revision
and whether later incremental updates (such as a B-LT DSS) are allowed ones. The DSS's certificates,
CRLs and OCSP responses become embedded revocation data. Finally pyHanko's own validator judges the
same signature with a context built from our trust store; its result is reported as is, and it can
only make the verdict stricter (it never turns a failure into a pass).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from io import BytesIO

from asn1crypto import cms
from cryptography import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import EmbeddedPdfSignature, SignatureCoverageLevel, validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError

from vnegov.signing.documents._cms_read import certificates_in, read_signer_info
from vnegov.signing.documents._evidence import Evidence, Finding, FormatProblem, failed
from vnegov.signing.documents._paths import build_path, utc
from vnegov.signing.documents._sync import off_loop
from vnegov.signing.documents.pades import validation_context
from vnegov.signing.documents.report import PdfValidatorResult, SubIndication
from vnegov.signing.documents.trust import RevocationData, TrustStore, collect_revocation_data

log = logging.getLogger(__name__)

_READ_ERRORS = (PdfError, ValueError, TypeError, KeyError, IndexError, AttributeError)


@dataclass(frozen=True)
class _Dss:
    certificates: tuple[x509.Certificate, ...] = ()
    revocation: RevocationData = field(default_factory=RevocationData)


def _stream_data(refs: list[object]) -> tuple[bytes, ...]:
    return tuple(ref.get_object().data for ref in refs)  # type: ignore[attr-defined]


def _read_dss(reader: PdfFileReader) -> _Dss:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return _Dss()
    certs = tuple(x509.load_der_x509_certificate(c.dump()) for c in dss.load_certs())
    return _Dss(certs, RevocationData(_stream_data(dss.crls), _stream_data(dss.ocsps)))


def open_pdf(data: bytes) -> PdfFileReader:
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        if reader.encrypted:
            raise FormatProblem(
                "Tệp PDF được mã hóa; không xác thực được.", "The PDF is encrypted; it cannot be verified."
            )
        return reader
    except _READ_ERRORS as exc:
        raise FormatProblem(
            "Tệp không phải là PDF đọc được.", f"The file is not a readable PDF ({type(exc).__name__})."
        ) from None


def _coverage(sig: EmbeddedPdfSignature) -> Finding | None:
    try:
        sig.compute_integrity_info()
    except _READ_ERRORS as exc:
        return failed(
            SubIndication.FORMAT_FAILURE,
            "Không phân tích được các phiên bản của tệp PDF.",
            f"The PDF's revisions cannot be analysed ({type(exc).__name__}).",
        )
    if sig.coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION):
        return failed(
            SubIndication.HASH_FAILURE,
            "Chữ ký không bao phủ toàn bộ tài liệu.",
            "The signature does not cover the whole document.",
        )
    if sig.summarise_integrity_info()["docmdp_ok"] is False:
        return failed(
            SubIndication.HASH_FAILURE,
            "Tài liệu đã bị sửa đổi sau khi ký theo cách không được phép.",
            "The document was modified after signing in a way that is not allowed.",
        )
    return None


def _level(evidence: Evidence, dss: _Dss) -> str:
    if evidence.timestamp_token is None:
        return "PAdES-BASELINE-B"
    return "PAdES-BASELINE-LT" if dss.revocation else "PAdES-BASELINE-T"


def _tsa_certificates(evidence: Evidence) -> tuple[x509.Certificate, ...]:
    if evidence.timestamp_token is None:
        return ()
    try:
        return certificates_in(cms.ContentInfo.load(evidence.timestamp_token)["content"])
    except (ValueError, TypeError, KeyError):
        return ()


def _revocation_for_pyhanko(evidence: Evidence, trust: TrustStore) -> RevocationData:
    data = evidence.embedded_revocation
    for leaf in (evidence.signer, *_tsa_certificates(evidence)[:1]):
        path = build_path(leaf, trust, evidence.certificates) if leaf is not None else None
        if path is not None:
            data = data.plus(collect_revocation_data(path, trust.revocation))
    return data


def pyhanko_opinion(sig: EmbeddedPdfSignature, evidence: Evidence, trust: TrustStore) -> PdfValidatorResult:
    """pyHanko's validator on this signature (hard-fail revocation, no fetching), as an independent check."""
    try:
        extra = (*evidence.certificates, *_tsa_certificates(evidence))
        context = validation_context(trust, extra, _revocation_for_pyhanko(evidence, trust))
        status = off_loop(validate_pdf_signature, sig, context)
    except Exception as exc:  # an independent opinion: whatever goes wrong is reported, not raised
        log.info("pyHanko could not validate signature %s: %r", evidence.signature_id, exc)
        return PdfValidatorResult(error=f"{type(exc).__name__}: {exc}")
    level = status.modification_level
    return PdfValidatorResult(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revoked=status.revoked,
        coverage=status.coverage.name if status.coverage is not None else None,
        modification_level=level.name if level is not None else None,
        docmdp_ok=status.docmdp_ok,
        summary=status.summary(),
    )


def _disagreement(opinion: PdfValidatorResult) -> Finding | None:
    if opinion.error is not None or (opinion.intact and opinion.valid):
        return None
    sub = SubIndication.SIG_CRYPTO_FAILURE if opinion.intact else SubIndication.HASH_FAILURE
    return failed(
        sub,
        "Bộ kiểm tra pyHanko đánh giá chữ ký không toàn vẹn hoặc không đúng.",
        "pyHanko's validator finds the signature not intact or not valid.",
    )


def _evidence(sig: EmbeddedPdfSignature, index: int, dss: _Dss, trust: TrustStore) -> Evidence:
    name = sig.field_name or f"S-{index}"
    evidence = read_signer_info(sig.signed_data, sig.signer_info, sig.compute_digest, str(name))
    evidence.certificates = (*evidence.certificates, *dss.certificates)
    evidence.embedded_revocation = evidence.embedded_revocation.plus(dss.revocation)
    reported = sig.self_reported_timestamp
    if evidence.claimed_time is None and reported is not None:
        evidence.claimed_time = utc(reported)
    if evidence.integrity is None:
        evidence.integrity = _coverage(sig)
    evidence.level = _level(evidence, dss)
    evidence.pdf_validator = pyhanko_opinion(sig, evidence, trust)
    if evidence.integrity is None:
        evidence.integrity = _disagreement(evidence.pdf_validator)
    return evidence


def read_pdf(data: bytes, trust: TrustStore) -> list[Evidence]:
    """Evidence for each signature (/Sig) of a PDF; `FormatProblem` when unreadable or unsigned."""
    reader = open_pdf(data)
    try:
        signatures = reader.embedded_regular_signatures
        dss = _read_dss(reader)
    except _READ_ERRORS as exc:
        raise FormatProblem(
            "Không đọc được chữ ký trong tệp PDF.", f"The PDF's signatures cannot be read ({exc})."
        ) from None
    if not signatures:
        raise FormatProblem("Tệp PDF chưa được ký số.", "The PDF has no signature.")
    return [_evidence(sig, index, dss, trust) for index, sig in enumerate(signatures, start=1)]
