"""Prepared statements (store/prepared.py) on SQLite and PostgreSQL: the column types' conversions, one
multi-row INSERT, errors raised as SQLAlchemy raises them, a dead connection replaced, listeners told; the same
results whether they run on the driver's cursor (no listener) or through SQLAlchemy's execution (listeners)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from arabesque.store import Database, IdempotencyRecord, Prepared, PreparedInsert, table, utcnow
from service_fixtures import Tenant, statements

records = table(IdempotencyRecord)
COLUMNS = ("project_id", "key", "fingerprint", "status_code", "response", "created_at")
INSERT = Prepared(insert(records).values({c: bindparam(c) for c in COLUMNS}).inline())  # no RETURNING pk
INSERT_MANY = PreparedInsert(records, COLUMNS, batch=3)
FIND = Prepared(
    select(records.c.key, records.c.response, records.c.created_at)
    .where(records.c.project_id == bindparam("project_id"))
    .order_by(records.c.key)
)
COUNT = Prepared(select(func.count()).select_from(records).where(records.c.project_id == bindparam("project_id")))


def record(tenant: Tenant, key: str, response: Any, age: timedelta = timedelta(0)) -> dict[str, Any]:
    return {
        "project_id": tenant.project_id,
        "key": key,
        "fingerprint": "f" * 64,
        "status_code": 200,
        "response": response,
        "created_at": utcnow() - age,
    }


@pytest.mark.parametrize("listened", [False, True], ids=["on the cursor", "through SQLAlchemy"])
def test_json_and_timestamps_come_back_as_python_values(db: Database, tenant: Tenant, listened: bool) -> None:
    written = record(tenant, "a", {"name": "Zoë", "n": [1, 2.5, None, True], "nested": {"x": {}}})
    with statements(db) if listened else nullcontext([]) as seen:
        with db.write() as s:
            assert INSERT.rows(s.connection(), written) == []
        with db.read() as s:
            rows = FIND.rows(s.connection(), {"project_id": tenant.project_id})
    assert len(seen) == (2 if listened else 0)
    assert [(key, response) for key, response, _ in rows] == [("a", written["response"])]
    created = rows[0][2]
    assert created.replace(tzinfo=None) == written["created_at"].replace(tzinfo=None)
    with db.read() as s:
        assert FIND.first(s.connection(), {"project_id": "no such project"}) is None


@pytest.mark.parametrize("count", [1, 3, 7])
def test_prepared_insert_writes_every_row_in_batches(db: Database, tenant: Tenant, count: int) -> None:
    rows = [record(tenant, f"k{i}", {"i": i}) for i in range(count)]
    with db.write() as s:
        INSERT_MANY.rows(s.connection(), rows)
    with db.read() as s:
        found = FIND.rows(s.connection(), {"project_id": tenant.project_id})
        assert COUNT.first(s.connection(), {"project_id": tenant.project_id}) == (count,)
    assert [(key, response) for key, response, _ in found] == [(r["key"], r["response"]) for r in rows]


def test_a_constraint_violation_is_sqlalchemys_integrity_error_and_rolls_back(db: Database, tenant: Tenant) -> None:
    with db.write() as s:
        INSERT.rows(s.connection(), record(tenant, "dup", {}))
    with pytest.raises(IntegrityError), db.write() as s:  # what `retrying` catches to run a use case again
        INSERT.rows(s.connection(), record(tenant, "other", {}))
        INSERT.rows(s.connection(), record(tenant, "dup", {}))
    with db.read() as s:
        assert [r[0] for r in FIND.rows(s.connection(), {"project_id": tenant.project_id})] == ["dup"]


def test_before_cursor_execute_listeners_see_each_statement(db: Database, tenant: Tenant) -> None:
    with db.write() as s, statements(db) as seen:
        INSERT_MANY.rows(s.connection(), [record(tenant, f"k{i}", {}) for i in range(5)])  # batches of 3
    assert [stmt.split()[:3] for stmt in seen] == [["INSERT", "INTO", "idempotency_record"]] * 2


def test_a_connection_that_died_is_invalidated_and_replaced(db: Database, tenant: Tenant) -> None:
    if db.sqlite:
        pytest.skip("an embedded SQLite connection cannot be terminated from outside")
    with pytest.raises(OperationalError) as raised, db.write() as s:
        pid = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        COUNT.rows(s.connection(), {"project_id": tenant.project_id})
    assert raised.value.connection_invalidated
    with db.write() as s:  # the pool hands out a new connection
        assert COUNT.first(s.connection(), {"project_id": tenant.project_id}) == (0,)
