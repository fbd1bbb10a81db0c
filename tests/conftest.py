"""Shared fixtures: a real database built by the real migrations, the app, and a named cast.

The engine is SQLite (a temporary file) unless VNEGOV_TEST_DATABASE_URL points at a PostgreSQL
server, in which case a fresh database is created for this run and dropped afterwards.
Reference catalogues are imported once per run; tests that write use catalogues of their own
(see `make_catalog`), so they never disturb each other or the reference data.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient

from vnegov import migrate
from vnegov.app import create_app
from vnegov.kernel import auth
from vnegov.kernel.context import SYSTEM, Principal
from vnegov.kernel.db import Database
from vnegov.kernel.serving import CorkedHttpToolsProtocol
from vnegov.kernel.settings import Settings

PG_ENV = "VNEGOV_TEST_DATABASE_URL"


def _fresh_postgres(base_url: str) -> tuple[str, Callable[[], None]]:
    url = sa.make_url(base_url)
    name = f"vnegov_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if base:
        url, drop = _fresh_postgres(base)
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'vnegov-test.db'}"


@pytest.fixture(scope="session")
def live_port() -> int:
    """The port `live_server` listens on, known before the app exists: it is the app's public base URL
    (written into certificates, and the identity provider's issuer the pages sign in at)."""
    return _free_port()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory, live_port: int) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        log_json=False,
        signing={"public_base_url": f"http://127.0.0.1:{live_port}"},  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    migrate.upgrade(database)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def reference_data(db: Database) -> Database:
    """The built-in public catalogues, imported once for the whole run."""
    from vnegov.catalogs.seed import seed

    with db.transaction() as session:
        seed(session, SYSTEM)
    return db


@pytest.fixture(scope="session")
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, db=db, background=False)


@pytest.fixture()
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


# ----------------------------------------------------------------------------- a real server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(app, live_port: int) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = live_port
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            http=CorkedHttpToolsProtocol,  # as `vnegov up` and `vnegov serve` serve
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# ----------------------------------------------------------------------------- the cast


_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


class Caller:
    """Someone holding an API key: a principal for service calls and headers for HTTP calls."""

    def __init__(self, principal: Principal, token: str) -> None:
        self.principal = principal
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _caller(db: Database, agency: str, name: str, roles: tuple[str, ...] = ()) -> Caller:
    with db.transaction() as session:
        key = auth.create_key(session, actor=SYSTEM, agency_code=agency, name=name, roles=roles)
    with db.read() as session:
        return Caller(auth.authenticate(session, key.token), key.token)


@pytest.fixture(scope="session")
def ministry_finance(db: Database) -> Caller:
    """Bộ Tài chính (statistics): owns the administrative-units catalogue."""
    return _caller(db, "G12", "MOF statistics system")


@pytest.fixture(scope="session")
def province_hanoi(db: Database) -> Caller:
    """UBND thành phố Hà Nội: owns catalogues of its own, not the national ones."""
    return _caller(db, "H24", "Hanoi LGSP")


@pytest.fixture(scope="session")
def operator(db: Database) -> Caller:
    """The platform operator (platform-admin role)."""
    return _caller(db, "G22", "platform operator", ("platform-admin",))


@pytest.fixture()
def make_catalog(db: Database) -> Callable[..., str]:
    """Create a fresh catalogue owned by an agency; returns its code."""
    from vnegov.catalogs import schemas, service

    def make(
        owner: Caller,
        *,
        levels: tuple[str, ...] = ("province", "commune"),
        fields: tuple[dict[str, object], ...] = (),
    ) -> str:
        code = unique("test")
        with db.transaction() as session:
            service.create_catalog(
                session,
                actor=owner.principal,
                catalog_in=schemas.CatalogCreate(
                    code=code,
                    name_vi="Danh mục thử",
                    name_en="Test catalogue",
                    levels=list(levels),
                    fields=[schemas.FieldSchema(**f) for f in fields],  # type: ignore[arg-type]
                ),
            )
        return code

    return make


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def platform_pki(app, db: Database):  # type: ignore[no-untyped-def]
    """The platform's own CA hierarchy, OCSP responders and TSA, made as on first start."""
    from vnegov.signing import service

    with db.transaction() as session:
        service.ensure_pki(session, app.state.signing)
    return app.state.signing


# ------------------------------------------------------------------- officials signed in to pages

OFFICIAL_PASSWORD = "một mật khẩu dài của cán bộ"


def official_account(
    app: Any, agency: str, roles: tuple[str, ...] = (), name: str = "Cán bộ thử nghiệm"
) -> str:
    """An official of `agency` at the platform's identity provider (the pages' client made if needed);
    their username (password OFFICIAL_PASSWORD)."""
    from vnegov.identity import accounts
    from vnegov.identity.seed import ensure_pages_client

    username = unique("canbo").lower().replace("_", "-")
    with app.state.db.transaction() as session:
        ensure_pages_client(session, SYSTEM, app.state.settings)
        account = accounts.create_account(
            session,
            actor=SYSTEM,
            kind="official",
            username=username,
            full_name=name,
            password=OFFICIAL_PASSWORD,
            agency_code=agency,
        )
        for role in roles:
            accounts.grant_role(session, actor=SYSTEM, subject=account.subject, agency_code=agency, role=role)
    return username


@dataclass(frozen=True)
class SignedInOfficial:
    username: str
    landing: str  # where the pages sent the browser after the sign-in
    cookie: str  # the Set-Cookie header of the pages' session


def sign_in_official(
    client: TestClient,
    app: Any,
    agency: str,
    roles: tuple[str, ...] = (),
    next_url: str = "/",
    name: str = "Cán bộ thử nghiệm",
) -> SignedInOfficial:
    """Sign a new official of `agency` in to the pages, as a browser does: /login/oidc → the provider's
    sign-in form → back to /login/callback."""
    import html
    import re
    from urllib.parse import urlsplit

    username = official_account(app, agency, roles, name)
    client.cookies.clear()  # a fresh browser: nobody signed in, at the provider or on the pages
    r = client.get("/login/oidc", params={"next": next_url}, follow_redirects=False)
    for _ in range(6):
        assert r.status_code in (302, 303, 307), r.text
        parts = urlsplit(r.headers["location"])
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path == "/identity/login":
            page = client.get(target)
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf
            nxt = re.search(r'name="next" value="([^"]*)"', page.text)
            form = {
                "csrf": csrf.group(1),
                "username": username,
                "password": OFFICIAL_PASSWORD,
                "next": html.unescape(nxt.group(1)) if nxt else "/",
            }
            r = client.post("/identity/login", data=form, follow_redirects=False)
            continue
        r = client.get(target, follow_redirects=False)
        if parts.path == "/login/callback":
            assert r.status_code == 303, r.text
            return SignedInOfficial(username, r.headers["location"], r.headers.get("set-cookie", ""))
    raise AssertionError("the sign-in did not come back to the pages")
