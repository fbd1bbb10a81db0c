"""exchange: rate and daily quota per client on access rights

Revision ID: 20261127_11_exchange
Revises: 20261127_10_exchange
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261127_11_exchange"
down_revision = "20261127_10_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_access_right") as batch:
        batch.add_column(sa.Column("rate_per_second", sa.Float(), nullable=True))
        batch.add_column(sa.Column("quota_per_day", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchange_access_right") as batch:
        batch.drop_column("quota_per_day")
        batch.drop_column("rate_per_second")
