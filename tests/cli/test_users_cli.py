"""`arabesque users` and `arabesque projects`: projects, members with a role per project, passwords printed once
alone on the last line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from arabesque.app.access.users import load_member, verify_login
from arabesque.cli import app
from arabesque.cli.bootstrap import bootstrap
from arabesque.store import Database


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("ARABESQUE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ARABESQUE_DATABASE_URL", raising=False)
    monkeypatch.delenv("ARABESQUE_USER_PASSWORD", raising=False)
    from arabesque.app.access import users  # production argon2 costs about a second per hash; tests need no such cost

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    database = Database(f"sqlite:///{(tmp_path / 'arabesque.db').resolve()}")
    bootstrap(database, None)
    yield database
    database.dispose()


def _run(*args: str) -> list[str]:
    out = CliRunner().invoke(app, list(args))
    assert out.exit_code == 0, out.output
    return out.output.strip().splitlines()


def test_users_create(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARABESQUE_USER_PASSWORD", "a long enough password")
    out = CliRunner().invoke(app, ["users", "create", "--email", "Rita@Example.com", "--role", "reviewer"])
    assert out.exit_code == 0, out.output
    assert "user rita@example.com (reviewer)" in out.output and "password" not in out.output
    member = load_member(db, verify_login(db, "rita@example.com", "a long enough password"))
    assert member is not None and member.role == "reviewer" and member.can_work and not member.is_admin
    bad = CliRunner().invoke(app, ["users", "create", "--email", "x@y.z", "--role", "owner"])
    assert bad.exit_code == 1 and "role" in bad.output


def test_a_generated_password_is_alone_on_the_last_line(db: Database) -> None:
    lines = _run("users", "create", "--email", "vic@example.com", "--role", "viewer", "--name", "Vic Tor")
    assert verify_login(db, "vic@example.com", lines[-1])
    lines = _run("users", "set-password", "--email", "vic@example.com")
    assert verify_login(db, "vic@example.com", lines[-1])


def test_projects_and_memberships_with_a_role_each(db: Database) -> None:
    acme = _run("projects", "create", "acme", "--customer", "Acme Corp")[-1]
    globex = _run("projects", "create", "globex")[-1]
    listed = json.loads(_run("projects", "list", "--json")[-1])
    assert [(p["name"], p["customer"]) for p in listed] == [
        ("default", "default"),
        ("acme", "Acme Corp"),
        ("globex", "default"),
    ]
    assert [p["id"] for p in listed][1:] == [acme, globex]
    assert any(line.startswith(f"{acme}\tacme\tAcme Corp") for line in _run("projects", "list"))
    again = CliRunner().invoke(app, ["projects", "create", "acme", "--customer", "Acme Corp"])
    assert again.exit_code == 1 and "already has a project 'acme'" in again.output

    password = _run("users", "create", "--email", "rita@example.com", "--role", "admin", "--project", "acme")[-1]
    second = _run("users", "create", "--email", "rita@example.com", "--role", "viewer", "--project", globex)
    assert second == [f"existing user rita@example.com (viewer) in project {globex}"]  # no new password
    assert verify_login(db, "rita@example.com", password)
    in_acme = json.loads(_run("users", "list", "--project", acme, "--json")[-1])
    assert in_acme == [{"email": "rita@example.com", "name": "rita@example.com", "role": "admin", "status": "active"}]
    in_globex = json.loads(_run("users", "list", "--project", "globex", "--json")[-1])
    assert [(u["email"], u["role"]) for u in in_globex] == [("rita@example.com", "viewer")]
    assert _run("users", "list", "--project", "default") == ["admin@arabesque.local\tadmin\tactive\tAdmin"]
    nowhere = CliRunner().invoke(app, ["users", "list", "--project", "nope"])
    assert nowhere.exit_code == 1 and "No project 'nope'" in nowhere.output
    unnamed = CliRunner().invoke(app, ["users", "list"])  # three projects: which one?
    assert unnamed.exit_code == 1 and "Name the project" in unnamed.output
