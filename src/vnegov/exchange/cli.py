"""`vnegov exchange ...`: seal and verify the message log."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from vnegov.bootstrap import open_database
from vnegov.exchange import logstore
from vnegov.kernel.context import Principal
from vnegov.kernel.settings import get_settings
from vnegov.signing.context import SigningContext

app = typer.Typer(help="Data exchange: the tamper-evident message log.", no_args_is_help=True)
console = Console()


@app.command("verify-log")
def verify_log() -> None:
    """Stream the message log and its seals; name every edited, deleted or reordered record.

    Exit code 0 when the log is intact, 1 when anything is wrong.
    """
    report = logstore.verify(open_database(), SigningContext.from_settings(get_settings()))
    for line in report.lines():
        console.print(line, markup=False, highlight=False)
    raise typer.Exit(0 if report.ok else 1)


@app.command("seal-log")
def seal_log(
    operator: Annotated[str, typer.Option(help="Agency whose seal signs the chain head")] = "G22",
) -> None:
    """Sign and time-stamp the records written since the last seal."""
    principal = Principal(subject="system:exchange", agency_code=operator)
    seal = logstore.seal_pending(open_database(), SigningContext.from_settings(get_settings()), principal)
    console.print(f"sealed {seal.first_sequence}–{seal.last_sequence}" if seal else "nothing to seal")
