"""Storage: configuration, migrations against the models, constraints the use cases rely on."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from arabesque.store import (
    Base,
    Business,
    Customer,
    Database,
    Project,
    RuntimeEvent,
    WorkflowDefinition,
    WorkflowRuntime,
    for_update,
    upgrade,
)
from arabesque.store.models import TRIGRAM_INDEXES


def test_sqlite_file_and_directory_are_created(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'new' / 'a.db'}")
    upgrade(db.engine)
    upgrade(db.engine)  # idempotent
    db.dispose()
    assert (tmp_path / "new" / "a.db").is_file()


# SQLite cannot reflect expression indexes; the trigram ones are PostgreSQL-only and excluded below anyway.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        trigram = conn.dialect.name == "postgresql" and bool(
            conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
        )

        def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
            # Migration 0003 creates the search's GIN trigram indexes on PostgreSQL with pg_trgm only;
            # elsewhere the models' declarations of them (TRIGRAM_INDEXES) have nothing to match.
            return trigram or type_ != "index" or name not in TRIGRAM_INDEXES

        context = MigrationContext.configure(conn, opts={"include_object": include})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def _project(db: Database) -> str:
    with db.write() as s:
        s.add(Customer(id="c1", name="c1", display_name="C1"))
        s.flush()
        s.add(Project(id="p1", customer_id="c1", name="default"))
    return "p1"


def test_correlation_id_is_unique_per_project(db: Database) -> None:
    project = _project(db)
    with db.write() as s:
        s.add(Business(id="b1", project_id=project, correlation_id="corr", company_name="A"))
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(Business(id="b2", project_id=project, correlation_id="corr", company_name="B"))
    with db.read() as s:
        assert s.scalars(select(Business.id)).all() == ["b1"]


def test_audit_sequence_is_unique_per_runtime(db: Database) -> None:
    project = _project(db)
    with db.write() as s:
        defn = WorkflowDefinition(id="d", project_id=project, name="d", version=1, record={})
        s.add(defn)
        s.flush()
        rt = WorkflowRuntime(
            id="r1",
            project_id=project,
            definition_pk=defn.pk,
            definition_id="d",
            definition_name="d",
            definition_version=1,
            state="a",
            context={},
        )
        s.add(rt)
        s.flush()
        s.add(RuntimeEvent(runtime_id="r1", project_id=project, seq=1, kind="created", actor="t"))
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(RuntimeEvent(runtime_id="r1", project_id=project, seq=1, kind="event", actor="t"))


def test_json_columns_round_trip(db: Database) -> None:
    project = _project(db)
    data = {"nested": {"list": [1, "two", None, True], "unicode": "Zürich"}}
    with db.write() as s:
        s.add(Business(id=str(uuid.uuid4()), project_id=project, correlation_id="x", company_name="", data=data))
    with db.read() as s:
        assert s.scalars(select(Business.data)).one() == data


def test_for_update_locks_rows_on_postgresql_only(db: Database) -> None:
    with db.read() as s:
        stmt = for_update(s, select(WorkflowRuntime))
        sql = str(stmt.compile(dialect=s.get_bind().dialect))
    assert ("FOR UPDATE" in sql) == (not db.sqlite)
