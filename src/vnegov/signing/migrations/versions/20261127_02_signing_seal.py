"""signing: agencies' electronic seals held by the platform

Revision ID: 20261127_02_signing
Revises: 20261127_01_signing
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import UTCDateTime

revision = "20261127_02_signing"
down_revision = "20261127_01_signing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_seal",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("agency_code", sa.String(40), nullable=False),
        sa.Column("certificate_serial", sa.String(64), nullable=False),
        sa.Column("key_pem", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_seal")),
        sa.UniqueConstraint("agency_code", name=op.f("uq_signing_seal_agency_code")),
    )


def downgrade() -> None:
    op.drop_table("signing_seal")
