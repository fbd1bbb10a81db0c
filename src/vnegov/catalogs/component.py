"""How the catalogue system plugs into the platform."""

from __future__ import annotations

from pathlib import Path

from vnegov.catalogs import api, cli, views
from vnegov.catalogs.seed import seed
from vnegov.components import ComponentSpec

HERE = Path(__file__).parent

COMPONENT = ComponentSpec(
    name="catalogs",
    framework_numbers=(15,),
    title_vi="Hệ thống danh mục điện tử dùng chung",
    title_en="Shared electronic catalogue system",
    migrations=HERE / "migrations",
    api_router=api.router,
    extra_routers=(api.dmdc,),
    views_router=views.router,
    seed=seed,
    cli=cli.app,
    templates=HERE / "templates",
    nav=(("/catalogs", "Danh mục dùng chung", "Shared catalogues"),),
)
