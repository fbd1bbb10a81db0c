"""exchange: the members of client and service beside each log and monitoring record, indexed

An agency reads its own records newest first. Found by a prefix of `client` or `service`
(`LIKE 'VN/GOV/H24/%'`), they were a scan of the whole table on both engines: on SQLite with a
million records, 0.25 s for an agency with one record in ten thousand, and the whole table for an
agency with none. An equality on the member, in an index ordered by the record's number, reads only
what the page shows. The old single-column indexes on client and service go: the member indexes
serve those searches too (a client's or a service's member is known from it).

Revision ID: 20261207_12_exchange
Revises: 20261127_11_exchange
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261207_12_exchange"
down_revision = "20261127_11_exchange"
branch_labels = None
depends_on = None

TABLES = (("exchange_log_record", "sequence"), ("exchange_opmon_record", "id"))
SIZES = {"client": 1100, "service": 1400}


def upgrade() -> None:
    connection = op.get_bind()
    for table, key in TABLES:
        for column, size in SIZES.items():
            op.add_column(
                table, sa.Column(f"{column}_member", sa.String(size), server_default="", nullable=False)
            )
            _fill(connection, table, column)
            op.drop_index(f"ix_{table}_{column}", table)
            op.create_index(f"ix_{table}_{column}_member", table, [f"{column}_member", key])


def _fill(connection: sa.Connection, table: str, column: str) -> None:
    """One UPDATE per distinct value: a log has few distinct clients and services, many records."""
    values = connection.execute(sa.text(f"SELECT DISTINCT {column} FROM {table}")).scalars().all()
    update = sa.text(f"UPDATE {table} SET {column}_member = :member WHERE {column} = :value")
    for value in values:
        member = member_of(value)
        if member:
            connection.execute(update, {"member": member, "value": value})


def member_of(identifier: str) -> str:
    """`identifiers.member_of` as of this revision (a migration keeps the rule it ran with)."""
    parts = identifier.split("/", 3)
    return "/".join(parts[:3]) if len(parts) >= 3 else ""


def downgrade() -> None:
    for table, _key in TABLES:
        for column in SIZES:
            op.drop_index(f"ix_{table}_{column}_member", table)
            op.create_index(f"ix_{table}_{column}", table, [column])
            with op.batch_alter_table(table) as batch:
                batch.drop_column(f"{column}_member")
