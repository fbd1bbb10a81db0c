"""`vnegov exchange ...`: seal, verify and archive the message log."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vnegov.bootstrap import open_database
from vnegov.exchange import federation, logstore
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


@app.command("archive-log")
def archive_log(
    older_than_days: Annotated[int, typer.Option(min=0, help="Archive sealed records older than this")] = 90,
    to: Annotated[
        Path | None, typer.Option(help="Directory for archive files (default: exchange.archive_dir)")
    ] = None,
) -> None:
    """Move sealed records older than the retention period to a verifiable archive file."""
    settings = get_settings()
    directory = to or settings.exchange.archive_dir or settings.data_dir / "archive"
    older_than = datetime.now(UTC) - timedelta(days=older_than_days)
    result = logstore.archive(open_database(), directory, older_than=older_than)
    if result is None:
        console.print("nothing to archive")
        return
    console.print(
        f"archived records {result.first_sequence}–{result.last_sequence} ({result.records}) "
        f"to {result.path} (SHA-256 {result.sha256})"
    )


@app.command("verify-archive")
def verify_archive(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Check an archive file on its own (chain and seals) and against the database's record of it."""
    db = open_database()
    ctx = SigningContext.from_settings(get_settings())
    report = logstore.verify_archive(path, logstore.platform_trust(db, ctx))
    for line in report.lines():
        console.print(line, markup=False, highlight=False)
    known = logstore.archived_files(db)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if path.name in known and known[path.name] != digest:
        console.print(
            f"the file's SHA-256 {digest} is not the one recorded when it was written", markup=False
        )
        raise typer.Exit(1)
    raise typer.Exit(0 if report.ok else 1)


@app.command("national-ca")
def national_ca(out: Annotated[Path, typer.Option(help="Where to write the CA chain (PEM)")]) -> None:
    """Write the national CA chain that every gateway trusts (exchange.tls_ca_file). Run where the CA is."""
    federation.write_national_ca(open_database(), SigningContext.from_settings(get_settings()), out)
    console.print(f"national CA chain written to {out}")


@app.command("gateway-certificate")
def gateway_certificate(
    code: Annotated[str, typer.Argument(help="The gateway's code, e.g. VN/GOV/H24/LGSP")],
    host: Annotated[
        list[str] | None, typer.Option(help="A host name or IP address it serves on (repeatable)")
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory for gateway.crt and gateway.key")] = Path("."),
    client_system: Annotated[
        bool, typer.Option(help="A client system's certificate (tls_client) instead of a gateway's")
    ] = False,
) -> None:
    """Issue a gateway's mutual-TLS certificate from the national CA. Run where the CA is (the NDXP)."""
    serial = federation.issue_gateway_certificate(
        open_database(),
        SigningContext.from_settings(get_settings()),
        code=code,
        hosts=host or [],
        cert_path=out / "gateway.crt",
        key_path=out / "gateway.key",
        profile="tls_client" if client_system else "exchange_gateway",
    )
    console.print(
        f"certificate {serial} written to {out / 'gateway.crt'} (key: {out / 'gateway.key'}, mode 0600)"
    )
