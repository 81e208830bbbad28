"""The `arabesque` command line and what only it does: open the service (`serve.py`), seed a new installation
(`bootstrap.py`), run a definition offline (`simulate.py`), run a standalone worker (`worker.py`).

- `commands.py` — the Typer application: parse the arguments, then make one call
"""

from arabesque.cli.commands import app

__all__ = ["app"]
