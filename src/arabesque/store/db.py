"""Engine creation and migrations.

Which database is the settings' choice (`Settings.database`: `ARABESQUE_DATABASE_URL`, else SQLite at
`$ARABESQUE_DATA_DIR/arabesque.db`), handed to `Database` by the command line.

The SQLite file is created with mode 0600 in a directory created with mode 0700; SQLite gives its `-wal` and
`-shm` files the database file's mode.

SQLite runs in WAL mode. Write transactions start with `BEGIN IMMEDIATE` (the database write lock), so
two writers never interleave; read transactions start with a plain `BEGIN`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from arabesque.store.private_files import create_private_file, make_private_dir

if TYPE_CHECKING:
    from arabesque.store.sealed import SecretBox

__all__ = [
    "RETRY_AFTER_SECONDS",
    "UNAVAILABLE_ERRORS",
    "database_unavailable",
    "is_sqlite",
    "make_engine",
    "ping",
    "upgrade",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; for SQLite the file's directory is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            make_private_dir(path.parent)
            create_private_file(path)  # before SQLite creates it with the umask's mode (usually 0644)
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


# What a client is told to wait (`Retry-After`) when the database is unavailable: a restarting server or a
# failover is usually back by then.
RETRY_AFTER_SECONDS = 5

# The exception types a database outage surfaces as (a surface registers its 503 handler for each);
# `database_unavailable` tells an outage from a bug among them.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)

# SQLite's OperationalError also reports bugs (a syntax error, a missing column); these are its outages.
_SQLITE_OUTAGES = (
    "database is locked",
    "database table is locked",
    "unable to open database",
    "disk i/o error",
    "database or disk is full",
    "attempt to write a readonly database",
)


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc`, or an exception it was raised from (`raise ... from`), says the database cannot be
    reached or cannot serve now (connection refused or lost, pool exhausted, server shutting down, serialization
    failure, SQLite busy): worth trying again later. False when the work itself is wrong (a constraint, a type,
    a bug), which trying again would only repeat."""
    seen: BaseException | None = exc
    for _ in range(8):  # a short cause chain; never a cycle
        if seen is None:
            return False
        if _outage(seen):
            return True
        seen = seen.__cause__
    return False


def _outage(exc: BaseException) -> bool:
    if isinstance(exc, DisconnectionError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        orig = exc.orig
        if orig is not None and type(orig).__module__.startswith("psycopg"):
            # psycopg's OperationalError is SQLSTATE classes 08 (connection), 40 (serialization failure,
            # deadlock), 53 (resources), 57 (operator intervention: shutdown, statement timeout), 58; its
            # InterfaceError a closed connection.
            return True
        message = str(orig if orig is not None else exc).lower()
        return any(outage in message for outage in _SQLITE_OUTAGES)
    return False


def upgrade(engine: Engine, revision: str = "head", secret_box: SecretBox | None = None) -> None:
    """Apply the Alembic migrations up to `revision` on `engine`'s database. Migrations that seal or open
    secrets (0007) use `secret_box`, the running service's own; without one they refuse rows to convert."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        cfg.attributes["secret_box"] = secret_box
        command.upgrade(cfg, revision)
    if is_sqlite(engine):
        _checkpoint(engine)


def _checkpoint(engine: Engine) -> None:
    """Copy the WAL into the database file and empty it, so pages a migration rewrote (e.g. 0007's plain-text
    secrets) do not linger in the WAL; outside any transaction, on a pooled connection."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cur.close()
    finally:
        raw.close()
