"""Certificate profiles (hồ sơ chứng thư số) as data: what each kind of certificate may do and for how long.

A profile fixes the extensions the CA writes; a request only supplies the subject, its key and
(for TLS) names. Sources: RFC 5280 (X.509 v3), RFC 3161 §2.3 (time-stamping), RFC 6960 §4.2.2.2
(delegated OCSP signing), RFC 9336 (id-kp-documentSigning), CA/Browser Forum Baseline Requirements
(TLS server lifetimes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from vnegov.signing.crypto.keys import KeyType

ID_KP_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
"""RFC 9336 id-kp-documentSigning: "the public key may be used to verify signatures on documents"."""

KEY_USAGE_FIELDS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)
_ALL_KEYS: frozenset[KeyType] = frozenset({"ecdsa", "rsa", "ed25519"})
_NO_EDDSA: frozenset[KeyType] = frozenset({"ecdsa", "rsa"})


@dataclass(frozen=True)
class CertificateProfile:
    """One kind of certificate (loại chứng thư số) and the extensions the CA gives it.

    `key_usage` names `x509.KeyUsage` fields; `rsa_key_usage` adds fields for RSA subject keys only.
    `requires_identifier`: the subject must carry a Vietnamese identifier (see `pki.VnIdentifier`).
    """

    name: str
    title_vi: str
    is_ca: bool
    key_usage: frozenset[str]
    validity: timedelta
    path_length: int | None = None
    rsa_key_usage: frozenset[str] = frozenset()
    extended_key_usage: tuple[ObjectIdentifier, ...] = ()
    eku_critical: bool = False
    allowed_key_types: frozenset[KeyType] = _ALL_KEYS
    requires_san: bool = False
    requires_identifier: bool = False
    ocsp_no_check: bool = False

    def key_usage_for(self, key_type: KeyType) -> x509.KeyUsage:
        """The KeyUsage extension for a subject key of this type."""
        names = self.key_usage | (self.rsa_key_usage if key_type == "rsa" else frozenset())
        flags = {field: field in names for field in KEY_USAGE_FIELDS}
        return x509.KeyUsage(**flags, encipher_only=False, decipher_only=False)


ROOT_CA = CertificateProfile(
    name="root_ca",
    title_vi="Chứng thư số của tổ chức chứng thực gốc (Root CA)",
    is_ca=True,
    key_usage=frozenset({"key_cert_sign", "crl_sign"}),
    validity=timedelta(days=7305),  # 20 years
)

INTERMEDIATE_CA = CertificateProfile(
    name="intermediate_ca",
    title_vi="Chứng thư số của tổ chức chứng thực trung gian (Sub CA)",
    is_ca=True,
    path_length=0,  # issues end-entity certificates only
    key_usage=frozenset({"key_cert_sign", "crl_sign"}),
    validity=timedelta(days=3652),  # 10 years
)

# Ed25519 is valid X.509 and OpenSSL accepts it for TLS 1.3, but no mainstream browser accepts an
# Ed25519 server certificate, and public portals are reached from browsers: refused here.
# keyEncipherment only for RSA (RSA key transport in TLS ≤ 1.2); for ECDSA it is meaningless.
TLS_SERVER = CertificateProfile(
    name="tls_server",
    title_vi="Chứng thư số máy chủ (TLS server)",
    is_ca=False,
    key_usage=frozenset({"digital_signature"}),
    rsa_key_usage=frozenset({"key_encipherment"}),
    extended_key_usage=(ExtendedKeyUsageOID.SERVER_AUTH,),
    validity=timedelta(days=200),  # CA/B Forum ballot SC-081: 200 days from 15 March 2026
    allowed_key_types=_NO_EDDSA,
    requires_san=True,
)

# Systems on the data exchange (NDXP/LGSP members) authenticate with these; mTLS between our own
# services runs on OpenSSL, which handles Ed25519, so it is allowed.
TLS_CLIENT = CertificateProfile(
    name="tls_client",
    title_vi="Chứng thư số xác thực hệ thống/máy trạm (TLS client)",
    is_ca=False,
    key_usage=frozenset({"digital_signature"}),
    rsa_key_usage=frozenset({"key_encipherment"}),
    extended_key_usage=(ExtendedKeyUsageOID.CLIENT_AUTH,),
    validity=timedelta(days=365),
    requires_identifier=True,
)

# Gateways of the data exchange (NDXP/LGSP security servers) serve TLS to each other and call each other
# with the same certificate, as X-Road's authentication certificates do: serverAuth and clientAuth. The
# subject names the gateway (CN) and its operating agency (UID=MDDT:<code>); peers check both.
EXCHANGE_GATEWAY = CertificateProfile(
    name="exchange_gateway",
    title_vi="Chứng thư số xác thực cổng trao đổi dữ liệu (NDXP/LGSP)",
    is_ca=False,
    key_usage=frozenset({"digital_signature"}),
    rsa_key_usage=frozenset({"key_encipherment"}),
    extended_key_usage=(ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH),
    validity=timedelta(days=365),
    requires_san=True,
    requires_identifier=True,
)

# Document signing (ký số văn bản): digitalSignature + nonRepudiation (contentCommitment), the usage
# ETSI EN 319 412-2 §4.3.2 prescribes for certificates meant for signatures with legal effect.
# EKU: emailProtection means S/MIME (RFC 5280 §4.2.1.12) and would let the certificate sign mail, which
# it is not issued for; RFC 9336 defines id-kp-documentSigning exactly for signatures on documents, so
# that is the only EKU, non-critical (RFC 9336 §3: relying parties that do not know it may ignore it).
# [unverified] whether every PDF reader accepts an EKU without emailProtection; if one does not, add
# emailProtection here rather than dropping the EKU. Ed25519 is refused: PDF readers in common use
# verify RSA and ECDSA signatures, and PAdES/CAdES profiles are written for them.
DOCUMENT_SIGNING = CertificateProfile(
    name="document_signing",
    title_vi="Chứng thư số ký văn bản điện tử (ký số)",
    is_ca=False,
    key_usage=frozenset({"digital_signature", "content_commitment"}),
    extended_key_usage=(ID_KP_DOCUMENT_SIGNING,),
    validity=timedelta(days=730),
    allowed_key_types=_NO_EDDSA,
    requires_identifier=True,
)

# RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, and it MUST be critical. digitalSignature only.
# The certificate outlives the key's use so tokens stay verifiable; rotate the TSA key every year or two.
TIME_STAMPING = CertificateProfile(
    name="time_stamping",
    title_vi="Chứng thư số của dịch vụ cấp dấu thời gian (TSA)",
    is_ca=False,
    key_usage=frozenset({"digital_signature"}),
    extended_key_usage=(ExtendedKeyUsageOID.TIME_STAMPING,),
    eku_critical=True,
    validity=timedelta(days=1826),  # 5 years
    allowed_key_types=_NO_EDDSA,
)

# RFC 6960 §4.2.2.2: a delegated responder's certificate carries id-kp-OCSPSigning and is issued by
# the CA whose certificates it answers for; id-pkix-ocsp-nocheck (§4.2.2.2.1) tells clients not to
# check its own status, so it must be short-lived.
OCSP_SIGNING = CertificateProfile(
    name="ocsp_signing",
    title_vi="Chứng thư số ký phản hồi trạng thái (OCSP)",
    is_ca=False,
    key_usage=frozenset({"digital_signature"}),
    extended_key_usage=(ExtendedKeyUsageOID.OCSP_SIGNING,),
    validity=timedelta(days=90),
    ocsp_no_check=True,
)

PROFILES: dict[str, CertificateProfile] = {
    p.name: p
    for p in (
        ROOT_CA,
        INTERMEDIATE_CA,
        TLS_SERVER,
        TLS_CLIENT,
        EXCHANGE_GATEWAY,
        DOCUMENT_SIGNING,
        TIME_STAMPING,
        OCSP_SIGNING,
    )
}
END_ENTITY_PROFILES = tuple(p for p in PROFILES.values() if not p.is_ca)
