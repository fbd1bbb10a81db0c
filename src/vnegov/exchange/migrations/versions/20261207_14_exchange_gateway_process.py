"""exchange: a gateway's running processes, which share its rate limits

Revision ID: 20261207_14_exchange
Revises: 20261207_13_exchange
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import UTCDateTime

revision = "20261207_14_exchange"
down_revision = "20261207_13_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_gateway_process",
        sa.Column("process_id", sa.String(64), primary_key=True),
        sa.Column("gateway_id", sa.String(200), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_exchange_gateway_process_gateway_id", "exchange_gateway_process", ["gateway_id"])


def downgrade() -> None:
    op.drop_index("ix_exchange_gateway_process_gateway_id", "exchange_gateway_process")
    op.drop_table("exchange_gateway_process")
