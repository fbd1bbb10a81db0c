"""`vnegov`: start the platform, migrate, seed, and each component's own commands.

Exit codes: 0 success, 1 unexpected error, 2 invalid input, 3 not found, 4 conflict,
5 not authenticated / not allowed, 6 an upstream system unavailable.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from vnegov import bootstrap, components, migrate
from vnegov.kernel import auth
from vnegov.kernel import logging as vlogging
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.errors import DomainError, InvalidInput, exit_code_for
from vnegov.kernel.settings import Settings, get_settings

app = typer.Typer(help="vnegov — Viet Nam's e-Government platforms, runnable.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (migrations).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for systems acting for an agency.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
console = Console(stderr=True, soft_wrap=True)  # never break a command the user may copy


def open_database() -> Database:
    return bootstrap.open_database()


def _serve(
    names: list[str] | None,
    host: str | None,
    port: int | None,
    *,
    embedded: bool,
    seed: bool,
    workers: int = 1,
) -> None:
    import os
    import tempfile

    import uvicorn

    from vnegov.app import create_app, served

    settings = get_settings()
    vlogging.configure(settings.log_level, settings.log_json)
    console.print(f"[bold]vnegov[/bold]: database {settings.resolved_database_url.split('@')[-1]}")
    if embedded:  # `vnegov up`: migrate and seed as needed, one process owns the database
        if "VNEGOV_EXCHANGE__EMBEDDED_TIERS" not in os.environ:  # show the federation: an LGSP below
            exchange = settings.exchange.model_copy(update={"embedded_tiers": True})
            settings = settings.model_copy(update={"exchange": exchange})
        db, _report = _prepare_with_progress(seed)
        creds = settings.data_dir / bootstrap.DEMO_CREDENTIALS
        if seed and creds.exists():
            console.print(f"demo API keys: {creds}")
    else:  # production: migrations are an explicit step, never raced by several starting processes
        if settings.exchange.log_writer == "auto":  # a served gateway's log: a writer process
            os.environ["VNEGOV_EXCHANGE__LOG_WRITER"] = "process"  # also for --workers' processes
            exchange = settings.exchange.model_copy(update={"log_writer": "process"})
            settings = settings.model_copy(update={"exchange": exchange})
        db = open_database()
        pending = migrate.pending_revisions(db)
        if pending:
            console.print(
                f"[red]the database needs migrating[/red] ({', '.join(sorted(pending))}): "
                "run `vnegov db upgrade` first"
            )
            raise typer.Exit(1)
    host, port = host or settings.host, port or settings.port
    shown = ", ".join(names or [c.name for c in components.available()])
    console.print(
        f"serving {shown} at http://{host}:{port} with {workers} worker(s)  "
        f"(API docs: http://{host}:{port}/api/docs)"
    )
    options = server_options(settings, names or [c.name for c in components.available()])
    if workers > 1:
        db.dispose()
        os.environ["VNEGOV_SERVE_COMPONENTS"] = ",".join(names or [])
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="vnegov-metrics-"))
        uvicorn.run(
            "vnegov.app:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_config=None,
            proxy_headers=True,
            **options,
        )
        return
    uvicorn.run(
        served(create_app(settings, component_names=names, db=db)),
        host=host,
        port=port,
        log_config=None,
        proxy_headers=True,
        **options,
    )


def server_options(settings: Settings, serving: list[str]) -> dict[str, Any]:
    """uvicorn's options for serving these components: our HTTP protocol; TLS for a gateway and for a
    registry that answers only gateways (their certificates: exchange.provider); a gateway keeps idle
    connections `exchange.keep_alive_seconds`, so that peer gateways do not shake hands again after
    every pause of uvicorn's default 5 s."""
    from vnegov.exchange.gateway.tls import server_options as tls_options
    from vnegov.kernel.serving import CorkedHttpToolsProtocol

    options: dict[str, Any] = {"http": CorkedHttpToolsProtocol}
    if {"exchange", "registries"} & set(serving):
        options.update(tls_options(settings.exchange))  # TLS brings a protocol class of its own
    if "exchange" in serving:
        options["timeout_keep_alive"] = settings.exchange.keep_alive_seconds
    return options


def _prepare_with_progress(seed: bool) -> tuple[Database, dict[str, Any] | None]:
    """Migrate and (if asked) seed, with a progress bar while reference data loads."""
    from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    settings = get_settings()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}: {task.completed} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(component: str, n: int) -> None:
            if component not in tasks:
                tasks[component] = progress.add_task(f"loading {component}", total=None)
            progress.advance(tasks[component], n)

        return bootstrap.prepare(settings, seed=seed, progress=advance)


@app.command()
def up(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    seed: Annotated[bool, typer.Option(help="Seed demo and reference data on first start")] = True,
) -> None:
    """Everything in one process (the embedded default): migrate, seed, serve all components."""
    _serve(None, host, port, embedded=True, seed=seed and get_settings().seed_demo)


@app.command()
def serve(
    component: Annotated[list[str], typer.Argument(help="Components to serve in this process")],
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (one per core)")] = 1,
    role: Annotated[
        str | None,
        typer.Option(help="Exchange gateway role: ndxp (national) or lgsp (ministry/province)"),
    ] = None,
) -> None:
    """Serve a subset of components (production: one or a few per process, shared PostgreSQL).

    The database must be migrated first (`vnegov db upgrade`); nothing is seeded. With
    `exchange.tls_cert_file` set, the gateway serves HTTPS and asks peers for their certificates.
    """
    try:
        components.select(component)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="COMPONENT") from None
    if role is not None:
        if role not in ("ndxp", "lgsp"):
            raise typer.BadParameter("ndxp or lgsp", param_hint="--role")
        os.environ["VNEGOV_EXCHANGE__ROLE"] = role
        get_settings.cache_clear()
    _serve(component, host, port, embedded=False, seed=False, workers=workers)


@db_app.command("upgrade")
def db_upgrade(target: Annotated[str, typer.Argument()] = "heads") -> None:
    """Apply migrations (all components' heads by default)."""
    migrate.upgrade(open_database(), target)
    console.print("database is up to date")


@db_app.command("downgrade")
def db_downgrade(
    target: Annotated[str, typer.Argument(help="Revision, or 'base' to drop everything")],
) -> None:
    """Revert migrations down to TARGET."""
    migrate.downgrade(open_database(), target)
    console.print(f"downgraded to {target}")


@db_app.command("current")
def db_current() -> None:
    """Show the applied revisions and whether any are pending."""
    db = open_database()
    pending = migrate.pending_revisions(db)
    print("applied:", ", ".join(sorted(migrate.applied_revisions(db))) or "none")
    print("pending: " + ", ".join(sorted(pending)) if pending else "up to date")


@app.command()
def seed() -> None:
    """Migrate, then load demo and reference data (idempotent)."""
    _db, report = _prepare_with_progress(seed=True)
    for name, summary in (report or {}).items():
        console.print(f"{name}: {summary}")


@keys_app.command("create")
def keys_create(
    agency: Annotated[str, typer.Option(help="Agency code the key acts for")],
    name: Annotated[str, typer.Option(help="What the key is for")],
    admin: Annotated[bool, typer.Option(help="Grant the platform-admin role")] = False,
) -> None:
    """Create an API key; the secret is printed once. The agency must be in the agencies catalogue."""
    from vnegov.catalogs import service as catalogs
    from vnegov.catalogs.errors import CatalogNotFound

    db = open_database()
    with db.read() as session:
        try:
            known = catalogs.get_item(session, "agencies", agency) is not None
        except CatalogNotFound:
            known = True  # no catalogue loaded yet (a bare instance): nothing to check against
    if not known:
        raise InvalidInput(
            f"'{agency}' is not a current agency code (see /catalogs/agencies)", field="agency"
        )
    with db.transaction() as session:
        key = auth.create_key(
            session, actor=SYSTEM, agency_code=agency, name=name, roles=("platform-admin",) if admin else ()
        )
    print(key.token)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument()]) -> None:
    """Revoke an API key by its id (the part after `vng_`)."""
    with open_database().transaction() as session:
        auth.revoke_key(session, actor=SYSTEM, key_id=key_id)
    console.print(f"revoked {key_id}")


for _component in components.available():
    if _component.cli is not None:
        app.add_typer(_component.cli, name=_component.name)


def main() -> None:
    """Entry point: usage errors exit 2 (typer's own handling); domain errors exit with their code."""
    try:
        app()
    except DomainError as exc:
        console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
        sys.exit(exit_code_for(exc))


if __name__ == "__main__":
    main()
