"""Sessions: one `Database` per process, write and read transactions, row locks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session, sessionmaker

from arabesque.store.db import is_sqlite, make_engine, ping

__all__ = ["Database", "for_update"]

S = TypeVar("S", bound=Select[Any])


class Database:
    """The engine and its two kinds of transaction.

    `write()` takes the database's write lock up front on SQLite (`BEGIN IMMEDIATE`); on PostgreSQL it is
    an ordinary transaction in which `for_update` adds `FOR UPDATE` row locks. Leaving the block commits;
    an exception rolls back.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sqlite = is_sqlite(self.engine)
        self._write = sessionmaker(bind=self.engine.execution_options(arabesque_write=True), expire_on_commit=False)
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def ping(self) -> None:
        ping(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def for_update(session: Session, stmt: S) -> S:
    """`stmt` with a row lock on PostgreSQL; SQLite's write transaction already holds the database lock."""
    if session.get_bind().dialect.name == "sqlite":
        return stmt
    return stmt.with_for_update()
