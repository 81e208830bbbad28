"""Use case: what `arabesque serve` needs before it listens: the database, migrated and seeded.

The database is opened with the key for secrets at rest (`app/master_key.py`): `ARABESQUE_SECRET_KEY`, or on
SQLite the data directory's key file; on PostgreSQL without the variable `MasterKeyError` stops the
process before it does anything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from arabesque.app.bootstrap import FirstStart, bootstrap
from arabesque.app.master_key import load_master_keys
from arabesque.store import Database, data_dir, database_url

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
    url = database_url()
    keys = load_master_keys(url, data_dir())
    db = Database(url, secret_box=keys.secret_box())
    if seed:
        first = bootstrap(db, examples_dir())
    else:
        if migrate:
            db.upgrade()
        first = None
    return Service(db=db, files_dir=data_dir() / "files", first_start=first)
