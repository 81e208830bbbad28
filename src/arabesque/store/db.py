"""Database location, engine creation and migrations.

`ARABESQUE_DATABASE_URL` selects the database (e.g. `postgresql+psycopg://user@host/db`); without it,
SQLite at `$ARABESQUE_DATA_DIR/arabesque.db` (default directory `./arabesque-data`).

SQLite runs in WAL mode. Write transactions start with `BEGIN IMMEDIATE` (the database write lock), so
two writers never interleave; read transactions start with a plain `BEGIN`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

__all__ = ["data_dir", "database_url", "is_sqlite", "make_engine", "ping", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def data_dir(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    return Path(env.get("ARABESQUE_DATA_DIR") or "./arabesque-data")


def database_url(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ) if env is None else env
    url = env.get("ARABESQUE_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{(data_dir(env) / 'arabesque.db').resolve()}"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; for SQLite the file's directory is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 60, "check_same_thread": False},
            pool_size=10,
            max_overflow=40,
            **kwargs,
        )
        _sqlite_transactions(engine)
        return engine
    connect_args = {"connect_timeout": 5}
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=40,
        pool_timeout=60,
        connect_args=connect_args,
        **kwargs,
    )


def _sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("arabesque_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def ping(engine: Engine) -> None:
    """Raise if the database does not answer `SELECT 1`."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations up to `revision` on `engine`'s database."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
