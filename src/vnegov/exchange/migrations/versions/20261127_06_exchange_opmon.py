"""exchange: operational monitoring records (X-Road opmon fields)

Revision ID: 20261127_06_exchange
Revises: 20261127_05_exchange
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import BigId

revision = "20261127_06_exchange"
down_revision = "20261127_05_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_opmon_record",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("monitoring_data_ts", sa.BigInteger(), nullable=False),
        sa.Column("security_server_type", sa.String(10), nullable=False),
        sa.Column("gateway_id", sa.String(200), nullable=False),
        sa.Column("request_in_ts", sa.BigInteger(), nullable=False),
        sa.Column("request_out_ts", sa.BigInteger(), nullable=True),
        sa.Column("response_in_ts", sa.BigInteger(), nullable=True),
        sa.Column("response_out_ts", sa.BigInteger(), nullable=False),
        sa.Column("client", sa.String(1100), nullable=False),
        sa.Column("service", sa.String(1400), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("message_user_id", sa.String(200), nullable=False),
        sa.Column("message_issue", sa.String(500), nullable=False),
        sa.Column("message_protocol_version", sa.String(10), nullable=False),
        sa.Column("rest_method", sa.String(10), nullable=False),
        sa.Column("rest_path", sa.String(2000), nullable=False),
        sa.Column("request_size", sa.BigInteger(), nullable=False),
        sa.Column("response_size", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("fault_code", sa.String(200), nullable=False),
        sa.Column("fault_string", sa.String(2000), nullable=False),
        sa.Column("service_type", sa.String(10), nullable=False),
    )
    for column in ("monitoring_data_ts", "client", "service"):
        op.create_index(f"ix_exchange_opmon_record_{column}", "exchange_opmon_record", [column])


def downgrade() -> None:
    op.drop_table("exchange_opmon_record")
