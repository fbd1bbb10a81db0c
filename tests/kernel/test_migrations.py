"""The schema comes from the migrations, and the migrations match the models, on both engines."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import PG_ENV, _fresh_postgres
from vnegov import migrate
from vnegov.kernel.db import Database


@pytest.fixture()
def scratch_db(tmp_path):  # type: ignore[no-untyped-def]
    base = os.environ.get(PG_ENV)
    if base:
        url, drop = _fresh_postgres(base)
    else:
        url, drop = f"sqlite:///{tmp_path / 'scratch.db'}", (lambda: None)
    database = Database(url)
    yield database
    database.dispose()
    drop()


def _tables(db: Database) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip(scratch_db: Database) -> None:
    migrate.upgrade(scratch_db)
    tables = _tables(scratch_db)
    assert {"kernel_audit_log", "kernel_outbox", "catalogs_item", "catalogs_change"} <= tables
    assert migrate.is_up_to_date(scratch_db)
    migrate.downgrade(scratch_db, "base")
    assert _tables(scratch_db) == set()
    assert not migrate.is_up_to_date(scratch_db)
    migrate.upgrade(scratch_db)
    assert _tables(scratch_db) == tables


def test_models_and_migrations_agree(db: Database) -> None:
    """A model change without its migration (or the reverse) fails here."""
    with db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), migrate.target_metadata()
        )
    assert diff == []
