"""The `arabesque` command line: parse the arguments, then make one call."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Arabesque: KYC/KYB workflows.")


@app.command()
def simulate(
    definition: Annotated[Path, typer.Argument(help="A workflow definition record (JSON).")],
    context: Annotated[Path | None, typer.Option(help="The initial context (JSON object).")] = None,
    state: Annotated[str | None, typer.Option(help="Start from this persisted state.")] = None,
    events: Annotated[Path | None, typer.Option(help='A JSON array of {"type", "payload"?}.')] = None,
    secrets: Annotated[
        Path | None,
        typer.Option(help="Customer secrets for {secrets.NAME} (a JSON object); none by default."),
    ] = None,
) -> None:
    """Run a definition on events and print each resulting snapshot as JSON Lines."""
    from arabesque.app.simulate import simulate_files

    raise typer.Exit(simulate_files(definition, context, state, events, secrets))


@app.command()
def version() -> None:
    """Print the version."""
    from arabesque import __version__

    typer.echo(__version__)

