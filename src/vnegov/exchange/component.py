"""How the data exchange plugs into the platform: registry API, gateway, message log sealing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI

from vnegov.components import ComponentSpec
from vnegov.exchange import api, cli, demo, embedded, logstore, manage, processes, views
from vnegov.exchange.client import close_clients
from vnegov.exchange.gateway.router import GatewayRouter
from vnegov.exchange.gateway.runtime import Gateway
from vnegov.exchange.seed import seed
from vnegov.kernel.db import Database
from vnegov.kernel.jobs import Job
from vnegov.kernel.settings import Settings

HERE = Path(__file__).parent


def setup(app: FastAPI, settings: Settings, db: Database) -> None:
    gateway = Gateway(settings, db, local_app=app)
    app.state.gateway = gateway
    tiers = embedded.start_tiers(app, settings, db, gateway) if settings.exchange.embedded_tiers else {}
    app.state.embedded_gateways = {g.gateway_id: g for g in tiers.values()}
    app.add_middleware(GatewayRouter, gateway=gateway, tiers=tiers)
    # What the server runs: the gateway in front of the whole application, so its hot path skips
    # the framework's middleware stack (the middleware above serves in-process and test calls).
    app.state.asgi_front = GatewayRouter(app, gateway, tiers)


def jobs(app: FastAPI) -> list[Job]:
    gateway: Gateway = app.state.gateway
    ctx = getattr(app.state, "signing", None)
    tiers: list[Gateway] = list(app.state.embedded_gateways.values())
    jobs = [
        Job(f"seal-message-log-{g.gateway_id}", g.config.seal_interval_seconds, _sealer(g)) for g in tiers
    ]
    jobs.append(Job("seal-message-log", gateway.config.seal_interval_seconds, lambda: gateway.seal(ctx)))
    jobs += [
        Job(f"announce-{g.gateway_id}", processes.HEARTBEAT_SECONDS, g.announce, at_start=True)
        for g in [gateway, *tiers]
    ]
    config = gateway.config
    if config.archive_dir is not None:
        archive_dir = config.archive_dir

        def archive_old() -> None:
            older_than = datetime.now(UTC) - timedelta(days=config.log_retention_days)
            logstore.archive(gateway.db, archive_dir, older_than=older_than)

        jobs.append(Job("archive-message-log", 3600, archive_old))
    return jobs


def _sealer(gateway: Gateway) -> Callable[[], None]:
    return lambda: gateway.seal(None)


async def shutdown(app: FastAPI) -> None:
    await close_clients(app)  # components' own clients of the exchange (identity → population registry)
    for gateway in [app.state.gateway, *app.state.embedded_gateways.values()]:
        await gateway.aclose()
        gateway.stop()


COMPONENT = ComponentSpec(
    name="exchange",
    framework_numbers=(6, 7),
    title_vi="Nền tảng tích hợp, chia sẻ dữ liệu",
    title_en="Data integration and sharing platform",
    migrations=HERE / "migrations",
    partial=True,  # the performance targets are not met yet (docs/exchange.md, Performance)
    api_router=api.router,
    extra_routers=(demo.router, manage.router),
    views_router=views.router,
    templates=HERE / "templates",
    nav=(
        ("/exchange", "Danh bạ trao đổi dữ liệu", "Data exchange directory"),
        ("/exchange/log", "Nhật ký trao đổi", "Message log"),
        ("/exchange/manage", "Quản trị kết nối", "Exchange administration"),
    ),
    seed=seed,
    setup=setup,
    jobs=jobs,
    shutdown=shutdown,
    cli=cli.app,
)
