"""exchange: body logging per subsystem, stored bodies, archived ranges of the message log

Revision ID: 20261127_08_exchange
Revises: 20261127_07_exchange
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vnegov.kernel.db import BigId, UTCDateTime

revision = "20261127_08_exchange"
down_revision = "20261127_07_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_subsystem") as batch:
        batch.add_column(sa.Column("body_logging", sa.String(10), nullable=False, server_default="metadata"))
    op.create_table(
        "exchange_log_body",
        sa.Column("sequence", BigId, primary_key=True, autoincrement=False),
        sa.Column("request_body", sa.LargeBinary(), nullable=False),
        sa.Column("response_body", sa.LargeBinary(), nullable=False),
        sa.Column("request_content_type", sa.String(200), nullable=False),
        sa.Column("response_content_type", sa.String(200), nullable=False),
    )
    op.create_table(
        "exchange_log_archive",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("first_sequence", sa.BigInteger(), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("last_sequence", name="uq_exchange_log_archive_last_sequence"),
    )


def downgrade() -> None:
    op.drop_table("exchange_log_archive")
    op.drop_table("exchange_log_body")
    with op.batch_alter_table("exchange_subsystem") as batch:
        batch.drop_column("body_logging")
