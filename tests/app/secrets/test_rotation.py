"""`arabesque secrets rotate-key`: every secret re-sealed with the current key, once; old keys retired."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from arabesque.app.access.principal import Principal
from arabesque.app.secrets.master_key import MasterKeys, read_key_file, replace_key_file, sealing_key
from arabesque.app.secrets.project_secrets import project_secret, set_project_secret
from arabesque.app.secrets.rotation import rotate_key
from arabesque.app.webhooks.subscriptions import create_subscription
from arabesque.cli import app
from arabesque.cli.bootstrap import create_tenant
from arabesque.cli.serve import open_service
from arabesque.settings import read_settings
from arabesque.store import Database
from arabesque.store.sealed import SecretKeyError, key_id_of
from service_fixtures import SECRET_BOX, TEST_SECRET_KEY, Tenant

NEW_KEY = "the-new-master-key-for-rotation-tests-0000000"


def _stored(db: Database) -> list[str]:
    with db.read() as s:
        values = list(s.scalars(text("SELECT value FROM project_secret")))
        values += list(s.scalars(text("SELECT secret FROM webhook_subscription")))
    return sorted(str(v) for v in values)


def _subscription_secret(box_db: Database, sub_id: str, stored_db: Database) -> str:
    with stored_db.read() as s:
        sealed = s.scalar(text("SELECT secret FROM webhook_subscription WHERE id = :id"), {"id": sub_id})
    return box_db.secret_box.open(str(sealed), f"webhook_subscription:{sub_id}")


def test_rotation_with_the_variables_reseals_every_secret_once(db: Database, tenant: Tenant, tmp_path: Path) -> None:
    set_project_secret(db, tenant.who, "VENDOR_KEY", "vendor-value")
    sub = create_subscription(db, tenant.who, "https://example.com/hook", ["workflow.completed"])
    new_only = Database(db.url, secret_box=MasterKeys(NEW_KEY).secret_box())
    try:
        with pytest.raises(SecretKeyError, match=SECRET_BOX.key_id):  # not yet: sealed with the old key
            project_secret(new_only, tenant.project_id, "VENDOR_KEY")

        # a key that is neither current nor previous stops the rotation; nothing changes
        before = _stored(db)
        with pytest.raises(SecretKeyError, match=SECRET_BOX.key_id):
            rotate_key(db.url, tmp_path, NEW_KEY)
        assert _stored(db) == before

        report = rotate_key(db.url, tmp_path, NEW_KEY, [TEST_SECRET_KEY])
        assert (report.resealed, report.unchanged, report.key_file) == (2, 0, None)
        assert report.key_id == sealing_key(NEW_KEY).key_id
        assert {key_id_of(v) for v in _stored(db)} == {report.key_id}
        assert project_secret(new_only, tenant.project_id, "VENDOR_KEY") == "vendor-value"
        assert _subscription_secret(new_only, sub["id"], db) == sub["secret"]

        again = rotate_key(db.url, tmp_path, NEW_KEY, [TEST_SECRET_KEY])  # idempotent
        assert (again.resealed, again.unchanged) == (0, 2)
        # the old key alone no longer opens anything: an error naming the key, not a plain-text fallback
        with pytest.raises(SecretKeyError, match=report.key_id):
            project_secret(db, tenant.project_id, "VENDOR_KEY")
    finally:
        new_only.dispose()
    assert not list(tmp_path.glob("secret_key*"))  # with the variable, no key file


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_rotation_of_the_embedded_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("ARABESQUE_DATA_DIR", str(data))
    for name in ("ARABESQUE_DATABASE_URL", "ARABESQUE_SECRET_KEY", "ARABESQUE_PREVIOUS_SECRET_KEYS"):
        monkeypatch.delenv(name, raising=False)
    service = open_service(read_settings(), seed=False)
    project_id = create_tenant(service.db, "acme")
    who = Principal(project_id, "test")
    set_project_secret(service.db, who, "VENDOR_KEY", "vendor-value")
    sub = create_subscription(service.db, who, "https://example.com/hook", ["workflow.completed"])
    service.db.dispose()
    [first_key] = read_key_file(data) or []

    out = CliRunner().invoke(app, ["secrets", "rotate-key"])
    assert out.exit_code == 0, out.output
    [second_key] = read_key_file(data) or []
    assert second_key != first_key and _mode(data / "secret_key") == 0o600
    assert "generated a new key" in out.output and "re-encrypted 2 secrets" in out.output
    assert [p.name for p in data.iterdir() if "secret_key" in p.name] == ["secret_key"]  # no temporary left

    service = open_service(read_settings(), seed=False)
    try:
        assert {key_id_of(v) for v in _stored(service.db)} == {sealing_key(second_key).key_id}
        assert project_secret(service.db, project_id, "VENDOR_KEY") == "vendor-value"
        assert _subscription_secret(service.db, sub["id"], service.db) == sub["secret"]
    finally:
        service.db.dispose()

    # A rotation interrupted after writing the new key: both keys are accepted, and the next run finishes
    # that rotation (no third key).
    third_key = "k" * 64
    replace_key_file(data, [third_key, second_key])
    service = open_service(read_settings(), seed=False)
    try:
        assert project_secret(service.db, project_id, "VENDOR_KEY") == "vendor-value"
    finally:
        service.db.dispose()
    out = CliRunner().invoke(app, ["secrets", "rotate-key"])
    assert out.exit_code == 0, out.output
    assert "generated" not in out.output and "re-encrypted 2 secrets" in out.output
    assert read_key_file(data) == [third_key]
