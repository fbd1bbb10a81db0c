"""exchange: the stored message log and its seals

Revision ID: 20261127_02_exchange
Revises: 20261127_01_exchange
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import BigId, UTCDateTime

revision = "20261127_02_exchange"
down_revision = "20261127_01_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_log_record",
        sa.Column("sequence", BigId, nullable=False, autoincrement=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("query_id", sa.String(200), nullable=False),
        sa.Column("client", sa.String(1100), nullable=False),
        sa.Column("service", sa.String(1400), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("issue", sa.String(500), nullable=False),
        sa.Column("request_time", UTCDateTime, nullable=False),
        sa.Column("response_time", UTCDateTime, nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("request_size", sa.BigInteger, nullable=False),
        sa.Column("response_size", sa.BigInteger, nullable=False),
        sa.Column("gateway_id", sa.String(200), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_exchange_log_record")),
    )
    for column in ("message_id", "client", "service", "request_time"):
        op.create_index(op.f(f"ix_exchange_log_record_{column}"), "exchange_log_record", [column])
    op.create_table(
        "exchange_log_seal",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("first_sequence", sa.BigInteger, nullable=False),
        sa.Column("last_sequence", sa.BigInteger, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("certificate", sa.LargeBinary, nullable=False),
        sa.Column("timestamp", sa.LargeBinary, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_log_seal")),
        sa.UniqueConstraint("last_sequence", name=op.f("uq_exchange_log_seal_last_sequence")),
    )


def downgrade() -> None:
    op.drop_table("exchange_log_seal")
    for column in ("message_id", "client", "service", "request_time"):
        op.drop_index(op.f(f"ix_exchange_log_record_{column}"), "exchange_log_record")
    op.drop_table("exchange_log_record")
