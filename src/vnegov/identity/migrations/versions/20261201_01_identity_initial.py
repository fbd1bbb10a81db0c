"""identity: accounts, roles, OIDC clients, signing keys, sessions, codes, refresh tokens, consents

Revision ID: 20261201_01_identity
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import BigId, JSONType, UTCDateTime

revision = "20261201_01_identity"
down_revision = None
branch_labels = ("identity",)
depends_on = ("20261127_01_kernel",)


def upgrade() -> None:
    op.create_table(
        "identity_account",
        sa.Column("id", BigId, nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=True),
        sa.Column("birth_date", sa.String(length=10), nullable=False),
        sa.Column("agency_code", sa.String(length=40), nullable=True),
        sa.Column("enterprise_code", sa.String(length=13), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime, nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_account")),
        sa.UniqueConstraint("personal_id", name=op.f("uq_identity_account_personal_id")),
        sa.UniqueConstraint("subject", name=op.f("uq_identity_account_subject")),
        sa.UniqueConstraint("username", name=op.f("uq_identity_account_username")),
    )
    op.create_index(
        op.f("ix_identity_account_agency_code"), "identity_account", ["agency_code"], unique=False
    )
    op.create_table(
        "identity_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("redirect_uris", JSONType, nullable=False),
        sa.Column("post_logout_redirect_uris", JSONType, nullable=False),
        sa.Column("auth_method", sa.String(length=30), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=True),
        sa.Column("jwks", JSONType, nullable=True),
        sa.Column("scopes", JSONType, nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_client")),
        sa.UniqueConstraint("client_id", name=op.f("uq_identity_client_client_id")),
    )
    op.create_table(
        "identity_signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("retired_at", UTCDateTime, nullable=True),
        sa.Column("published_until", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_signing_key")),
        sa.UniqueConstraint("kid", name=op.f("uq_identity_signing_key_kid")),
    )
    op.create_table(
        "identity_used_assertion",
        sa.Column("id", BigId, nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_used_assertion")),
        sa.UniqueConstraint("client_id", "jti", name=op.f("uq_identity_used_assertion_client_id_jti")),
    )
    op.create_table(
        "identity_code",
        sa.Column("id", BigId, nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("session_sid", sa.String(length=64), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("nonce", sa.String(length=500), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("acr", sa.String(length=4), nullable=False),
        sa.Column("amr", JSONType, nullable=False),
        sa.Column("auth_time", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_account.id"],
            name=op.f("fk_identity_code_account_id_identity_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_code")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_identity_code_code_sha256")),
    )
    op.create_table(
        "identity_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("scopes", JSONType, nullable=False),
        sa.Column("granted_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_account.id"],
            name=op.f("fk_identity_consent_account_id_identity_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_consent")),
        sa.UniqueConstraint("account_id", "client_id", name=op.f("uq_identity_consent_account_id_client_id")),
    )
    op.create_table(
        "identity_official_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("agency_code", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("granted_by", sa.String(length=300), nullable=False),
        sa.Column("granted_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_account.id"],
            name=op.f("fk_identity_official_role_account_id_identity_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_official_role")),
        sa.UniqueConstraint(
            "account_id",
            "agency_code",
            "role",
            name=op.f("uq_identity_official_role_account_id_agency_code_role"),
        ),
    )
    op.create_table(
        "identity_refresh_token",
        sa.Column("id", BigId, nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("session_sid", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("acr", sa.String(length=4), nullable=False),
        sa.Column("amr", JSONType, nullable=False),
        sa.Column("auth_time", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_account.id"],
            name=op.f("fk_identity_refresh_token_account_id_identity_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_refresh_token")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_identity_refresh_token_token_sha256")),
    )
    op.create_index(
        op.f("ix_identity_refresh_token_family"), "identity_refresh_token", ["family"], unique=False
    )
    op.create_table(
        "identity_session",
        sa.Column("id", BigId, nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("acr", sa.String(length=4), nullable=False),
        sa.Column("amr", JSONType, nullable=False),
        sa.Column("auth_time", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_account.id"],
            name=op.f("fk_identity_session_account_id_identity_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_session")),
        sa.UniqueConstraint("sid", name=op.f("uq_identity_session_sid")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_identity_session_token_sha256")),
    )
    op.create_index(op.f("ix_identity_session_account_id"), "identity_session", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_identity_session_account_id"), table_name="identity_session")
    op.drop_index(op.f("ix_identity_refresh_token_family"), table_name="identity_refresh_token")
    op.drop_index(op.f("ix_identity_account_agency_code"), table_name="identity_account")
    op.drop_table("identity_session")
    op.drop_table("identity_refresh_token")
    op.drop_table("identity_official_role")
    op.drop_table("identity_consent")
    op.drop_table("identity_code")
    op.drop_table("identity_used_assertion")
    op.drop_table("identity_signing_key")
    op.drop_table("identity_client")
    op.drop_table("identity_account")
