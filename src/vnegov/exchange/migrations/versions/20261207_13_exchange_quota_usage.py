"""exchange: daily quotas shared by a gateway's processes (leased in blocks)

Revision ID: 20261207_13_exchange
Revises: 20261207_12_exchange
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261207_13_exchange"
down_revision = "20261207_12_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_quota_usage",
        sa.Column("client", sa.String(1100), primary_key=True),
        sa.Column("service", sa.String(1400), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("leased", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("exchange_quota_usage")
