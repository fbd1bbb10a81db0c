"""exchange: the message log's tip row, so several gateway processes share one chain

Revision ID: 20261127_09_exchange
Revises: 20261127_08_exchange
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261127_09_exchange"
down_revision = "20261127_08_exchange"
branch_labels = None
depends_on = None

GENESIS_HASH = "00" * 32


def upgrade() -> None:
    tip = op.create_table(
        "exchange_log_tip",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    bind = op.get_bind()
    last = bind.execute(
        sa.text("SELECT sequence, hash FROM exchange_log_record ORDER BY sequence DESC LIMIT 1")
    ).first()
    if last is None:  # no records: after the last archived range, or the genesis
        last = bind.execute(
            sa.text(
                "SELECT last_sequence, last_hash FROM exchange_log_archive"
                " ORDER BY last_sequence DESC LIMIT 1"
            )
        ).first()
    sequence, digest = (last[0], last[1]) if last else (0, GENESIS_HASH)
    op.bulk_insert(tip, [{"id": 1, "sequence": sequence, "hash": digest}])


def downgrade() -> None:
    op.drop_table("exchange_log_tip")
