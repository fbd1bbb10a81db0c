"""`vnegov signing ...`: create the PKI, check it, republish CRLs."""

from __future__ import annotations

import typer
from rich.console import Console

from vnegov.bootstrap import open_database
from vnegov.kernel.settings import get_settings
from vnegov.signing import diagnostics, service
from vnegov.signing.context import SigningContext

app = typer.Typer(help="Electronic transactions: PKI, CRL, OCSP, time-stamps.", no_args_is_help=True)
console = Console()


@app.command()
def init() -> None:
    """Create the CA hierarchy, OCSP responders and TSA if this instance has none (idempotent)."""
    ctx = SigningContext.from_settings(get_settings())
    with open_database().transaction() as session:
        created = service.ensure_pki(session, ctx)
    console.print("PKI created" if created else "PKI already exists")


@app.command()
def check() -> None:
    """Run the diagnostics: CAs, CRLs, OCSP, TSA, clocks. Exit code 1 if anything is wrong."""
    report = diagnostics.run(open_database(), SigningContext.from_settings(get_settings()))
    for c in report.checks:
        console.print(f"[{'green' if c.ok else 'red'}]{'ok ' if c.ok else 'BAD'}[/] {c.name}: {c.detail}")
    raise typer.Exit(0 if report.ok else 1)


@app.command("refresh-crls")
def refresh_crls() -> None:
    """Republish every CRL that is due."""
    refreshed = service.refresh_crls(open_database(), SigningContext.from_settings(get_settings()))
    console.print(f"refreshed: {', '.join(refreshed) or 'none due'}")
