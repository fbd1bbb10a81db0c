"""The electronic transaction system's domain logic (hệ thống thông tin phục vụ giao dịch điện tử):

A package (`common`, `authorities`, `issuance`, `ocsp`, `timestamps`, `seals`); this module is its
door: what other code calls is re-exported here.
the only code that touches `signing.models`.

- A certificate authority hierarchy made at first start (`ensure_pki`): a root, a government CA
  (agencies, their systems and officials) and a public CA (citizens and businesses), an OCSP
  responder certificate for each issuing CA and a time-stamping certificate.
- Issuance from a CSR or for a key made here, renewal and revocation, each audited; revocation
  republishes the CA's CRL in the same transaction and announces itself through the outbox.
- Certificate status as CRLs and OCSP, time-stamps (RFC 3161), and a diagnostics check of it all.
"""

from __future__ import annotations

from vnegov.signing.service.authorities import (
    authority_certificate,
    crl_needs_refresh,
    current_crl,
    ensure_pki,
    latest_crl,
    list_authorities,
    refresh_crls,
    trust_chain,
)
from vnegov.signing.service.common import (
    EVENT_REVOKED,
    GOV,
    ISSUING,
    PLATFORM_ADMIN,
    PUBLIC,
    REGISTRATION_AUTHORITY,
    ROOT,
    TSA_ROLE,
)
from vnegov.signing.service.issuance import (
    PERSONAL_KINDS,
    access_certificate,
    list_certificates,
    renew,
    request_certificate,
    revoke_certificate,
)
from vnegov.signing.service.ocsp import (
    OCSP_CACHE_MAX,
    OCSP_CACHE_SECONDS,
    ocsp_response,
)
from vnegov.signing.service.seals import (
    ensure_seal,
    responder_certificate,
)
from vnegov.signing.service.timestamps import (
    SerialBlocks,
    time_stamp_authority,
    timestamp_response,
)

__all__ = [
    "EVENT_REVOKED",
    "GOV",
    "ISSUING",
    "OCSP_CACHE_MAX",
    "OCSP_CACHE_SECONDS",
    "PERSONAL_KINDS",
    "PLATFORM_ADMIN",
    "PUBLIC",
    "REGISTRATION_AUTHORITY",
    "ROOT",
    "TSA_ROLE",
    "SerialBlocks",
    "access_certificate",
    "authority_certificate",
    "crl_needs_refresh",
    "current_crl",
    "ensure_pki",
    "ensure_seal",
    "latest_crl",
    "list_authorities",
    "list_certificates",
    "ocsp_response",
    "refresh_crls",
    "renew",
    "request_certificate",
    "responder_certificate",
    "revoke_certificate",
    "time_stamp_authority",
    "timestamp_response",
    "trust_chain",
]
