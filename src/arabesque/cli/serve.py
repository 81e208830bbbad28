"""Use case: what `arabesque serve` needs before it listens: the database, migrated and seeded.

The database is the settings' (`Settings.database`), opened with the key for secrets at rest
(`app/secrets/master_key.py`): `ARABESQUE_SECRET_KEY`, or on SQLite the data directory's key file; on PostgreSQL
without the variable `MasterKeyError` stops the process before it does anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arabesque.app.secrets.master_key import MasterKeys, load_master_keys
from arabesque.cli.bootstrap import FirstStart, bootstrap
from arabesque.settings import Settings
from arabesque.store import Database

__all__ = ["Service", "examples_dir", "forwarded_options", "open_service"]


@dataclass(frozen=True)
class Service:
    db: Database
    files_dir: Path
    first_start: FirstStart | None
    keys: MasterKeys


def examples_dir() -> Path | None:
    """`./examples/definitions`, else the one in the source checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = base / "examples" / "definitions"
        if candidate.is_dir():
            return candidate
    return None


def open_service(settings: Settings, seed: bool = True, migrate: bool = True) -> Service:
    """Open the settings' database and apply migrations (unless not `migrate`: a process of
    `serve --workers N`, whose supervisor migrated it); with `seed`, seed an empty database."""
    url = settings.database
    keys = load_master_keys(url, settings.data_dir, *settings.secret_keys)
    db = Database(url, secret_box=keys.secret_box())
    if seed:
        first = bootstrap(db, examples_dir())
    else:
        if migrate:
            db.upgrade()
        first = None
    return Service(db=db, files_dir=settings.files_dir, first_start=first, keys=keys)


def forwarded_options(trusted_proxies: Sequence[str]) -> dict[str, Any]:
    """uvicorn's options for `X-Forwarded-For` / `X-Forwarded-Proto`: honoured only from `trusted_proxies`
    (`ARABESQUE_TRUSTED_PROXIES`, addresses or CIDRs, checked and normalised by the settings), ignored from anyone
    by default. uvicorn's own default trusts every local peer, so anything on the machine could pose as any client
    address (the sign-in throttle counts per address) or claim https."""
    if not trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(trusted_proxies)}
