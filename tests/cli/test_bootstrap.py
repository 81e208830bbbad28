"""First start seeds the database once; the CLI commands around it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from arabesque.app.access.api_keys import authenticate
from arabesque.app.definitions.queries import list_definitions
from arabesque.cli import app
from arabesque.cli.bootstrap import bootstrap
from arabesque.store import Database, UiDefinition, User
from service_fixtures import EXAMPLES


def test_first_start_seeds_once(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    first = bootstrap(db, EXAMPLES)
    assert first is not None
    assert set(first.definitions) == {
        "till_basic_kyb_demo",
        "kyc_document_review",
        "kyb_with_ubos_demo",
        "kyc_ubo_child",
        "kyb_collection_flow_demo",
    }
    who = authenticate(db, f"Bearer {first.api_key}")
    assert who.project_id == first.project_id
    assert list_definitions(db, who, 1, 10)["meta"]["total"] == 5
    with db.read() as s:  # the demo's collection flow comes with it, per definition version
        assert s.scalars(select(UiDefinition.name)).all() == ["kyb_collection_flow_demo"]
    with db.read() as s:
        user = s.scalars(select(User)).one()
    assert user.email == first.admin_email and first.admin_password not in user.password_hash
    assert bootstrap(db, EXAMPLES) is None  # second start: nothing new, nothing printed
    db.dispose()


def test_cli_db_upgrade_and_api_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARABESQUE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ARABESQUE_DATABASE_URL", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "arabesque.db").is_file()
    result = runner.invoke(app, ["api-keys", "create"])
    assert result.exit_code == 1  # no project yet
    db = Database(f"sqlite:///{tmp_path / 'data' / 'arabesque.db'}")
    assert bootstrap(db, None) is not None
    result = runner.invoke(app, ["api-keys", "create", "--project", "default", "--name", "ci"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert authenticate(db, f"Bearer {key}").project_id
    result = runner.invoke(app, ["api-keys", "revoke", key.split("_")[0] + "_" + key.split("_")[1]])
    assert result.exit_code == 0, result.output
    with pytest.raises(Exception, match="revoked"):
        authenticate(db, f"Bearer {key}")
    assert runner.invoke(app, ["api-keys", "revoke", "arb_nothing"]).exit_code == 1
    db.dispose()
