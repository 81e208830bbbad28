"""Migration 0006 moves each user's role and status onto their memberships, on SQLite and PostgreSQL: a
database at 0005 with users and memberships, upgraded to head (and back)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from arabesque.store import Database, upgrade
from arabesque.store.db import MIGRATIONS
from service_fixtures import private_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no tables."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield db
        db.dispose()
        return
    with private_schema("arb_mig") as url:
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()


def _downgrade(db: Database, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


USERS = [  # id, roles, status, projects
    ("u-admin", ["reviewer", "admin"], "active", ["p1", "p2"]),
    ("u-viewer", ["viewer"], "disabled", ["p1"]),
    ("u-none", [], "active", ["p2"]),
    ("u-odd", ["owner"], "active", ["p1"]),
    ("u-alone", ["reviewer"], "active", []),
]


def test_roles_and_status_move_onto_the_memberships(empty: Database) -> None:
    upgrade(empty.engine, "0005")
    now = "2026-11-30 10:00:00"
    with empty.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO customer VALUES ('c1', 'c1', 'C1', '{now}')"))
        conn.execute(text(f"INSERT INTO project VALUES ('p1', 'c1', 'one', '{now}'), ('p2', 'c1', 'two', '{now}')"))
        users = sa.table(
            "app_user",
            *(sa.column(c) for c in ("id", "email", "first_name", "last_name", "password_hash", "status")),
            sa.column("roles", sa.JSON),
            sa.column("created_at", sa.DateTime(timezone=True)),
        )
        for user_id, roles, status, projects in USERS:
            conn.execute(
                users.insert().values(id=user_id, email=f"{user_id}@example.com", first_name="", last_name="",
                                      password_hash="x", roles=roles, status=status, created_at=sa.func.now())
            )  # fmt: skip
            for project in projects:
                conn.execute(text(f"INSERT INTO user_project VALUES ('{user_id}', '{project}')"))
        conn.execute(text("INSERT INTO login_failure (key, at) VALUES ('e:x@example.com', 1.0)"))

    upgrade(empty.engine)
    with empty.engine.connect() as conn:
        rows = conn.execute(text("SELECT user_id, project_id, role, status FROM user_project ORDER BY 1, 2")).all()
        tables = set(inspect(conn).get_table_names())
        user_columns = {c["name"] for c in inspect(conn).get_columns("app_user")}
    assert [tuple(r) for r in rows] == [
        ("u-admin", "p1", "admin", "active"),
        ("u-admin", "p2", "admin", "active"),
        ("u-none", "p2", "viewer", "active"),
        ("u-odd", "p1", "viewer", "active"),
        ("u-viewer", "p1", "viewer", "disabled"),
    ]
    assert "roles" not in user_columns and "status" not in user_columns
    assert {"web_session", "login_counter"} <= tables and "login_failure" not in tables
    with empty.engine.begin() as conn:  # a membership added later gets the least role unless told otherwise
        conn.execute(text("INSERT INTO user_project (user_id, project_id) VALUES ('u-alone', 'p1')"))
        assert conn.execute(text("SELECT role, status FROM user_project WHERE user_id = 'u-alone'")).one() == (
            "viewer",
            "active",
        )

    _downgrade(empty, "0005")
    with empty.engine.connect() as conn:
        back = conn.execute(text("SELECT id, roles, status FROM app_user ORDER BY id")).all()
        tables = set(inspect(conn).get_table_names())
    roles = {user_id: (r if isinstance(r, list) else json.loads(r), s) for user_id, r, s in back}
    assert roles == {
        "u-admin": (["admin"], "active"),
        "u-alone": (["viewer"], "active"),
        "u-none": (["viewer"], "active"),
        "u-odd": (["viewer"], "active"),
        "u-viewer": (["viewer"], "disabled"),
    }
    assert "login_failure" in tables and not {"web_session", "login_counter"} & tables
