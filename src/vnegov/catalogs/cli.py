"""`vnegov catalogs ...`: list, import and export catalogues from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from vnegov.catalogs import service
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.errors import InvalidInput

app = typer.Typer(help="Shared catalogues (danh mục dùng chung): list, import, export.", no_args_is_help=True)
console = Console()


def _db() -> Database:
    from vnegov.bootstrap import open_database

    return open_database()


@app.command("list")
def list_() -> None:
    """List the catalogues and how many codes each holds."""
    with _db().read() as session:
        table = Table("code", "name", "owner", "codes", "revision")
        for c in service.list_catalogs(session):
            table.add_row(c.code, c.name_vi, c.owner_agency, str(c.item_count), str(c.revision))
    console.print(table)


@app.command("import")
def import_(
    file: Annotated[
        Path | None, typer.Argument(help="A JSON export to load; none = the built-in public datasets")
    ] = None,
) -> None:
    """Import a catalogue export (JSON), or every built-in dataset. Idempotent."""
    if file is not None:
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read {file}: {exc}", field="file") from None
        sources = [service.source_from_export(document)]
    else:
        from vnegov.catalogs.sources.registry import ALL_SOURCES

        sources = list(ALL_SOURCES)
    db = _db()
    with _progress() as progress:
        for source in sources:
            task = progress.add_task(source.code, total=None)

            def advance(n: int, task: TaskID = task) -> None:
                progress.advance(task, n)

            with db.transaction() as session:
                summary = service.import_source(session, actor=SYSTEM, source=source, progress=advance)
            done = progress.tasks[task].completed or 1
            progress.update(task, total=done, completed=done)
            console.print(f"{source.code}: {summary}")


@app.command("export")
def export(
    code: Annotated[str, typer.Argument(help="Catalogue code, e.g. admin-units")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (JSON)")],
    valid_on: Annotated[str | None, typer.Option(help="Only versions valid on YYYY-MM-DD")] = None,
) -> None:
    """Export a catalogue (metadata, item versions, crosswalk) as JSON that `import` reads back."""
    on = date.fromisoformat(valid_on) if valid_on else None
    with _db().read() as session:
        document = service.export_document(session, code, valid_on=on)
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"wrote {len(document['items'])} item versions of {code} to {out}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
