"""Tables of the identity component (người dùng, định danh), private to it (only its services touch them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from vnegov.kernel.db import Base, BigId, JSONType, UTCDateTime, utcnow


class Account(Base):
    """A person who signs in (tài khoản): a citizen, a business's representative, or an official.

    `subject` is the stable, opaque `sub` of tokens. A citizen's `username` is their personal ID,
    verified against the population registry when the account was made. Officials belong to an agency
    (`agency_code`) and hold roles there (`OfficialRole`). `totp_secret` is set once a second factor is
    enrolled (level of assurance 2); `totp_last_step` refuses a code used twice.
    """

    __tablename__ = "identity_account"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # citizen | business | official
    username: Mapped[str] = mapped_column(sa.String(100), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    personal_id: Mapped[str | None] = mapped_column(sa.String(12), nullable=True, unique=True)
    birth_date: Mapped[str] = mapped_column(sa.String(10), default="")
    agency_code: Mapped[str | None] = mapped_column(sa.String(40), nullable=True, index=True)
    enterprise_code: Mapped[str | None] = mapped_column(sa.String(13), nullable=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    failed_attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfficialRole(Base):
    """A role an official holds in an agency (vai trò): reception, processing, approval, administration."""

    __tablename__ = "identity_official_role"
    __table_args__ = (sa.UniqueConstraint("account_id", "agency_code", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("identity_account.id", ondelete="CASCADE"))
    agency_code: Mapped[str] = mapped_column(sa.String(40))
    role: Mapped[str] = mapped_column(sa.String(40))
    granted_by: Mapped[str] = mapped_column(sa.String(300))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OidcClient(Base):
    """A relying party registered by an administrator (ứng dụng dùng đăng nhập một lần).

    Redirect URIs match exactly. `auth_method` is `client_secret_basic` (only the secret's SHA-256 is
    kept: it has 256 bits of entropy) or `private_key_jwt` (the client's public keys in `jwks`).
    """

    __tablename__ = "identity_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    redirect_uris: Mapped[list[str]] = mapped_column(JSONType, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSONType, default=list)
    auth_method: Mapped[str] = mapped_column(sa.String(30))
    secret_sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    first_party: Mapped[bool] = mapped_column(
        sa.Boolean, default=False
    )  # the platform's own pages: no consent
    created_by: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SigningKey(Base):
    """A key that signs ID and access tokens (khóa ký). The newest active key signs; older ones stay in
    the JWKS until every token they signed has expired (`published_until`). The private key is PEM,
    encrypted with the platform's key passphrase."""

    __tablename__ = "identity_signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(sa.String(10))
    private_pem: Mapped[str] = mapped_column(sa.Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginSession(Base):
    """A sign-in at the provider (phiên đăng nhập), held by the browser as an opaque cookie (its SHA-256
    here). `acr` is the level reached: "1" password, "2" password and a second factor."""

    __tablename__ = "identity_session"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("identity_account.id", ondelete="CASCADE"), index=True
    )
    acr: Mapped[str] = mapped_column(sa.String(4))
    amr: Mapped[list[str]] = mapped_column(JSONType, default=list)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuthorizationCode(Base):
    """A one-time authorization code (mã ủy quyền), kept as its SHA-256, bound to client, redirect URI
    and the PKCE challenge. A second use revokes what the first one issued (RFC 6749 §4.1.2)."""

    __tablename__ = "identity_code"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_id: Mapped[str] = mapped_column(sa.String(100))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("identity_account.id", ondelete="CASCADE"))
    session_sid: Mapped[str] = mapped_column(sa.String(64))
    redirect_uri: Mapped[str] = mapped_column(sa.String(2000))
    scope: Mapped[str] = mapped_column(sa.String(1000))
    nonce: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    code_challenge: Mapped[str] = mapped_column(sa.String(128))
    acr: Mapped[str] = mapped_column(sa.String(4))
    amr: Mapped[list[str]] = mapped_column(JSONType, default=list)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RefreshToken(Base):
    """A refresh token (kept as its SHA-256); each use replaces it with a new one, and presenting a
    replaced one revokes the whole family (RFC 9700 §4.14.2)."""

    __tablename__ = "identity_refresh_token"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    family: Mapped[str] = mapped_column(sa.String(64), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(100))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("identity_account.id", ondelete="CASCADE"))
    session_sid: Mapped[str] = mapped_column(sa.String(64))
    scope: Mapped[str] = mapped_column(sa.String(1000))
    acr: Mapped[str] = mapped_column(sa.String(4))
    amr: Mapped[list[str]] = mapped_column(JSONType, default=list)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsentGrant(Base):
    """What a person allowed a relying party to receive (sự đồng ý chia sẻ thông tin)."""

    __tablename__ = "identity_consent"
    __table_args__ = (sa.UniqueConstraint("account_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("identity_account.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(sa.String(100))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsedAssertion(Base):
    """`jti` of client assertions already used (private_key_jwt): a replay is refused until it expires."""

    __tablename__ = "identity_used_assertion"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(100))
    jti: Mapped[str] = mapped_column(sa.String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (sa.UniqueConstraint("client_id", "jti"),)
