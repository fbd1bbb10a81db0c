"""How the electronic transaction system plugs into the platform."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from vnegov.components import ComponentSpec
from vnegov.kernel.db import Database
from vnegov.kernel.jobs import Job
from vnegov.kernel.settings import Settings
from vnegov.signing import api, cli, pki_http, service, views
from vnegov.signing.context import SigningContext
from vnegov.signing.seed import seed

HERE = Path(__file__).parent


def setup(app: FastAPI, settings: Settings, db: Database) -> None:
    app.state.signing = SigningContext.from_settings(settings)


def jobs(app: FastAPI) -> list[Job]:
    ctx: SigningContext = app.state.signing
    db: Database = app.state.db
    # CRLs are republished at half their validity; looking every few minutes keeps them fresh.
    return [Job("refresh-crls", 300, lambda: service.refresh_crls(db, ctx))]


COMPONENT = ComponentSpec(
    name="signing",
    framework_numbers=(16,),
    title_vi="Hệ thống thông tin phục vụ giao dịch điện tử",
    title_en="Electronic transaction information system",
    migrations=HERE / "migrations",
    api_router=api.router,
    extra_routers=(pki_http.router,),
    views_router=views.router,
    seed=seed,
    setup=setup,
    jobs=jobs,
    cli=cli.app,
    templates=HERE / "templates",
    nav=(
        ("/verify", "Xác thực chữ ký số", "Verify a signature"),
        ("/pki", "Tổ chức chứng thực", "Certificate authorities"),
        ("/signing/certificates", "Chứng thư số của cơ quan", "Agency certificates"),
    ),
)
