"""The components this build of vnegov has, and how the application finds their parts.

Each component package has a `component.py` that defines `COMPONENT` (a `ComponentSpec`). The
application, the CLI and the migrations read this module; nothing else lists components.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI
    from sqlalchemy.orm import Session

    from vnegov.kernel.context import Principal
    from vnegov.kernel.db import Database
    from vnegov.kernel.jobs import Job
    from vnegov.kernel.settings import Settings


@dataclass(frozen=True)
class ComponentSpec:
    """What a component contributes to the running platform."""

    name: str
    framework_numbers: tuple[int, ...]
    title_vi: str
    title_en: str
    migrations: Path
    api_router: APIRouter | None = None
    extra_routers: tuple[APIRouter, ...] = ()
    views_router: APIRouter | None = None
    seed: Callable[[Session, Principal, Callable[[int], None] | None, Settings], Any] | None = None
    setup: Callable[[FastAPI, Settings, Database], None] | None = None  # at app creation
    jobs: Callable[[FastAPI], list[Job]] | None = None  # periodic work while the app runs
    shutdown: Callable[[FastAPI], Awaitable[None]] | None = None  # when the app stops (flush, close)
    cli: Any = None  # a typer.Typer, mounted as `vnegov <name> ...`
    templates: Path | None = None
    nav: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)  # (path, label_vi, label_en)
    partial: bool = False  # some of the component's capabilities are not built yet (the home page says so)


DEMO_SECRETS = "demo_secrets"
"""A seed's report may carry secrets it generated (demo client credentials) under this key; `vnegov up`
writes them to `data/demo-credentials.json`, never to the console or the logs."""

# In dependency order: a component comes after those it stands on.
COMPONENT_MODULES: tuple[str, ...] = (
    "vnegov.catalogs",
    "vnegov.signing",
    "vnegov.exchange",
    "vnegov.registries",
    "vnegov.identity",
)

KERNEL_MIGRATIONS = Path(__file__).parent / "kernel" / "migrations"


def load(name: str) -> ComponentSpec:
    module = importlib.import_module(
        f"{name}.component" if name.startswith("vnegov.") else f"vnegov.{name}.component"
    )
    spec: ComponentSpec = module.COMPONENT
    return spec


def available() -> list[ComponentSpec]:
    return [load(m) for m in COMPONENT_MODULES]


def select(names: list[str] | None) -> list[ComponentSpec]:
    """The components named (all when `names` is empty), or ValueError naming an unknown one."""
    every = available()
    if not names:
        return every
    by_name = {c.name: c for c in every}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown component(s): {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[n] for n in names]


def migration_locations() -> list[Path]:
    return [KERNEL_MIGRATIONS, *(c.migrations for c in available())]
