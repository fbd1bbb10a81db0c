"""Demo and reference data for the catalogue system: the real public datasets in `sources`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vnegov.catalogs import service
from vnegov.catalogs.service import Progress
from vnegov.kernel.context import Principal
from vnegov.kernel.settings import Settings


def seed(
    session: Session, actor: Principal, progress: Progress | None = None, settings: Settings | None = None
) -> dict[str, dict[str, int]]:
    """Import every published catalogue (idempotent: a second run adds nothing)."""
    from vnegov.catalogs.sources.registry import ALL_SOURCES

    return {
        source.code: service.import_source(session, actor=actor, source=source, progress=progress)
        for source in ALL_SOURCES
    }
