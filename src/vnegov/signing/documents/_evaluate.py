"""From evidence to verdict (từ bằng chứng đến kết luận): time-stamp, chain, key usage, validity, status.

Rules (ETSI EN 319 102-1 terms):
- Validation time is the signature time-stamp's time when a valid time-stamp proves it (proof of
  existence, POE), else now.
- A certificate revoked at or before the validation time: TOTAL_FAILED/REVOKED when a time-stamp proves
  the signature was made after the revocation, or when the signer's own claimed signing time is after
  it; otherwise INDETERMINATE/REVOKED_NO_POE (REVOKED_CA_NO_POE for a CA). Revoked after a time-stamped
  signing time: still valid. No usable revocation data: INDETERMINATE/TRY_LATER.
- Outside its validity period at the validation time: EXPIRED/NOT_YET_VALID when proven, else
  INDETERMINATE/OUT_OF_BOUNDS_NO_POE.
- A certificate not issued for document signing (e.g. TLS server only): TOTAL_FAILED/
  SIG_CONSTRAINTS_FAILURE. ETSI lists that sub-indication under INDETERMINATE; we make it final because
  no further data can make such a certificate fit for signing documents.
- A time-stamp that is present but does not verify: INDETERMINATE/SIG_CONSTRAINTS_FAILURE.
The first TOTAL_FAILED finding decides, else the first INDETERMINATE one, in the order: integrity,
chain, key usage, CA constraints, validity, revocation, time-stamp.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from vnegov.signing.crypto import (
    ID_KP_DOCUMENT_SIGNING,
    TimestampError,
    VnIdentifier,
    identifiers_in,
    verify_timestamp,
)
from vnegov.signing.crypto.errors import SubjectError
from vnegov.signing.documents import _paths as paths
from vnegov.signing.documents._cms_read import certificates_in
from vnegov.signing.documents._evidence import Evidence, Finding, failed, indeterminate
from vnegov.signing.documents._revocation import (
    ParsedRevocation,
    RevocationFinding,
    RevState,
    status_at,
)
from vnegov.signing.documents.report import (
    NOT_CHECKED,
    CertificateInfo,
    Check,
    CheckStatus,
    Identifier,
    Indication,
    RevocationCheck,
    SignatureReport,
    SubIndication,
    Text,
    TimestampInfo,
)
from vnegov.signing.documents.trust import RevocationData, RevocationSource, TrustStore

log = logging.getLogger(__name__)

_DOCUMENT_EKUS = frozenset(
    {
        ID_KP_DOCUMENT_SIGNING,
        x509.ExtendedKeyUsageOID.EMAIL_PROTECTION,
        x509.ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
        x509.ObjectIdentifier("1.2.840.113583.1.1.5"),  # Adobe Authentic Documents Trust
        x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),  # Microsoft Document Signing
    }
)
_EKU_NAMES = {
    x509.ExtendedKeyUsageOID.SERVER_AUTH: ("xác thực máy chủ TLS", "TLS server authentication"),
    x509.ExtendedKeyUsageOID.CLIENT_AUTH: ("xác thực máy khách TLS", "TLS client authentication"),
    x509.ExtendedKeyUsageOID.CODE_SIGNING: ("ký mã chương trình", "code signing"),
    x509.ExtendedKeyUsageOID.TIME_STAMPING: ("cấp dấu thời gian", "time-stamping"),
    x509.ExtendedKeyUsageOID.OCSP_SIGNING: ("ký phản hồi OCSP", "OCSP signing"),
}


def when(moment: datetime) -> str:
    return paths.utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    """Subject, CN and Vietnamese identifiers (UID=MST:/CCCD:/MDDT:…) of a certificate."""
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        common_name=_common_name(cert),
        identifiers=_identifiers(cert.subject),
        issuer=cert.issuer.rfc4514_string(),
        serial_number=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )


def _common_name(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return paths.display_name(cert) if names else None


def _identifiers(name: x509.Name) -> list[Identifier]:
    """The subject's identifiers via the crypto core's `identifiers_in`; foreign UIDs are skipped."""
    try:
        return [Identifier(kind=i.kind.value, value=i.value) for i in identifiers_in(name)]
    except SubjectError:
        pass  # some UID is not ours (a foreign CA's certificate): keep the ones that are
    found = []
    for attribute in name.get_attributes_for_oid(x509.NameOID.USER_ID):
        raw = attribute.value
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            parsed = VnIdentifier.parse(text)
        except SubjectError:
            continue  # a UID that is not a Vietnamese identifier
        found.append(Identifier(kind=parsed.kind.value, value=parsed.value))
    return found


# ---- revocation along a path -------------------------------------------------------------------------


@dataclass(frozen=True)
class PathStatus:
    """The decisive revocation finding on a path: its certificate, the finding, where it came from."""

    cert: x509.Certificate | None
    finding: RevocationFinding
    origin: str | None


def _ask(source: RevocationSource, cert: x509.Certificate, issuer: x509.Certificate) -> RevocationData:
    """What the revocation source says; a failing source counts as no data (→ TRY_LATER), and is logged."""
    try:
        response = source.ocsp_for(cert, issuer)
        return RevocationData(tuple(source.crls_for(cert)), (response,) if response else ())
    except Exception:  # the service's database or network: the verdict becomes "try later"
        log.exception("the revocation source failed for serial %x", cert.serial_number)
        return RevocationData()


def _status_of(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    embedded: ParsedRevocation,
    trust: TrustStore,
    at: datetime,
    now: datetime,
) -> PathStatus:
    found = status_at(embedded, cert, issuer, at, now)
    if found.state is not RevState.UNKNOWN:
        return PathStatus(cert, found, "embedded")
    found = status_at(ParsedRevocation.parse(_ask(trust.revocation, cert, issuer)), cert, issuer, at, now)
    return PathStatus(cert, found, "revocation_source" if found.state is not RevState.UNKNOWN else None)


_ANCHOR_ONLY = PathStatus(None, RevocationFinding(RevState.GOOD), None)
"""A trust anchor used directly: trusted as configured, no revocation to check."""


def path_status(
    path: Sequence[x509.Certificate],
    embedded: ParsedRevocation,
    trust: TrustStore,
    at: datetime,
    now: datetime,
) -> PathStatus:
    """Revoked anywhere beats no data anywhere beats good (leaf first); the anchor is not checked."""
    statuses = [_status_of(c, i, embedded, trust, at, now) for c, i in itertools.pairwise(path)]
    for state in (RevState.REVOKED, RevState.UNKNOWN):
        hit = next((s for s in statuses if s.finding.state is state), None)
        if hit is not None:
            return hit
    later = next((s for s in statuses if s.finding.revoked_at is not None), None)
    return later or (statuses[0] if statuses else _ANCHOR_ONLY)


# ---- the signer's certificate ------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """The validation time and what backs it."""

    at: datetime
    proven: bool  # a valid time-stamp proves the signature existed at `at`
    claimed: datetime | None  # the signer's own claim, if any
    now: datetime


@dataclass
class Assessment:
    """Chain, key usage, validity and revocation of one certificate, and what they imply."""

    path: list[x509.Certificate] | None = None
    chain: Check = NOT_CHECKED
    key_usage: Check = NOT_CHECKED
    validity: Check = NOT_CHECKED
    revocation: RevocationCheck = field(
        default_factory=lambda: RevocationCheck(status=CheckStatus.NOT_CHECKED)
    )
    findings: list[Finding] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)


def _key_usage_problem(cert: x509.Certificate) -> Text | None:
    usage = paths.key_usage(cert)
    if usage is not None and not (usage.content_commitment or usage.digital_signature):
        return Text(
            "Chứng thư số không cho phép ký số (thiếu nonRepudiation/digitalSignature).",
            "The certificate does not allow signing (no nonRepudiation/digitalSignature key usage).",
        )
    ekus = paths.extended_key_usage(cert)
    if ekus is None or _DOCUMENT_EKUS.intersection(ekus):
        return None
    vi = ", ".join(_EKU_NAMES.get(e, (e.dotted_string, ""))[0] for e in ekus)
    en = ", ".join(_EKU_NAMES.get(e, ("", e.dotted_string))[1] or e.dotted_string for e in ekus)
    return Text(
        f"Chứng thư số không được cấp để ký văn bản mà để: {vi}.",
        f"The certificate was not issued for signing documents but for: {en}.",
    )


def _check_key_usage(cert: x509.Certificate, result: Assessment) -> None:
    problem = _key_usage_problem(cert)
    if problem is None:
        result.key_usage = Check.of(
            CheckStatus.PASSED,
            Text(
                "Chứng thư số được cấp để ký số văn bản.", "The certificate is issued for signing documents."
            ),
        )
        return
    result.key_usage = Check.of(CheckStatus.FAILED, problem)
    result.findings.append(Finding(Indication.TOTAL_FAILED, SubIndication.SIG_CONSTRAINTS_FAILURE, problem))


def _check_chain(
    cert: x509.Certificate, trust: TrustStore, extra: Sequence[x509.Certificate], result: Assessment
) -> None:
    result.path = paths.build_path(cert, trust, extra)
    if result.path is None:
        finding = indeterminate(
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            "Không xây dựng được chuỗi chứng thư số tới một tổ chức chứng thực gốc được tin cậy.",
            "No certificate chain to a trusted root CA could be built.",
        )
        result.chain = Check.of(CheckStatus.INDETERMINATE, finding.text)
        result.findings.append(finding)
        return
    bad_ca = paths.ca_problem(result.path)
    if bad_ca is not None:
        finding = indeterminate(
            SubIndication.CHAIN_CONSTRAINTS_FAILURE,
            f"Chứng thư số {paths.display_name(bad_ca)} trong chuỗi không được phép cấp chứng thư số.",
            f"The certificate {paths.display_name(bad_ca)} in the chain may not issue certificates.",
        )
        result.chain = Check.of(CheckStatus.INDETERMINATE, finding.text)
        result.findings.append(finding)
        return
    anchor = paths.display_name(result.path[-1])
    result.chain = Check.of(
        CheckStatus.PASSED,
        Text(
            f"Chuỗi chứng thư số dẫn tới {anchor} (được tin cậy).", f"The chain leads to {anchor} (trusted)."
        ),
    )


def _validity_finding(cert: x509.Certificate, moment: Moment) -> Finding:
    name = paths.display_name(cert)
    if moment.at < cert.not_valid_before_utc:
        return failed(
            SubIndication.NOT_YET_VALID,
            f"Chứng thư số {name} chưa có hiệu lực tại {when(moment.at)}.",
            f"The certificate {name} was not yet valid at {when(moment.at)}.",
        )
    after = cert.not_valid_after_utc
    if moment.proven or (moment.claimed is not None and moment.claimed > after):
        return failed(
            SubIndication.EXPIRED,
            f"Chứng thư số {name} đã hết hạn ({when(after)}) trước khi ký.",
            f"The certificate {name} expired ({when(after)}) before the signature was made.",
        )
    return indeterminate(
        SubIndication.OUT_OF_BOUNDS_NO_POE,
        f"Chứng thư số {name} đã hết hạn ({when(after)}) và không có dấu thời gian chứng minh chữ ký "
        "được tạo trước đó.",
        f"The certificate {name} expired ({when(after)}) and no time-stamp proves the signature was "
        "made before that.",
    )


def _check_validity(moment: Moment, result: Assessment) -> None:
    assert result.path is not None
    outside = paths.outside_validity(result.path, moment.at)
    if outside is None:
        result.validity = Check.of(
            CheckStatus.PASSED,
            Text(
                f"Các chứng thư số còn hiệu lực tại {when(moment.at)}.",
                f"The certificates were valid at {when(moment.at)}.",
            ),
        )
        return
    finding = _validity_finding(outside, moment)
    status = (
        CheckStatus.FAILED if finding.indication is Indication.TOTAL_FAILED else CheckStatus.INDETERMINATE
    )
    result.validity = Check.of(status, finding.text)
    result.findings.append(finding)


def _revoked_finding(status: PathStatus, leaf: x509.Certificate, moment: Moment) -> Finding:
    assert status.cert is not None and status.finding.revoked_at is not None
    revoked_at = status.finding.revoked_at
    name = paths.display_name(status.cert)
    text = Text(
        f"Chứng thư số {name} đã bị thu hồi lúc {when(revoked_at)}",
        f"The certificate {name} was revoked at {when(revoked_at)}",
    )
    if moment.proven or (moment.claimed is not None and moment.claimed >= revoked_at):
        return Finding(
            Indication.TOTAL_FAILED,
            SubIndication.REVOKED,
            text.then(Text("trước thời điểm ký.", "before the signature was made.")),
        )
    sub = SubIndication.REVOKED_NO_POE if status.cert == leaf else SubIndication.REVOKED_CA_NO_POE
    proof = Text(
        "và không có dấu thời gian chứng minh chữ ký được tạo trước đó.",
        "and no time-stamp proves the signature was made before that.",
    )
    return Finding(Indication.INDETERMINATE, sub, text.then(proof))


def _good_text(status: PathStatus, moment: Moment) -> Text:
    text = Text(
        f"Chứng thư số chưa bị thu hồi tại {when(moment.at)}.",
        f"The certificates were not revoked at {when(moment.at)}.",
    )
    revoked_at = status.finding.revoked_at
    if revoked_at is None:
        return text
    return text.then(
        Text(
            f"Chứng thư số bị thu hồi sau đó ({when(revoked_at)}), "
            "sau thời điểm ký đã được đóng dấu thời gian.",
            f"It was revoked later ({when(revoked_at)}), after the time-stamped signing time.",
        )
    )


def _check_revocation(
    leaf: x509.Certificate, embedded: ParsedRevocation, trust: TrustStore, moment: Moment, result: Assessment
) -> None:
    assert result.path is not None
    status = path_status(result.path, embedded, trust, moment.at, moment.now)
    state = status.finding.state
    extra = {"source": status.origin, "revoked_at": status.finding.revoked_at}
    if state is RevState.GOOD:
        text = _good_text(status, moment)
        result.revocation = RevocationCheck(
            status=CheckStatus.PASSED, reason_vi=text.vi, reason_en=text.en, **extra
        )
        return
    if state is RevState.REVOKED:
        finding = _revoked_finding(status, leaf, moment)
    else:
        name = paths.display_name(status.cert) if status.cert is not None else "?"
        finding = indeterminate(
            SubIndication.TRY_LATER,
            f"Không có thông tin thu hồi (CRL/OCSP) còn hiệu lực cho chứng thư số {name}.",
            f"No current revocation data (CRL/OCSP) for the certificate {name}.",
        )
    failed_now = finding.indication is Indication.TOTAL_FAILED
    check_status = CheckStatus.FAILED if failed_now else CheckStatus.INDETERMINATE
    result.revocation = RevocationCheck(
        status=check_status, reason_vi=finding.text.vi, reason_en=finding.text.en, **extra
    )
    result.findings.append(finding)


def assess_certificate(
    cert: x509.Certificate,
    trust: TrustStore,
    moment: Moment,
    *,
    extra: Sequence[x509.Certificate] = (),
    embedded: RevocationData | None = None,
    for_documents: bool = True,
) -> Assessment:
    """Chain to a trust anchor, validity and revocation at `moment.at`, and (`for_documents`) whether
    the key usage fits document signing (the TSA's purpose is checked by `verify_timestamp`)."""
    result = Assessment()
    _check_chain(cert, trust, extra, result)
    if for_documents:
        _check_key_usage(cert, result)
    if result.path is None:
        return result
    _check_validity(moment, result)
    parsed = ParsedRevocation.parse(embedded or RevocationData())
    _check_revocation(cert, parsed, trust, moment, result)
    return result


# ---- time-stamp --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StampOutcome:
    info: TimestampInfo
    valid: bool
    notes: tuple[Text, ...] = ()


def _token_certificates(token: bytes) -> tuple[x509.Certificate, ...]:
    try:
        return certificates_in(cms.ContentInfo.load(token)["content"])
    except (ValueError, TypeError, KeyError):
        return ()


def _stamp_failure(text: Text, base: TimestampInfo | None = None) -> StampOutcome:
    info = base or TimestampInfo(check=NOT_CHECKED)
    return StampOutcome(info.model_copy(update={"check": Check.of(CheckStatus.FAILED, text)}), valid=False)


_TSA_STATUS_UNKNOWN = Text(
    "Chưa kiểm tra được trạng thái thu hồi của chứng thư số TSA.",
    "The TSA certificate's revocation status could not be checked.",
)


def check_timestamp(evidence: Evidence, trust: TrustStore, now: datetime) -> StampOutcome:
    """The signature time-stamp: token signature and imprint, TSA chain and status at its time.

    A TSA certificate without revocation data does not invalidate the time-stamp; a note says so.
    """
    assert evidence.timestamp_token is not None
    try:
        token = verify_timestamp(evidence.timestamp_token, data=evidence.signature_value)
    except TimestampError as exc:
        return _stamp_failure(
            Text(f"Dấu thời gian không hợp lệ ({exc.message}).", f"The time-stamp is invalid: {exc.message}.")
        )
    gen_time = paths.utc(token.gen_time)
    base = TimestampInfo(
        check=NOT_CHECKED,
        time=gen_time,
        tsa=paths.display_name(token.tsa_certificate),
        serial_number=token.serial_number,
    )
    tsa = assess_certificate(
        token.tsa_certificate,
        trust,
        Moment(gen_time, True, gen_time, now),
        extra=(*_token_certificates(evidence.timestamp_token), *evidence.certificates),
        embedded=evidence.embedded_revocation,
        for_documents=False,
    )
    blocking = [f for f in tsa.findings if f.sub is not SubIndication.TRY_LATER]
    if blocking:
        intro = Text("Dấu thời gian không được tin cậy:", "The time-stamp is not trusted:")
        return _stamp_failure(intro.then(blocking[0].text), base)
    check = Check.of(
        CheckStatus.PASSED,
        Text(f"Dấu thời gian hợp lệ: {when(gen_time)}.", f"Valid time-stamp: {when(gen_time)}."),
    )
    notes = (_TSA_STATUS_UNKNOWN,) if tsa.findings else ()
    return StampOutcome(base.model_copy(update={"check": check}), valid=True, notes=notes)


# ---- the verdict -------------------------------------------------------------------------------------


def decide(findings: Sequence[Finding | None]) -> Finding | None:
    """The first TOTAL_FAILED finding, else the first INDETERMINATE one, else None (valid)."""
    present = [f for f in findings if f is not None]
    failed_first = [f for f in present if f.indication is Indication.TOTAL_FAILED]
    ranked = failed_first or present
    return ranked[0] if ranked else None


def _integrity_check(evidence: Evidence) -> Check:
    if evidence.integrity is None:
        return Check.of(
            CheckStatus.PASSED,
            Text(
                "Tài liệu không bị thay đổi sau khi ký; giá trị chữ ký đúng.",
                "The document is unchanged since signing and the signature value verifies.",
            ),
        )
    failed_now = evidence.integrity.indication is Indication.TOTAL_FAILED
    return Check.of(CheckStatus.FAILED if failed_now else CheckStatus.INDETERMINATE, evidence.integrity.text)


def _stamp_finding(stamp: StampOutcome | None) -> Finding | None:
    if stamp is None or stamp.valid:
        return None
    check = stamp.info.check
    return Finding(
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
        Text(check.reason_vi, check.reason_en),
    )


def _no_signer() -> Finding:
    return indeterminate(
        SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
        "Không tìm thấy chứng thư số của người ký.",
        "The signer's certificate was not found.",
    )


def _passed_text(evidence: Evidence, moment: Moment) -> Text:
    name = paths.display_name(evidence.signer) if evidence.signer is not None else "?"
    return Text(
        f"Chữ ký số hợp lệ: ký bởi {name}; chứng thư số còn hiệu lực và chưa bị thu hồi "
        f"tại {when(moment.at)}.",
        f"Valid signature by {name}; the certificate was valid and not revoked at {when(moment.at)}.",
    )


def _moment(evidence: Evidence, stamp: StampOutcome | None, now: datetime) -> Moment:
    if stamp is not None and stamp.valid and stamp.info.time is not None:
        return Moment(stamp.info.time, True, evidence.claimed_time, now)
    return Moment(now, False, evidence.claimed_time, now)


def evaluate(evidence: Evidence, trust: TrustStore, now: datetime) -> SignatureReport:
    """The report for one signature (kết quả xác thực một chữ ký)."""
    stamp = check_timestamp(evidence, trust, now) if evidence.timestamp_token else None
    moment = _moment(evidence, stamp, now)
    assessment = Assessment()
    if evidence.signer is not None:
        assessment = assess_certificate(
            evidence.signer, trust, moment, extra=evidence.certificates, embedded=evidence.embedded_revocation
        )
    signer_missing = _no_signer() if evidence.signer is None and evidence.integrity is None else None
    verdict = decide([evidence.integrity, signer_missing, *assessment.findings, _stamp_finding(stamp)])
    text = verdict.text if verdict is not None else _passed_text(evidence, moment)
    notes = [*evidence.notes, *(stamp.notes if stamp else ()), *assessment.notes]
    chain = assessment.path or ([evidence.signer] if evidence.signer is not None else [])
    return SignatureReport(
        id=evidence.signature_id,
        level=evidence.level,
        indication=verdict.indication if verdict is not None else Indication.TOTAL_PASSED,
        sub_indication=verdict.sub if verdict is not None else None,
        reason_vi=text.vi,
        reason_en=text.en,
        signer=certificate_info(evidence.signer) if evidence.signer is not None else None,
        certificate_chain=[certificate_info(c) for c in chain],
        signing_time_claimed=evidence.claimed_time,
        timestamp=stamp.info if stamp else None,
        validation_time=moment.at,
        validation_time_source="timestamp" if moment.proven else "now",
        hash_algorithm=evidence.hash_algorithm,
        signature_algorithm=evidence.signature_algorithm,
        integrity=_integrity_check(evidence),
        chain=assessment.chain,
        certificate_validity=assessment.validity,
        revocation=assessment.revocation,
        key_usage=assessment.key_usage,
        pdf_validator=evidence.pdf_validator,
        notes_vi=[n.vi for n in notes],
        notes_en=[n.en for n in notes],
    )
