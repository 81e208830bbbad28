"""Sessions: one `Database` per process, write and read transactions, row locks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session, sessionmaker

from arabesque.observability.tracing import transaction_span
from arabesque.store.db import is_sqlite, make_engine, ping, upgrade
from arabesque.store.sealed import SecretBox, SecretKeyMissing
from arabesque.store.transaction import Transaction

__all__ = ["Database", "for_update"]

S = TypeVar("S", bound=Select[Any])


class Database:
    """The engine and its kinds of transaction.

    `transaction()` is the unit of work of the use cases that change runtimes (`store/transaction.py`): the
    use case commits it explicitly, leaving it otherwise rolls back. `write()` and `read()` are ORM sessions for
    the others: leaving the block commits, an exception rolls back. Write transactions take the database's
    write lock up front on SQLite (`BEGIN IMMEDIATE`); on PostgreSQL they are ordinary transactions with
    `FOR UPDATE` row locks where needed (`for_update`).

    With tracing on, each transaction opened within a request or an effect attempt is a span named for the use
    case that opened it (`observability/tracing.py`).

    It also carries the `SecretBox` that seals and opens the project's secrets (`app/secrets/master_key.py` makes it
    from the master key): the use cases that read or write secrets get it from here, explicitly
    (`db.secret_box`). A database opened without one works for everything else.
    """

    def __init__(self, url: str, secret_box: SecretBox | None = None) -> None:
        self.url = url
        self._secret_box = secret_box
        self.engine = make_engine(url)
        self.sqlite = is_sqlite(self.engine)
        self._write_engine = self.engine.execution_options(arabesque_write=True)
        self._write = sessionmaker(bind=self._write_engine, expire_on_commit=False)
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def secret_box(self) -> SecretBox:
        if self._secret_box is None:
            raise SecretKeyMissing(
                "this process has no key for secrets at rest (ARABESQUE_SECRET_KEY, or on SQLite the data "
                "directory's secret_key): open the database through open_service()"
            )
        return self._secret_box

    def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations; those that seal secrets use this database's key."""
        upgrade(self.engine, revision, secret_box=self._secret_box)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A write transaction for a use case to commit: `with db.transaction() as tx: ...; tx.commit()`."""
        with transaction_span("write"), Transaction(self._write_engine) as tx:
            yield tx

    @contextmanager
    def write(self) -> Iterator[Session]:
        with transaction_span("write"), self._write() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with transaction_span("read"), self._read() as session, session.begin():
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
