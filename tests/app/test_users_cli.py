"""`arabesque users create`: a user with a role in the only project, password printed once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from arabesque.app.bootstrap import bootstrap
from arabesque.app.users import load_member, verify_login
from arabesque.cli import app
from arabesque.store import Database


def test_users_create(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARABESQUE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ARABESQUE_DATABASE_URL", raising=False)
    db = Database(f"sqlite:///{(tmp_path / 'arabesque.db').resolve()}")
    bootstrap(db, None)
    monkeypatch.setenv("ARABESQUE_USER_PASSWORD", "a long enough password")
    out = CliRunner().invoke(app, ["users", "create", "--email", "Rita@Example.com", "--role", "reviewer"])
    assert out.exit_code == 0, out.output
    assert "user rita@example.com (reviewer)" in out.output
    member = load_member(db, verify_login(db, "rita@example.com", "a long enough password"))
    assert member is not None and member.role == "reviewer" and member.can_work and not member.is_admin
    bad = CliRunner().invoke(app, ["users", "create", "--email", "x@y.z", "--role", "owner"])
    assert bad.exit_code == 1 and "role" in bad.output
    db.dispose()
