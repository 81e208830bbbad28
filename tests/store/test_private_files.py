"""What the service writes to disk is its owner's alone: data directory 0700, database and files 0600."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from arabesque.app.files.store_file import store_file
from arabesque.store import Database, upgrade
from service_fixtures import Tenant


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_its_wal_and_its_directory_are_private(tmp_path: Path) -> None:
    data = tmp_path / "deployment" / "data"
    db = Database(f"sqlite:///{data / 'arabesque.db'}")
    try:
        upgrade(db.engine)
        with db.write() as s:  # a write, so the WAL and its index exist while the pool is open
            s.execute(text("INSERT INTO customer (id, name, display_name, created_at) VALUES ('c', 'c', 'c', '2026')"))
        modes = {p.name: _mode(p) for p in data.iterdir()}
    finally:
        db.dispose()
    assert modes == {"arabesque.db": 0o600, "arabesque.db-wal": 0o600, "arabesque.db-shm": 0o600}
    assert _mode(data) == 0o700 and _mode(data.parent) == 0o700


def test_uploaded_files_and_their_directories_are_private(db: Database, tenant: Tenant, tmp_path: Path) -> None:
    files = tmp_path / "files"
    stored = store_file(db, files, tenant.who, "passport.pdf", "application/pdf", b"%PDF-1.4 passport")
    path = files / tenant.project_id / stored["id"]
    assert path.read_bytes() == b"%PDF-1.4 passport"
    assert (_mode(files), _mode(path.parent), _mode(path)) == (0o700, 0o700, 0o600)
