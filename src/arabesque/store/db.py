"""Database location, engine creation and migrations.

`ARABESQUE_DATABASE_URL` selects the database (e.g. `postgresql+psycopg://user@host/db`); without it,
SQLite at `$ARABESQUE_DATA_DIR/arabesque.db` (default directory `./arabesque-data`).

SQLite runs in WAL mode. Write transactions start with `BEGIN IMMEDIATE` (the database write lock), so
two writers never interleave; read transactions start with a plain `BEGIN`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

__all__ = ["data_dir", "database_url", "is_sqlite", "make_engine", "ping", "unavailable", "upgrade"]

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
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=40,
        pool_timeout=60,
        connect_args=connect_args,
        **kwargs,
    )
    _ping_idle_connections(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 2.0


def _ping_idle_connections(engine: Engine) -> None:
    """`pool_pre_ping`, but only for a connection idle for more than `PING_AFTER_IDLE_SECONDS`.

    A busy server checks connections out continuously and would pay a `SELECT 1` round trip per
    transaction for nothing; a connection that sat in the pool (across a database restart, say) is still
    tested and replaced when dead. A connection that died within the last two seconds fails its request
    once; SQLAlchemy then invalidates the pool, so the next requests reconnect.
    """

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get("arabesque_checked_in")
        if last is not None and time.monotonic() - last > PING_AFTER_IDLE_SECONDS:
            try:
                cur = dbapi_conn.cursor()
                try:
                    cur.execute("SELECT 1")
                finally:
                    cur.close()
                dbapi_conn.rollback()
            except Exception as exc:
                raise DisconnectionError("stale pooled connection") from exc  # the pool reconnects

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["arabesque_checked_in"] = time.monotonic()


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
    """Raise if the database does not answer `SELECT 1` (tried twice: a pooled connection that died is
    replaced by the first failure)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        if not exc.connection_invalidated:
            raise
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def unavailable(exc: BaseException) -> bool:
    """Whether `exc`, or an exception it was raised from (`raise ... from`), says the database cannot do the work
    now (connection refused or lost, server shutting down, pool exhausted, database locked, serialization
    failure) rather than that the work itself is wrong (a constraint, a type, a bug): the first is worth trying
    again later, the second is not."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__
    return False


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations up to `revision` on `engine`'s database."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
