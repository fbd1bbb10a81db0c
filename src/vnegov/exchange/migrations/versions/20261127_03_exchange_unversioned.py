"""exchange: an unversioned service code is unique per subsystem (partial unique index)

Revision ID: 20261127_03_exchange
Revises: 20261127_02_exchange
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261127_03_exchange"
down_revision = "20261127_02_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_exchange_service_unversioned",
        "exchange_service",
        ["subsystem_id", "service_code"],
        unique=True,
        sqlite_where=sa.text("version IS NULL"),
        postgresql_where=sa.text("version IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_exchange_service_unversioned", "exchange_service")
