"""Project and webhook secrets at rest: sealed when written through the API, sealed by migration 0007 when
they were stored in plain text, and still usable by the worker (signatures, `{secrets.NAME}`)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from definitions import install, run_body, vendor_check
from receiver import Receiver, serve, wait_for
from sqlalchemy import select, text
from standardwebhooks import Webhook
from starlette.testclient import TestClient

from arabesque.app.access.principal import Principal
from arabesque.app.secrets.project_secrets import project_secret
from arabesque.app.workflows.queries import get_workflow
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.effects.retry import Backoff
from arabesque.store import (
    Customer,
    Database,
    Project,
    ProjectSecret,
    WebhookSubscription,
    upgrade,
)
from arabesque.store.db import MIGRATIONS
from arabesque.worker import Worker, WorkerSettings
from service_fixtures import SECRET_BOX, Tenant, private_schema

FAST = WorkerSettings(
    concurrency=2,
    lease=5.0,
    poll=0.5,
    backoff=Backoff(base=0.02, cap=0.1),
    webhook_backoff=Backoff(base=0.02, cap=0.1),
    allow_private=True,
)


def _stored(db: Database) -> list[str]:
    """The raw column values, as the database holds them."""
    with db.read() as s:
        values = list(s.scalars(text("SELECT value FROM project_secret")))
        values += list(s.scalars(text("SELECT secret FROM webhook_subscription")))
    return [str(v) for v in values]


def test_secrets_written_through_the_api_are_stored_sealed(
    db: Database, tenant: Tenant, client: TestClient, backend: dict[str, Any], tmp_path: Path
) -> None:
    plugin_secret = f"plugin-secret-{uuid.uuid4().hex}"
    put = client.put("/api/v1/external/secrets/VENDOR_KEY", headers=tenant.headers, json={"value": plugin_secret})
    assert put.status_code == 204, put.text
    created = client.post(
        "/api/v1/external/webhooks",
        headers=tenant.headers,
        json={"url": "https://example.com/hook", "events": ["workflow.completed"]},
    )
    assert created.status_code == 201, created.text
    whsec = created.json()["secret"]
    assert whsec.startswith("whsec_")
    needles = [plugin_secret.encode(), whsec.encode(), whsec[6:].encode(), base64.b64decode(whsec[6:])]

    stored = _stored(db)
    assert len(stored) == 2 and all(v.startswith("arb1:") for v in stored), stored
    assert not [n for n in needles for v in stored if n in v.encode()]
    if backend["kind"] == "sqlite":
        # Every byte the service keeps on disk: the database, its WAL (not checkpointed: the pool is still
        # open), shared memory, the key file and the files directory.
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert tmp_path / "arabesque.db-wal" in files
        leaks = [(p.name, n) for p in files for n in needles if n in p.read_bytes()]
        assert leaks == []
    # never returned by the API; the worker still gets the plain values
    listed = client.get("/api/v1/external/webhooks", headers=tenant.headers).json()
    assert "secret" not in listed[0] and whsec not in str(listed)
    assert project_secret(db, tenant.project_id, "VENDOR_KEY") == plugin_secret


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (the migration test needs one at revision 0005)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with private_schema("arb_m7") as url:
        yield url


def _plaintext_rows_at_0005(url: str, hook_url: str, plugin_secret: str, whsec: str) -> tuple[str, str]:
    """A database at revision 0005 with a project, a plain-text plugin secret and a plain-text subscription."""
    old = Database(url)
    upgrade(old.engine, "0005")
    now = datetime.now(UTC)
    project_id, subscription_id = str(uuid.uuid4()), str(uuid.uuid4())
    with old.engine.begin() as conn:
        conn.execute(Customer.__table__.insert().values(id="c1", name="acme", display_name="Acme", created_at=now))
        conn.execute(Project.__table__.insert().values(id=project_id, customer_id="c1", name="default", created_at=now))
        conn.execute(
            ProjectSecret.__table__.insert().values(
                project_id=project_id, name="VENDOR_KEY", value=plugin_secret, updated_at=now
            )
        )
        conn.execute(
            WebhookSubscription.__table__.insert().values(
                id=subscription_id,
                project_id=project_id,
                url=hook_url,
                events=["workflow.completed"],
                secret=whsec,
                description="",
                created_at=now,
            )
        )
    old.dispose()
    return project_id, subscription_id


def _revision(db: Database) -> str:
    with db.engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar())


def test_migration_0007_seals_plaintext_secrets_and_the_worker_still_uses_them(fresh_url: str) -> None:
    plugin_secret = "vendor-api-key-in-plain-text"
    whsec = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    with serve() as rx:
        project_id, subscription_id = _plaintext_rows_at_0005(fresh_url, rx.url + "/hook", plugin_secret, whsec)

        keyless = Database(fresh_url)  # a key is needed: nothing is converted without one
        with pytest.raises(RuntimeError, match="ARABESQUE_SECRET_KEY"):
            keyless.upgrade()
        assert sorted(_stored(keyless)) == sorted([plugin_secret, whsec]) and _revision(keyless) == "0005"
        keyless.dispose()

        db = Database(fresh_url, secret_box=SECRET_BOX)
        try:
            db.upgrade()
            stored = _stored(db)
            assert all(v.startswith(f"arb1:{SECRET_BOX.key_id}:") for v in stored), stored
            assert plugin_secret not in str(stored) and whsec[6:] not in str(stored)
            if fresh_url.startswith("sqlite:///"):  # nor is any copy left in the file's pages or its WAL
                files = Path(fresh_url.removeprefix("sqlite:///")).parent.iterdir()
                assert [p.name for p in files if plugin_secret.encode() in p.read_bytes()] == []
            with db.read() as s:
                sealed_secret = s.scalar(select(ProjectSecret.value))
                sealed_whsec = s.scalar(select(WebhookSubscription.secret))
            assert SECRET_BOX.open(sealed_secret, f"project_secret:{project_id}:VENDOR_KEY") == plugin_secret
            assert SECRET_BOX.open(sealed_whsec, f"webhook_subscription:{subscription_id}") == whsec

            _the_worker_signs_and_fills_secrets(db, rx, project_id, plugin_secret, whsec)

            # the downgrade opens them back to plain text with the same key
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            with db.engine.begin() as conn:
                cfg.attributes.update(connection=conn, secret_box=SECRET_BOX)
                command.downgrade(cfg, "0005")
            assert sorted(_stored(db)) == sorted([plugin_secret, whsec])
        finally:
            db.dispose()


def _the_worker_signs_and_fills_secrets(
    db: Database, rx: Receiver, project_id: str, plugin_secret: str, whsec: str
) -> None:
    record = vendor_check(rx.url + "/vendor")
    record["extensions"]["apiPlugins"][0]["headers"] = {"X-Key": "{secrets.VENDOR_KEY}"}
    install(db, project_id, record)
    who = Principal(project_id, "test")
    worker = Worker(db, FAST)
    worker.start()
    try:
        rid = run_workflow(db, who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
        wait_for(lambda: get_workflow(db, who, rid)["status"] == "completed", what="the runtime to complete")
        [hook] = wait_for(lambda: rx.on("/hook"), what="the webhook")
    finally:
        worker.stop()
    assert rx.on("/vendor")[0].headers["x-key"] == plugin_secret
    payload = Webhook(whsec).verify(hook.body, hook.headers)
    assert payload["eventName"] == "workflow.completed" and payload["workflowRuntimeId"] == rid
