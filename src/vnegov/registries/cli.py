"""`vnegov registries ...`: synthetic data for the population and enterprise registries."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from vnegov.bootstrap import open_database
from vnegov.registries import synthetic

app = typer.Typer(help="Base registries: synthetic population and enterprises.", no_args_is_help=True)
console = Console()


@app.command("generate")
def generate(
    citizens: Annotated[int, typer.Option(min=0, help="Citizens to add, in households")] = 10_000,
    enterprises: Annotated[int, typer.Option(min=0, help="Enterprises to add")] = 1_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed makes the same people")] = 1,
) -> None:
    """Add realistic synthetic citizens (families, households, residences over today's communes) and
    enterprises whose representatives are among them. 1,000,000 citizens load in minutes on PostgreSQL."""
    db = open_database()
    with db.read() as session:
        communes = synthetic.current_communes(session)
    if not communes:
        console.print("no communes: load the catalogues first (vnegov up, or vnegov catalogs import)")
        raise typer.Exit(2)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        people = bar.add_task("citizens", total=citizens)
        firms = bar.add_task("enterprises", total=enterprises)
        done = {"citizens": 0}

        def advance(n: int) -> None:
            # generate() reports citizens first, then enterprises.
            if done["citizens"] < citizens:
                done["citizens"] += n
                bar.advance(people, n)
            else:
                bar.advance(firms, n)

        result = synthetic.generate(
            db, citizens=citizens, enterprises=enterprises, communes=communes, seed=seed, progress=advance
        )
    console.print(
        f"added {result.citizens} citizens in {result.households} households and "
        f"{result.enterprises} enterprises in {result.seconds:.1f} s"
    )
