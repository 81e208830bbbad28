"""Use case: what `arabesque serve` needs before it listens: the database, migrated and seeded.

The database is opened with the key for secrets at rest (`app/secrets/master_key.py`): `ARABESQUE_SECRET_KEY`, or on
SQLite the data directory's key file; on PostgreSQL without the variable `MasterKeyError` stops the
process before it does anything."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arabesque.app.errors import InvalidInput
from arabesque.app.secrets.master_key import load_master_keys
from arabesque.cli.bootstrap import FirstStart, bootstrap
from arabesque.store import Database, data_dir, database_url

__all__ = ["TRUSTED_PROXIES_ENV", "Service", "examples_dir", "forwarded_options", "open_service"]

TRUSTED_PROXIES_ENV = "ARABESQUE_TRUSTED_PROXIES"


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


def forwarded_options(env: dict[str, str] | None = None) -> dict[str, Any]:
    """uvicorn's options for `X-Forwarded-For` / `X-Forwarded-Proto`: honoured only from the peers listed in
    `ARABESQUE_TRUSTED_PROXIES` (comma-separated addresses or CIDRs), ignored from anyone by default. uvicorn's
    own default trusts every local peer, so anything on the machine could pose as any client address (the
    sign-in throttle counts per address) or claim https."""
    env = dict(os.environ) if env is None else env
    raw = env.get(TRUSTED_PROXIES_ENV, "")
    trusted, errors = [], []
    for entry in (e.strip() for e in raw.split(",")):
        try:
            # Normalised: uvicorn takes `10.1.2.3/8` (host bits set) for a name, which never matches a peer.
            trusted.append(
                str(ipaddress.ip_network(entry, strict=False) if "/" in entry else ipaddress.ip_address(entry))
            )
        except ValueError:
            if entry:
                errors.append({"path": TRUSTED_PROXIES_ENV, "message": f"{entry!r} is not an IP address or CIDR"})
    if errors:
        raise InvalidInput(f"Invalid {TRUSTED_PROXIES_ENV}", errors)
    if not trusted:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(trusted)}
