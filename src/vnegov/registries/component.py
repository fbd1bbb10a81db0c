"""How the base registries plug into the platform."""

from __future__ import annotations

from pathlib import Path

from vnegov.components import ComponentSpec
from vnegov.registries import api, cli, views
from vnegov.registries.seed import seed

HERE = Path(__file__).parent

COMPONENT = ComponentSpec(
    name="registries",
    framework_numbers=(18, 19),
    title_vi="Cơ sở dữ liệu quốc gia: dân cư, đăng ký doanh nghiệp",
    title_en="National databases: population, enterprises",
    migrations=HERE / "migrations",
    partial=True,  # the GovStack shape and the benchmark are not built yet
    api_router=api.router,
    views_router=views.router,
    templates=HERE / "templates",
    nav=(("/registries", "Cơ sở dữ liệu quốc gia", "Base registries"),),
    seed=seed,
    cli=cli.app,
)
