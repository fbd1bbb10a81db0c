"""Bringing an instance up: database, migrations, demo credentials and demo data."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from vnegov import components, migrate
from vnegov.kernel import auth
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.models import ApiKey
from vnegov.kernel.settings import Settings, get_settings

DEMO_CREDENTIALS = "demo-credentials.json"

# Demo API keys: (agency code, name, roles). Owners of the seeded catalogues get a key each so a
# newcomer can try writes; the secrets are generated here and written only under data_dir.
DEMO_KEYS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("G22", "Platform operator (demo)", ("platform-admin",)),
    ("G12", "Ministry of Finance — statistics (demo)", ()),
)


def open_database(settings: Settings | None = None) -> Database:
    return Database((settings or get_settings()).resolved_database_url)


def seed_demo(
    db: Database, settings: Settings, progress: Callable[[str, int], None] | None = None
) -> dict[str, Any]:
    """Create demo API keys (first time only) and import every component's demo/reference data."""
    report: dict[str, Any] = {"keys": _demo_keys(db, settings)}
    for component in components.available():
        if component.seed is None:
            continue
        with db.transaction() as session:
            callback = (lambda n, c=component.name: progress(c, n)) if progress else None
            result = component.seed(session, SYSTEM, callback, settings)
        if isinstance(result, dict) and result.get(components.DEMO_SECRETS):
            _add_demo_secrets(
                settings.data_dir / DEMO_CREDENTIALS, component.name, result.pop(components.DEMO_SECRETS)
            )
        report[component.name] = result
    return report


def _add_demo_secrets(path: Path, component: str, secrets: Any) -> None:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[component] = secrets
    _write_private(path, json.dumps(data, ensure_ascii=False, indent=2))


def _demo_keys(db: Database, settings: Settings) -> str | None:
    path = settings.data_dir / DEMO_CREDENTIALS
    with db.read() as session:
        have_keys = session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) or 0
    if have_keys:
        return str(path) if path.exists() else None
    issued = []
    with db.transaction() as session:
        for agency, name, roles in DEMO_KEYS:
            key = auth.create_key(session, actor=SYSTEM, agency_code=agency, name=name, roles=roles)
            issued.append({"agency_code": agency, "name": name, "roles": list(roles), "api_key": key.token})
    _write_private(path, json.dumps({"api_keys": issued}, ensure_ascii=False, indent=2))
    return str(path)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def prepare(
    settings: Settings, *, seed: bool, progress: Callable[[str, int], None] | None = None
) -> tuple[Database, dict[str, Any] | None]:
    """Migrate the database to the latest schema and, if asked, seed demo data (with its report)."""
    db = open_database(settings)
    migrate.upgrade(db)
    report = seed_demo(db, settings, progress) if seed else None
    return db, report
