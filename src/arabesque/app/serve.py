"""Use case: what `arabesque serve` needs before it listens: the database, migrated and seeded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from arabesque.app.bootstrap import FirstStart, bootstrap
from arabesque.store import Database, data_dir, database_url, upgrade

__all__ = ["Service", "examples_dir", "open_service"]


@dataclass(frozen=True)
class Service:
    db: Database
    files_dir: Path
    first_start: FirstStart | None


def examples_dir() -> Path | None:
    """`./examples/definitions`, else the one in the source checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = base / "examples" / "definitions"
        if candidate.is_dir():
            return candidate
    return None


def open_service(seed: bool = True, migrate: bool = True) -> Service:
    """Open the configured database and apply migrations (unless not `migrate`: a process of
    `serve --workers N`, whose supervisor migrated it); with `seed`, seed an empty database."""
    db = Database(database_url())
    if seed:
        first = bootstrap(db, examples_dir())
    else:
        if migrate:
            upgrade(db.engine)
        first = None
    return Service(db=db, files_dir=data_dir() / "files", first_start=first)
