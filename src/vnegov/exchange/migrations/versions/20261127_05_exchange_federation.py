"""exchange: gateways of the federation and which gateway serves each member

Revision ID: 20261127_05_exchange
Revises: 20261127_04_exchange
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import UTCDateTime

revision = "20261127_05_exchange"
down_revision = "20261127_04_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_gateway",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(1100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("address", sa.String(2000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("code", name="uq_exchange_gateway_code"),
    )
    with op.batch_alter_table("exchange_member") as batch:
        batch.add_column(sa.Column("gateway_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_exchange_member_gateway_id_exchange_gateway", "exchange_gateway", ["gateway_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_member") as batch:
        batch.drop_constraint("fk_exchange_member_gateway_id_exchange_gateway", type_="foreignkey")
        batch.drop_column("gateway_id")
    op.drop_table("exchange_gateway")
