"""exchange: several writers share the log by optimistic chaining (sequence numbers are the lock), so
the tip row goes; a seal's first record is unique, so concurrent sealing cannot overlap

Revision ID: 20261127_10_exchange
Revises: 20261127_09_exchange
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261127_10_exchange"
down_revision = "20261127_09_exchange"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("exchange_log_tip")
    with op.batch_alter_table("exchange_log_seal") as batch:
        batch.create_unique_constraint("uq_exchange_log_seal_first_sequence", ["first_sequence"])


def downgrade() -> None:
    with op.batch_alter_table("exchange_log_seal") as batch:
        batch.drop_constraint("uq_exchange_log_seal_first_sequence", type_="unique")
    op.create_table(
        "exchange_log_tip",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    bind = op.get_bind()
    last = bind.execute(
        sa.text("SELECT sequence, hash FROM exchange_log_record ORDER BY sequence DESC LIMIT 1")
    ).first()
    sequence, digest = (last[0], last[1]) if last else (0, "00" * 32)
    bind.execute(
        sa.text("INSERT INTO exchange_log_tip (id, sequence, hash) VALUES (1, :s, :h)"),
        {"s": sequence, "h": digest},
    )
