"""How the data exchange plugs into the platform (so far: its registry; the gateway comes later)."""

from __future__ import annotations

from pathlib import Path

from vnegov.components import ComponentSpec
from vnegov.exchange import api, cli
from vnegov.exchange.seed import seed

HERE = Path(__file__).parent

COMPONENT = ComponentSpec(
    name="exchange",
    framework_numbers=(6, 7),
    title_vi="Nền tảng tích hợp, chia sẻ dữ liệu",
    title_en="Data integration and sharing platform",
    migrations=HERE / "migrations",
    partial=True,  # the registry runs; the gateway, message log storage and federation come next
    api_router=api.router,
    seed=seed,
    cli=cli.app,
)
