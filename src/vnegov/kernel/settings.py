"""Settings (cấu hình): one pydantic-settings object, `VNEGOV_` prefix, nested per component.

Nothing else in vnegov reads the environment. See `.env.example` for every variable.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class CatalogSettings(BaseModel):
    """Shared catalogue system (component 15)."""

    page_size_default: int = 50
    page_size_max: int = 1000


class SigningSettings(BaseModel):
    """Electronic transaction system (component 16): PKI, CRL, OCSP, time-stamps, signatures."""

    key_passphrase: SecretStr | None = Field(
        None, description="Encrypts CA and service keys at rest; default: generated under data_dir/secrets"
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL written into certificates (CRL, OCSP, CA issuers)"
    )
    key_algorithm: str = "ecdsa-p256"
    crl_validity_hours: int = 24
    ocsp_validity_minutes: int = 60
    tsa_policy_oid: str = "2.25.143238767107780418409599143049453415804"
    max_upload_bytes: int = 25 * 1024 * 1024
    pkcs11_module: str | None = Field(None, description="PKCS#11 library: CA keys then live on this HSM")
    pkcs11_token: str | None = None
    pkcs11_pin: SecretStr | None = None


class ExchangeSettings(BaseModel):
    """Data integration and sharing platform (components 6, 7): the gateway's defaults.

    A service's own limits (set when it is registered) take precedence over these.
    """

    gateway_id: str = Field("VN/GOV/G22/NDXP", description="This gateway's name in log records and headers")
    token_ttl_seconds: int = Field(3600, description="Lifetime of client access tokens from POST /token")
    max_body_bytes: int = Field(10 * 1024 * 1024, description="Largest request body forwarded")
    timeout_seconds: float = Field(30.0, description="How long to wait for a provider's answer")
    rate_per_second: float = Field(100.0, description="Calls per second per client and service")
    rate_burst: int = Field(200, description="Calls a client may make at once above the steady rate")
    quota_per_day: int | None = Field(
        None, description="Calls per client and service per day; none: unlimited"
    )
    upstream_connections: int = Field(200, description="Pooled keep-alive connections to providers")
    keep_alive_seconds: int = Field(
        120,
        ge=1,
        description="How long the gateway keeps an idle connection from a client system or a peer gateway"
        " open (X-Road's server-connector-max-idle-time, 120 s in its Finnish package): a peer that"
        " reconnects pays a mutual-TLS handshake on both sides",
    )
    peer_idle_seconds: float = Field(
        100.0,
        gt=0,
        description="How long an idle connection to a peer gateway is kept for reuse; shorter than the"
        " peers' keep_alive_seconds, so that the peer never closes one as it is reused",
    )
    registry_refresh_seconds: float = Field(5.0, description="How stale the gateway's registry may be")
    seal_interval_seconds: float = Field(10.0, description="How often the message log is sealed")
    timestamp_grace_seconds: float = Field(
        600.0, description="Unsealed log older than this (time-stamping down) stops the gateway"
    )
    role: Literal["ndxp", "lgsp"] = Field(
        "ndxp", description="The national platform, or a ministry's/province's"
    )
    parent_url: str | None = Field(None, description="An LGSP's NDXP: https://ndxp.example.gov.vn:8443")
    parent_code: str | None = Field(None, description="The NDXP's gateway code, as its certificate's CN")
    tls_cert_file: Path | None = Field(
        None, description="This gateway's certificate (PEM), served and presented"
    )
    tls_key_file: Path | None = Field(
        None, description="Its private key (PEM, unencrypted, readable by us only)"
    )
    tls_ca_file: Path | None = Field(None, description="The national CA certificate(s) that gateways trust")
    gateway_url: str | None = Field(
        None,
        description="Where this process's components call other agencies' services: their agency's gateway"
        " (https://…); none: the gateway running in this process",
    )
    crl_refresh_seconds: float = Field(300.0, description="How often peers' CRLs are fetched again")
    embedded_tiers: bool = Field(
        False,
        description="vnegov up: also run provinces' LGSPs in this process, under /lgsp/<code>",
    )
    embedded_provinces: list[str] = Field(
        default_factory=lambda: ["H24"],
        description="vnegov up: the provinces (agency codes, members of the registry) whose LGSPs run in"
        ' this process; e.g. ["H24", "H29"]',
    )
    archive_dir: Path | None = Field(
        None, description="Where old message log ranges are archived; none: kept"
    )
    log_retention_days: int = Field(90, ge=1, description="Sealed log records older than this are archived")
    log_writer: Literal["auto", "thread", "process"] = Field(
        "auto",
        description="Who writes the message log: a child process of the gateway's own (it does not share"
        " the interpreter lock with the calls), or a thread of its process; auto: a process under"
        " `vnegov serve`, a thread under `vnegov up` and in tests",
    )


class IdentitySettings(BaseModel):
    """Users and identity (component 1): the OpenID Connect provider."""

    issuer: str | None = Field(
        None, description="OpenID Provider issuer URL; default: signing.public_base_url"
    )
    access_token_seconds: int = Field(600, ge=60, le=86400)
    id_token_seconds: int = Field(600, ge=60, le=86400)
    refresh_token_days: int = Field(30, ge=1, le=365)
    code_seconds: int = Field(60, ge=10, le=600, description="Life of an authorization code")
    session_hours: int = Field(8, ge=1, le=24 * 30, description="Life of a sign-in at the provider")
    key_rotation_days: int = Field(30, ge=1, description="A new signing key after this many days")
    lockout_failures: int = Field(5, ge=1, description="Failed sign-ins before the account is locked")
    lockout_minutes: int = Field(15, ge=1, description="How long a lock lasts")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VNEGOV_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Field(Path("data"), description="Where SQLite files, keys and demo secrets live")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite file under data_dir")
    host: str = "127.0.0.1"
    port: int = 8000
    instance: str = Field("VN", description="Data-exchange instance identifier (X-Road style)")
    log_level: str = "INFO"
    log_json: bool = True
    default_language: str = "vi"
    seed_demo: bool = True
    outbox_poll_seconds: float = 2.0
    session_secret: SecretStr | None = Field(
        None, description="Signs page session cookies; default: generated under data_dir/secrets"
    )
    catalogs: CatalogSettings = CatalogSettings()
    signing: SigningSettings = SigningSettings()
    exchange: ExchangeSettings = ExchangeSettings()
    identity: IdentitySettings = IdentitySettings()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vnegov.db').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Tests build their own `Settings(...)` instead."""
    return Settings()
