"""Request and response shapes of the electronic transaction system."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

IssuableProfile = Literal["tls_server", "tls_client", "exchange_gateway", "document_signing"]
Reason = Literal[
    "unspecified",
    "key_compromise",
    "affiliation_changed",
    "superseded",
    "cessation_of_operation",
    "certificate_hold",
    "privilege_withdrawn",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AuthorityRead(BaseModel):
    name: str
    title: str
    parent: str | None
    subject: str
    serial: str
    not_before: datetime
    not_after: datetime
    certificate_url: str
    crl_url: str
    crl_number: int


class CertificateRequest(Strict):
    """A request for a certificate (yêu cầu cấp chứng thư số): from a CSR, or for a key made here."""

    profile: IssuableProfile
    authority: Literal["gov", "public"] | None = Field(
        None, description="gov: agencies, systems, officials; public: citizens and businesses"
    )
    csr_pem: str | None = Field(None, max_length=20_000, description="PKCS#10 request (PEM)")
    common_name: str | None = Field(None, max_length=200, description="Without a CSR: the subject's name")
    organization: str | None = Field(None, max_length=200)
    identifiers: list[str] = Field(
        default_factory=list,
        description="Vietnamese identifiers: MDDT:<agency>, CCCD:<12 digits>, MST:<code>",
    )
    dns_names: list[str] = Field(
        default_factory=list,
        description="For TLS server and gateway certificates: host names or IP addresses",
    )
    key_algorithm: Literal["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-3072"] | None = None
    key_passphrase: SecretStr | None = Field(
        None, min_length=12, description="Without a CSR: encrypts the private key returned to you"
    )
    validity_days: int | None = Field(None, ge=1, le=825)


class CertificateRead(BaseModel):
    serial: str
    issuer: str
    profile: str
    subject: str
    common_name: str
    identifiers: list[str]
    agency_code: str
    not_before: datetime
    not_after: datetime
    status: Literal["valid", "revoked", "expired"]
    revoked_at: datetime | None
    revocation_reason: str | None
    certificate_pem: str
    renewal_of: str | None


class IssuedCertificate(BaseModel):
    certificate: CertificateRead
    chain_pem: str = Field(description="The certificate and its CA certificates, leaf first")
    private_key_pem: str | None = Field(
        None, description="Only when the key was made here: PKCS#8, encrypted with your passphrase"
    )


class CertificatePage(BaseModel):
    page: int
    page_size: int
    total: int
    items: list[CertificateRead]


class Revoke(Strict):
    reason: Reason = "unspecified"


class Renew(Strict):
    csr_pem: str | None = Field(
        None, max_length=20_000, description="A new key's request; none keeps the key"
    )
    validity_days: int | None = Field(None, ge=1, le=825)


class Check(BaseModel):
    name: str
    ok: bool
    detail: str


class Diagnostics(BaseModel):
    ok: bool
    checked_at: datetime
    checks: list[Check]
