"""Schema migrations (Alembic) for every component, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import importlib
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from vnegov import components
from vnegov.kernel.db import Base, Database


def target_metadata() -> sa.MetaData:
    """The metadata of every component's models (imported so their tables register)."""
    importlib.import_module("vnegov.kernel.models")
    for name in components.COMPONENT_MODULES:
        importlib.import_module(f"{name}.models")
    return Base.metadata


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option(
        "version_locations", " ".join(str(p / "versions") for p in components.migration_locations())
    )
    cfg.set_main_option("path_separator", "space")
    return cfg


def upgrade(db: Database, target: str = "heads") -> None:
    cfg = config()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, target)


def downgrade(db: Database, target: str = "base") -> None:
    cfg = config()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, target)


def current_heads(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def expected_heads() -> set[str]:
    return set(ScriptDirectory.from_config(config()).get_heads())


def applied_revisions(db: Database) -> set[str]:
    """Every revision applied: the recorded heads and all they stand on (dependencies included)."""
    heads = tuple(current_heads(db))
    if not heads:
        return set()
    script = ScriptDirectory.from_config(config())
    return {r.revision for r in script.iterate_revisions(heads, "base")}


def pending_revisions(db: Database) -> set[str]:
    script = ScriptDirectory.from_config(config())
    every = {r.revision for r in script.walk_revisions()}
    return every - applied_revisions(db)


def is_up_to_date(db: Database) -> bool:
    return not pending_revisions(db)
