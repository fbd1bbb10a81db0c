"""PDF signatures as PAdES (ký số tệp PDF theo chuẩn PAdES, ETSI EN 319 142-1) with pyHanko.

Levels: B-B (signature only), B-T (plus a signature time-stamp from the `TimeStamper`) and B-LT (plus a
Document Security Store with the chain and the CRLs/OCSP responses of the signer's and the TSA's
certificates, taken from the trust store's `RevocationSource`, so the signature stays verifiable
without asking anyone later). The signature dictionary carries /Reason, /Location (default "Hà Nội")
and /Name.

pyHanko drives the PDF side; the private key is only reached through the crypto core's `Signer` (an
adapter subclass of pyHanko's `Signer` whose `async_sign_raw` calls `Signer.sign`), so an HSM backend
works unchanged. Another adapter turns our `TimeStamper` into a pyHanko `TimeStamper`.

pyHanko runs its own event loop: call these functions from a worker thread, not from async code.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO

from asn1crypto import algos, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from vnegov.kernel.errors import DomainError, InvalidInput
from vnegov.signing.crypto import TimestampError, verify_timestamp
from vnegov.signing.documents._paths import build_path, display_name
from vnegov.signing.documents._sync import off_loop
from vnegov.signing.documents.cms import digest_name
from vnegov.signing.documents.credential import SigningCredential, check_signing_certificate
from vnegov.signing.documents.errors import (
    DocumentFormatError,
    DocumentSigningError,
    RevocationDataError,
    TimeStampingError,
)
from vnegov.signing.documents.trust import (
    RevocationData,
    TimeStamper,
    TrustStore,
    certificate_der,
    collect_revocation_data,
)

log = logging.getLogger(__name__)

DEFAULT_LOCATION = "Hà Nội"


class PadesLevel(StrEnum):
    """PAdES baseline levels we produce (mức chữ ký PAdES)."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate_der(cert))


def _placeholder_size(credential: SigningCredential) -> int:
    """An upper bound of the signature's length, for pyHanko's size estimate (dry run)."""
    key = credential.signer.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return (key.key_size + 7) // 8
    if isinstance(key, ec.EllipticCurvePublicKey):
        return 2 * ((key.curve.key_size + 7) // 8) + 9  # DER SEQUENCE of two INTEGERs, worst case
    return 64


class HankoSigner(signers.Signer):
    """pyHanko `Signer` over our `Signer`: the key stays wherever `Signer.sign` keeps it (file, HSM)."""

    def __init__(self, credential: SigningCredential) -> None:
        mechanism = algos.SignedDigestAlgorithm({"algorithm": credential.signer.algorithm.oid})
        registry = SimpleCertificateStore.from_certs([asn1_certificate(c) for c in credential.chain])
        super().__init__(
            signing_cert=asn1_certificate(credential.certificate),
            cert_registry=registry,
            signature_mechanism=mechanism,
        )
        self._credential = credential
        self._digest = digest_name(credential)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != self._digest:
            raise SigningError(f"this key signs with {self._digest}, not {digest_algorithm}")
        if dry_run:
            return bytes(_placeholder_size(self._credential))
        return self._credential.signer.sign(data)


class HankoTimeStamper(timestamps.TimeStamper):
    """pyHanko `TimeStamper` over our `TimeStamper`; every token is checked against its digest."""

    def __init__(self, stamper: TimeStamper) -> None:
        super().__init__(include_nonce=False)  # our TimeStamper handles its own nonce
        self._stamper = stamper

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        imprint = req["message_imprint"]
        digest = imprint["hashed_message"].native
        response = self._stamper.stamp(digest, imprint["hash_algorithm"]["algorithm"].native)
        try:
            verify_timestamp(response, digest=digest)
        except TimestampError as exc:
            raise TimeStampingError(f"the time-stamp authority gave no usable token: {exc.message}") from None
        return tsp.TimeStampResp.load(response)


@dataclass(frozen=True)
class PdfSignatureOptions:
    """What the signature dictionary says (thông tin hiển thị của chữ ký)."""

    field_name: str = "Signature1"
    reason: str | None = None
    location: str | None = DEFAULT_LOCATION
    signer_name: str | None = None


def _tsa_path(stamper: TimeStamper, trust: TrustStore) -> list[x509.Certificate]:
    """The TSA's certificate path, learnt from one token (its revocation data goes into the DSS)."""
    response = stamper.stamp(bytes(32), "sha256")
    try:
        tsa_cert = verify_timestamp(response, digest=bytes(32)).tsa_certificate
    except TimestampError as exc:
        raise TimeStampingError(f"the time-stamp authority gave no usable token: {exc.message}") from None
    return build_path(tsa_cert, trust) or [tsa_cert]


def validation_context(
    trust: TrustStore, extra: Sequence[x509.Certificate], revocation: RevocationData
) -> ValidationContext:
    """A pyHanko/certvalidator context from our trust store: no fetching, revocation data as given."""
    return ValidationContext(
        trust_roots=[asn1_certificate(c) for c in trust.anchors],
        other_certs=[asn1_certificate(c) for c in (*trust.intermediates, *extra)],
        crls=list(revocation.crls),
        ocsps=list(revocation.ocsps),
        allow_fetching=False,
        revocation_mode="hard-fail",
    )


def _lt_context(credential: SigningCredential, stamper: TimeStamper, trust: TrustStore) -> ValidationContext:
    signer_path = build_path(credential.certificate, trust, credential.chain)
    if signer_path is None:
        raise DocumentSigningError("no chain from the signing certificate to a trusted root")
    tsa_path = _tsa_path(stamper, trust)
    data = collect_revocation_data(signer_path, trust.revocation).plus(
        collect_revocation_data(tsa_path, trust.revocation)
    )
    if not data:
        raise RevocationDataError("no CRL or OCSP response is available for a B-LT signature")
    return validation_context(trust, [*credential.chain, *tsa_path], data)


def _metadata(
    credential: SigningCredential, options: PdfSignatureOptions, context: ValidationContext | None
) -> signers.PdfSignatureMetadata:
    return signers.PdfSignatureMetadata(
        field_name=options.field_name,
        reason=options.reason,
        location=options.location,
        name=options.signer_name or display_name(credential.certificate),
        md_algorithm=digest_name(credential),
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=context is not None,
        validation_context=context,
        use_pades_lta=False,
    )


def _require(level: PadesLevel, timestamper: TimeStamper | None, trust: TrustStore | None) -> None:
    if level is not PadesLevel.B_B and timestamper is None:
        raise InvalidInput(f"PAdES {level.value} needs a time-stamp authority", field="level")
    if level is PadesLevel.B_LT and trust is None:
        raise InvalidInput("PAdES B-LT needs a trust store with a revocation source", field="level")


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise DocumentFormatError(f"the document is not a readable PDF: {exc}") from None


def sign_pdf(
    pdf: bytes,
    credential: SigningCredential,
    *,
    level: PadesLevel = PadesLevel.B_B,
    timestamper: TimeStamper | None = None,
    trust: TrustStore | None = None,
    options: PdfSignatureOptions | None = None,
) -> bytes:
    """Ký số PDF (PAdES): the signed PDF, as an incremental update of `pdf`.

    B-T and B-LT need `timestamper`; B-LT needs `trust` (its revocation source supplies the DSS data).
    With `trust` the signing certificate is checked first: revoked, expired, untrusted or not for
    document signing → `SignerCertificateError`, and nothing is signed.
    """
    _require(level, timestamper, trust)
    if trust is not None:
        check_signing_certificate(credential, trust)
    settings = options or PdfSignatureOptions()
    context = None
    if level is PadesLevel.B_LT:
        assert timestamper is not None and trust is not None
        context = _lt_context(credential, timestamper, trust)
    hanko_stamper = None if level is PadesLevel.B_B or timestamper is None else HankoTimeStamper(timestamper)
    output = BytesIO()
    try:
        off_loop(
            signers.sign_pdf,
            _writer(pdf),
            _metadata(credential, settings, context),
            signer=HankoSigner(credential),
            timestamper=hanko_stamper,
            output=output,
        )
    except DomainError:
        raise
    except (SigningError, PdfError, ValueError, KeyError) as exc:
        raise DocumentSigningError(f"the PDF could not be signed: {exc}") from None
    return output.getvalue()
