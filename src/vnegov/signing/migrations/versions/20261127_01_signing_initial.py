"""signing: authorities, issued certificates, service keys, CRLs, counters

Revision ID: 20261127_01_signing
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import JSONType, UTCDateTime

revision = "20261127_01_signing"
down_revision = None
branch_labels = ("signing",)
depends_on = "20261127_01_kernel"


def upgrade() -> None:
    op.create_table(
        "signing_authority",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("parent_name", sa.String(40), nullable=True),
        sa.Column("certificate_pem", sa.Text, nullable=False),
        sa.Column("key_pem", sa.Text, nullable=False),
        sa.Column("key_backend", sa.String(20), nullable=False),
        sa.Column("crl_number", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_authority")),
        sa.UniqueConstraint("name", name=op.f("uq_signing_authority_name")),
    )
    op.create_table(
        "signing_certificate",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("serial_hex", sa.String(64), nullable=False),
        sa.Column("issuer_name", sa.String(40), nullable=False),
        sa.Column("profile", sa.String(40), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("common_name", sa.String(300), nullable=False),
        sa.Column("identifiers", JSONType, nullable=False),
        sa.Column("agency_code", sa.String(40), nullable=False),
        sa.Column("not_before", UTCDateTime, nullable=False),
        sa.Column("not_after", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.Column("revocation_reason", sa.String(40), nullable=True),
        sa.Column("certificate_pem", sa.Text, nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("renewal_of", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_certificate")),
        sa.UniqueConstraint("serial_hex", name=op.f("uq_signing_certificate_serial_hex")),
    )
    op.create_index(op.f("ix_signing_certificate_issuer_name"), "signing_certificate", ["issuer_name"])
    op.create_index(op.f("ix_signing_certificate_agency_code"), "signing_certificate", ["agency_code"])
    op.create_table(
        "signing_service_key",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("certificate_serial", sa.String(64), nullable=False),
        sa.Column("key_pem", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_service_key")),
        sa.UniqueConstraint("role", name=op.f("uq_signing_service_key_role")),
    )
    op.create_table(
        "signing_crl",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("authority_name", sa.String(40), nullable=False),
        sa.Column("crl_number", sa.Integer, nullable=False),
        sa.Column("this_update", UTCDateTime, nullable=False),
        sa.Column("next_update", UTCDateTime, nullable=False),
        sa.Column("der", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_crl")),
        sa.UniqueConstraint("authority_name", "crl_number", name="uq_signing_crl_number"),
    )
    op.create_table(
        "signing_counter",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("next_value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_signing_counter")),
    )


def downgrade() -> None:
    op.drop_table("signing_counter")
    op.drop_table("signing_crl")
    op.drop_table("signing_service_key")
    op.drop_index(op.f("ix_signing_certificate_agency_code"), "signing_certificate")
    op.drop_index(op.f("ix_signing_certificate_issuer_name"), "signing_certificate")
    op.drop_table("signing_certificate")
    op.drop_table("signing_authority")
