"""How the base registries plug into the platform."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from vnegov.components import ComponentSpec
from vnegov.exchange.gateway.tls import PeerCheck
from vnegov.kernel.db import Database
from vnegov.kernel.settings import Settings
from vnegov.registries import api, cli, govstack, views
from vnegov.registries.seed import seed

HERE = Path(__file__).parent


def setup(app: FastAPI, settings: Settings, db: Database) -> None:
    """With the national CA configured, gateways' certificates are checked against its CRL too."""
    config = settings.exchange
    app.state.registry_peers = (
        PeerCheck(config.tls_ca_file, config.crl_refresh_seconds) if config.tls_ca_file else None
    )


COMPONENT = ComponentSpec(
    name="registries",
    framework_numbers=(18, 19),
    title_vi="Cơ sở dữ liệu quốc gia: dân cư, đăng ký doanh nghiệp",
    title_en="National databases: population, enterprises",
    migrations=HERE / "migrations",
    partial=True,  # the benchmark's targets are not measured against yet (docs/registries.md)
    api_router=api.router,
    extra_routers=(govstack.router,),
    views_router=views.router,
    templates=HERE / "templates",
    nav=(("/registries", "Cơ sở dữ liệu quốc gia", "Base registries"),),
    seed=seed,
    setup=setup,
    cli=cli.app,
)
