"""Alembic environment shared by every component's migrations.

Each component keeps its own `migrations/` folder as an Alembic branch (labelled with the component
name); `vnegov db upgrade` applies all heads. The connection comes from `vnegov.migrate`, never
from an ini file.
"""

from __future__ import annotations

from alembic import context

from vnegov.migrate import target_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata(),
    render_as_batch=True,  # SQLite can only ALTER through table copies
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
