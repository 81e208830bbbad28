"""Fixtures for the service tests (store, app, api): every test runs on SQLite and on PostgreSQL.

SQLite: the schema is migrated once into a template file, copied for each test.
PostgreSQL: a private schema in the `test` database (127.0.0.1:5432, user postgres), migrated once per
session; each test starts from empty tables. In CI a missing PostgreSQL fails the tests.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from starlette.testclient import TestClient

from arabesque.app.access.principal import Principal
from arabesque.app.secrets.master_key import MasterKeys
from arabesque.store import Base, Database, upgrade

_spec = importlib.util.spec_from_file_location("_arabesque_tests_root", Path(__file__).with_name("conftest.py"))
assert _spec is not None and _spec.loader is not None
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)
missing_component = _root.missing_component
ROOT = Path(__file__).resolve().parent.parent

PG_SERVER = os.environ.get("ARABESQUE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
EXAMPLES = ROOT / "examples" / "definitions"
# The seed payload for `POST /workflows/run` (also the benchmark's and the README's).
SEED: dict[str, Any] = json.loads((ROOT / "examples" / "requests" / "run-seed.json").read_text())


# The master key of the tests' databases; processes the tests spawn get it as ARABESQUE_SECRET_KEY.
TEST_SECRET_KEY = "arabesque-tests-only-master-key-0123456789"
SECRET_BOX = MasterKeys(TEST_SECRET_KEY).secret_box()


def pg_url(schema: str) -> str:
    return f"{PG_SERVER}?options=-csearch_path%3D{schema}"


@contextmanager
def private_schema(prefix: str = "arb_test") -> Iterator[str]:
    """The URL of a new, empty schema of its own on the shared PostgreSQL (dropped afterwards). A missing
    PostgreSQL skips the test, or fails it in CI."""
    admin = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        admin.dispose()
        missing_component(f"PostgreSQL is needed at {PG_SERVER}: {type(exc).__name__}")
    try:
        yield pg_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("sqlite-template") / "template.db"
        db = Database(f"sqlite:///{template}")
        upgrade(db.engine)
        db.dispose()
        yield {"kind": "sqlite", "template": template}
        return
    with private_schema() as url:
        db = Database(url, secret_box=SECRET_BOX)
        upgrade(db.engine)
        try:
            yield {"kind": "postgresql", "db": db}
        finally:
            db.dispose()


@pytest.fixture
def db(backend: dict[str, Any], tmp_path: Path) -> Iterator[Database]:
    if backend["kind"] == "sqlite":
        path = tmp_path / "arabesque.db"
        shutil.copy(backend["template"], path)
        database = Database(f"sqlite:///{path}", secret_box=SECRET_BOX)
        yield database
        database.dispose()
        return
    database = backend["db"]
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    yield database


@dataclass(frozen=True)
class Tenant:
    project_id: str
    key: str
    who: Principal

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def make_tenant(db: Database, name: str, with_examples: bool = True) -> Tenant:
    from arabesque.app.access.api_keys import create_api_key
    from arabesque.app.definitions.create_definition import insert_definition
    from arabesque.cli.bootstrap import create_tenant

    project_id = create_tenant(db, name)
    if with_examples:
        with db.write() as s:
            for path in sorted(EXAMPLES.glob("*.json")):
                insert_definition(s, project_id, json.loads(path.read_text()), created_by="test")
    created = create_api_key(db, project_id, name="test")
    return Tenant(project_id, created.key, Principal(project_id, f"api-key:{created.prefix}"))


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return make_tenant(db, "acme")


@pytest.fixture
def other_tenant(db: Database) -> Tenant:
    return make_tenant(db, "globex")


@pytest.fixture
def client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    from arabesque.asgi import create_app

    with TestClient(create_app(db, tmp_path / "files"), raise_server_exceptions=False) as c:
        yield c


@contextmanager
def statements(db: Database, this_thread_only: bool = False) -> Iterator[list[str]]:
    """The statements sent through `db` inside the block (not SQLite's own `BEGIN`), as the engine's
    `before_cursor_execute` listeners see them; with `this_thread_only`, those of the calling thread."""
    seen: list[str] = []
    me = threading.get_ident()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if (not this_thread_only or threading.get_ident() == me) and not statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
