"""exchange: client credentials for the gateway's token endpoint; per-service gateway limits

Revision ID: 20261127_04_exchange
Revises: 20261127_03_exchange
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import UTCDateTime

revision = "20261127_04_exchange"
down_revision = "20261127_03_exchange"
branch_labels = None
depends_on = None

LIMITS = (
    ("max_body_bytes", sa.BigInteger()),
    ("timeout_seconds", sa.Float()),
    ("rate_per_second", sa.Float()),
    ("quota_per_day", sa.Integer()),
)


def upgrade() -> None:
    op.create_table(
        "exchange_client_credential",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "subsystem_id",
            sa.Integer(),
            sa.ForeignKey(
                "exchange_subsystem.id", name="fk_exchange_client_credential_subsystem_id_exchange_subsystem"
            ),
            nullable=False,
        ),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("client_key", name="uq_exchange_client_credential_client_key"),
    )
    op.create_index(
        "ix_exchange_client_credential_subsystem_id", "exchange_client_credential", ["subsystem_id"]
    )
    with op.batch_alter_table("exchange_service") as batch:
        for name, type_ in LIMITS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchange_service") as batch:
        for name, _type in reversed(LIMITS):
            batch.drop_column(name)
    op.drop_index("ix_exchange_client_credential_subsystem_id", "exchange_client_credential")
    op.drop_table("exchange_client_credential")
