"""The `arabesque` command line and what only it does: open the service (`serve.py`), seed a new installation
(`bootstrap.py`), run a definition offline (`simulate.py`), run a standalone worker (`worker.py`).

- `commands.py` — the Typer application: parse the arguments, then make one call
- `startup.py` — what every process does first: the settings, its logs, the limits, tracing
- `serve_processes.py` — `serve` itself: one process, or a supervisor and `--workers N` processes
"""

from arabesque.cli.commands import app

__all__ = ["app"]
