"""A gateway of its own: a fresh database with the demo registry, the app, and demo client tokens.

The gateway keeps one message-log chain per database, so gateway tests never share the session's
database with other tests that write log records.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import PG_ENV, _caller, _fresh_postgres
from vnegov import migrate
from vnegov.app import create_app
from vnegov.components import DEMO_SECRETS
from vnegov.exchange.gateway.runtime import Gateway
from vnegov.exchange.seed import seed
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.settings import Settings
from vnegov.signing import service as signing
from vnegov.signing.context import SigningContext

BASE = "http://vnegov.test"
DVCQG = "VN/GOV/G22/DVCQG"
HANOI = "VN/GOV/H24/LGSP"
HCMC = "VN/GOV/H29/LGSP"
ECHO = "/r1/VN/GOV/G22/DVCQG/echo/v1"


@contextmanager
def own_database(sqlite_file: Path, *, migrated: bool = True) -> Iterator[Database]:
    """A database of a test's own (a fresh PostgreSQL database when the suite runs on PostgreSQL, else
    `sqlite_file`), for tests that count or verify everything in it; dropped afterwards."""
    base = os.environ.get(PG_ENV)
    url, drop = _fresh_postgres(base) if base else (f"sqlite:///{sqlite_file}", lambda: None)
    db = Database(url)
    try:
        if migrated:
            migrate.upgrade(db)
        yield db
    finally:
        db.dispose()
        drop()


@dataclass
class GatewayEnv:
    app: FastAPI
    client: TestClient
    db: Database
    settings: Settings
    secrets: dict[str, dict[str, Any]]  # subsystem -> {client_id, client_secret}
    tokens: dict[str, str]

    @property
    def gateway(self) -> Gateway:
        gateway: Gateway = self.app.state.gateway
        return gateway

    def headers(self, subsystem: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[subsystem]}", "X-Road-Client": subsystem, **extra}

    def basic(self, subsystem: str) -> dict[str, str]:
        s = self.secrets[subsystem]
        raw = base64.b64encode(f"{s['client_id']}:{s['client_secret']}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}

    def signing_context(self) -> SigningContext:
        return SigningContext.from_settings(self.settings)


def fresh_database(tmp: Path) -> tuple[Database, str, Any]:
    base = os.environ.get(PG_ENV)
    url, drop = _fresh_postgres(base) if base else (f"sqlite:///{tmp / 'gateway.db'}", lambda: None)
    db = Database(url)
    migrate.upgrade(db)
    return db, url, drop


def gateway_settings(url: str, data_dir: Path, **exchange: Any) -> Settings:
    return Settings(
        database_url=url,
        data_dir=data_dir,
        log_json=False,
        signing={"public_base_url": BASE},  # type: ignore[arg-type]
        exchange={"registry_refresh_seconds": 60, **exchange},  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayEnv]:
    tmp = tmp_path_factory.mktemp("gateway")
    db, url, drop = fresh_database(tmp)
    settings = gateway_settings(url, tmp / "data")
    with db.transaction() as session:
        signing.ensure_pki(session, SigningContext.from_settings(settings))
        report = seed(session, SYSTEM, None, settings)
    secrets = {s["subsystem"]: s for s in report[DEMO_SECRETS]}
    app = create_app(settings, db=db, background=False)
    with TestClient(app, base_url=BASE) as client:
        tokens = {}
        for subsystem in secrets:
            env = GatewayEnv(app, client, db, settings, secrets, {})
            r = client.post("/token", data={"grant_type": "client_credentials"}, headers=env.basic(subsystem))
            assert r.status_code == 200, r.text
            tokens[subsystem] = r.json()["access_token"]
        yield GatewayEnv(app, client, db, settings, secrets, tokens)
    db.dispose()
    drop()


@pytest.fixture(scope="module")
def g22_operator(gw: GatewayEnv):  # type: ignore[no-untyped-def]
    """An API key of the platform operator (G22) in the gateway's database."""
    return _caller(gw.db, "G22", "operator", ("platform-admin",))
