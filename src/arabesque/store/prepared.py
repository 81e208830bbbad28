"""Statements compiled once per dialect, run on the driver's cursor when no one listens.

The run and event paths issue a handful of fixed statements per request. Through SQLAlchemy's
`Connection.execute` each one is cache-keyed, wrapped in an execution context and its rows in `Row` objects
built from the cursor's `description` (which psycopg rebuilds column by column on every access): about
60-120 µs of CPU per statement above the driver, measured for the runtime's lock and update (bench/README.md).
A `Prepared` statement is built once with SQLAlchemy Core (so it is portable and typed by the same table
metadata) and compiled once per dialect. It runs in the caller's transaction, with SQLAlchemy's bind and
result processors for each column type (JSON, timestamps on SQLite); psycopg prepares it server-side after a
few runs.

Two ways to run it, with the same rows and the same errors:

- when the engine or connection has cursor-level listeners (`before_cursor_execute`, `after_cursor_execute`,
  `handle_error`: statement counts in tests, tracing as OpenTelemetry or Sentry install it),
  `Connection.exec_driver_sql`: SQLAlchemy's own execution, with a real execution context, every event and
  every listener's return value honoured;
- otherwise straight on the DBAPI cursor of the connection, where no one can tell the difference. Driver
  errors are then wrapped as SQLAlchemy wraps them (`IntegrityError`, `OperationalError`, ...), and a dead
  connection is invalidated so the pool replaces it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Table, bindparam, insert
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.expression import Executable

__all__ = ["Prepared", "PreparedInsert", "table"]

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # bind names in order for `?` paramstyles, None for named ones
    fixed: dict[str, Any]  # the values of the binds the statement itself gives (`status == "active"`, `limit(1)`)
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # (name, processor) for the binds that need one
    returns_rows: bool  # a SELECT or RETURNING (psycopg builds `cur.description` anew on each access)
    results: tuple[Processor, ...] | None  # a processor (or None) per result column; None when none needs one


def table(model: type[Any]) -> Table:
    """A mapped class's table, typed as one (declarative types `__table__` as any `FromClause`)."""
    return cast(Table, model.__table__)


class Prepared:
    """`stmt` (with named `bindparam`s), ready to run on a connection of any of our dialects."""

    def __init__(self, stmt: Executable) -> None:
        self.stmt = stmt
        self._by_dialect: dict[str, _Compiled] = {}

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Execute with `params`; the rows (result columns processed), `[]` for a statement without any."""
        c = self._compiled(conn.dialect)
        args = self._params(c, params)
        if _listened(conn):
            result = conn.exec_driver_sql(c.sql, args)
            rows: Sequence[Sequence[Any]] = result.fetchall() if c.returns_rows else []
        else:
            rows = _on_cursor(conn, c, args)
        if c.results is not None:
            procs = c.results
            return [tuple(v if p is None else p(v) for p, v in zip(procs, row, strict=True)) for row in rows]
        return [tuple(row) for row in rows]

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        rows = self.rows(conn, params)
        return rows[0] if rows else None

    @staticmethod
    def _params(c: _Compiled, params: Mapping[str, Any]) -> tuple[Any, ...] | Mapping[str, Any]:
        if c.fixed:
            params = {**c.fixed, **params}
        if c.binds:
            params = dict(params)
            for name, proc in c.binds:
                params[name] = proc(params[name])
        if c.positional is not None:
            return tuple(params[name] for name in c.positional)
        return params

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.stmt.compile(dialect=dialect)  # type: ignore[attr-defined]
        binds = []
        fixed = {}
        for bind, name in compiled.bind_names.items():
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                binds.append((name, proc))
            if not bind.required:
                fixed[name] = bind.effective_value
        columns = getattr(self.stmt, "selected_columns", None) or getattr(self.stmt, "_returning", None) or ()
        results = tuple(col.type.dialect_impl(dialect).result_processor(dialect, None) for col in columns)
        positional = tuple(compiled.positiontup) if compiled.positional else None
        processed = results if any(results) else None
        return _Compiled(compiled.string, positional, fixed, tuple(binds), bool(columns), processed)


class PreparedInsert:
    """An INSERT of any number of rows as one multi-row `VALUES` statement: one statement and round trip
    for a use case's rows (a psycopg `executemany` enters pipeline mode, which costs more for a few rows).
    Compiled per row count up to `batch`; more rows go in batches."""

    def __init__(self, into: Table, columns: Sequence[str], batch: int = 16) -> None:
        self.table, self.columns, self.batch = into, tuple(columns), batch
        self._by_count: dict[int, Prepared] = {}

    def rows(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        for start in range(0, len(rows), self.batch):
            chunk = rows[start : start + self.batch]
            params = {f"{c}_{i}": row[c] for i, row in enumerate(chunk) for c in self.columns}
            self._statement(len(chunk)).rows(conn, params)

    def _statement(self, count: int) -> Prepared:
        found = self._by_count.get(count)
        if found is None:
            values = [
                {c: bindparam(f"{c}_{i}", type_=self.table.c[c].type) for c in self.columns} for i in range(count)
            ]
            found = self._by_count[count] = Prepared(insert(self.table).values(values).inline())
        return found


def _listened(conn: Connection) -> bool:
    """Whether anyone listens to cursor executions on `conn` (its own listeners or its engine's)."""
    dispatch = conn.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute or conn.dialect.dispatch.handle_error)


def _on_cursor(conn: Connection, c: _Compiled, args: Any) -> list[Any]:
    dbapi_conn = conn.connection.dbapi_connection
    cur = dbapi_conn.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(c.sql, args)
        return list(cur.fetchall()) if c.returns_rows else []
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, dbapi_conn, cur, c.sql, args, exc) from exc
    finally:
        cur.close()


def _wrapped(conn: Connection, dbapi_conn: Any, cur: Any, sql: str, args: Any, exc: Exception) -> StatementError:
    """The driver's error as SQLAlchemy raises it (`IntegrityError`, `OperationalError`, ...: what
    `retrying` and the error handlers expect), with a dead connection invalidated so the pool replaces it."""
    dialect = conn.dialect
    gone = dialect.is_disconnect(exc, dbapi_conn, cur)  # type: ignore[arg-type]  # a DBAPI Error
    if gone:
        conn.invalidate(exc)
    return DBAPIError.instance(sql, args, exc, dialect.loaded_dbapi.Error, connection_invalidated=gone, dialect=dialect)
