"""Retention: the worker prunes finished outbox rows, delivery attempts, idempotency records, sign-in counters
and expired sessions once they are older than their retention, in batches; the audit log is never pruned."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from definitions import install, run_body, vendor_check
from receiver import wait_for
from sqlalchemy import func, select
from starlette.testclient import TestClient

from arabesque.app.retention import Retention, prune
from arabesque.app.webhooks.subscriptions import create_subscription, list_deliveries
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.settings import read_settings
from arabesque.store import (
    Database,
    IdempotencyRecord,
    LoginCounter,
    OutboxEffect,
    RuntimeEvent,
    User,
    WebhookAttempt,
    WebSession,
    utcnow,
)
from arabesque.worker import Worker, WorkerSettings
from service_fixtures import Tenant

DAY = timedelta(days=1)


def _seed(db: Database, tenant: Tenant) -> str:
    """A runtime (with its audit log, 40 days old) and, per kind of record, old rows and recent ones; return the
    webhook subscription's id."""
    install(db, tenant.project_id, vendor_check("https://vendor.example/x"))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    sub = create_subscription(db, tenant.who, "https://hooks.example/in", ["workflow.completed"])
    now, wall = utcnow(), time.time()
    old, recent = now - 40 * DAY, now - 2 * DAY
    with db.write() as s:
        s.query(RuntimeEvent).filter(RuntimeEvent.runtime_id == rid).update({"created_at": old})
        s.query(OutboxEffect).filter(OutboxEffect.runtime_id == rid).update({"status": "done", "finished_at": old})
        for i, (status, finished) in enumerate(
            [("done", old), ("dead", old), ("done", old), ("dead", recent), ("pending", None), ("running", None)]
        ):
            s.add(
                OutboxEffect(
                    project_id=tenant.project_id,
                    runtime_id=rid,
                    lock_key=f"k{i}",
                    effect_id=f"msg_{i}",
                    effect_type="webhook",
                    plugin="workflow.completed",
                    payload={},
                    subscription_id=sub["id"],
                    status=status,
                    created_at=old,
                    finished_at=finished,
                    available_at=now + 365 * DAY,  # never due in these tests
                )
            )
        for i, at in enumerate([old, old, old, recent]):
            s.add(WebhookAttempt(project_id=tenant.project_id, outbox_pk=i, attempt=1, created_at=at))
        for i, at in enumerate([now - 2 * DAY, now - 25 * timedelta(hours=1), now - timedelta(hours=1)]):
            s.add(
                IdempotencyRecord(
                    project_id=tenant.project_id,
                    key=f"k{i}",
                    fingerprint="f",
                    status_code=200,
                    response={},
                    created_at=at,
                )
            )
        for i, at in enumerate([wall - 2 * 86400, wall - 25 * 3600, wall - 60]):
            s.add(LoginCounter(key=f"p:user{i}@example.com|127.0.0.1", count=1, since=at, updated_at=at))
        s.add(User(id="u1", email="rita@example.com", password_hash="-"))
        for i, expires in enumerate([now - DAY, now - timedelta(minutes=1), now + timedelta(hours=1)]):
            s.add(
                WebSession(token_hash=f"t{i}", user_id="u1", project_id=tenant.project_id, csrf="c", expires_at=expires)
            )
    return str(sub["id"])


def _left(db: Database) -> dict[str, Any]:
    with db.read() as s:
        return {
            "outbox": sorted(s.scalars(select(OutboxEffect.status).where(OutboxEffect.effect_type == "webhook"))),
            "plugin rows": s.scalar(select(func.count()).where(OutboxEffect.effect_type == "http")),
            "attempts": s.scalar(select(func.count()).select_from(WebhookAttempt)),
            "idempotency": sorted(s.scalars(select(IdempotencyRecord.key))),
            "sign-in counters": sorted(s.scalars(select(LoginCounter.key))),
            "sessions": sorted(s.scalars(select(WebSession.token_hash))),
            "audit": s.scalar(select(func.count()).select_from(RuntimeEvent)),
        }


KEPT = {
    "outbox": ["dead", "pending", "running"],  # the recent dead delivery, and the unfinished ones
    "plugin rows": 0,
    "attempts": 1,
    "idempotency": ["k2"],  # younger than the idempotency TTL (24 h)
    "sign-in counters": ["p:user2@example.com|127.0.0.1"],  # touched within the day the throttle remembers
    "sessions": ["t2"],  # not expired
}


def test_prune_deletes_what_is_older_than_its_retention_in_batches_and_keeps_the_audit_log(
    db: Database, tenant: Tenant
) -> None:
    _seed(db, tenant)
    audit = _left(db)["audit"]
    assert audit > 0
    deleted = prune(db, Retention(batch=2))  # several batches per table
    assert deleted == {
        "outbox_effect": 4,
        "webhook_attempt": 3,
        "idempotency_record": 2,
        "login_counter": 2,
        "web_session": 2,
    }
    assert _left(db) == {**KEPT, "audit": audit}
    assert prune(db, Retention(batch=2)) == dict.fromkeys(deleted, 0)


def test_prune_stops_between_batches_when_asked(db: Database, tenant: Tenant) -> None:
    _seed(db, tenant)
    calls: list[int] = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 1  # one batch, then stop

    deleted = prune(db, Retention(batch=1), stop=stop)
    assert sum(deleted.values()) == 1


def test_the_worker_prunes_periodically_and_a_pruned_delivery_leaves_the_log(
    db: Database, tenant: Tenant, client: TestClient
) -> None:
    sub = _seed(db, tenant)
    audit = _left(db)["audit"]
    before = {d["id"] for d in list_deliveries(db, tenant.who, sub)}
    assert {"msg_0", "msg_1"} <= before
    worker = Worker(db, WorkerSettings(concurrency=1, poll=0.5, allow_private=True, retention_interval=0.05))
    worker.start()
    try:
        wait_for(lambda: worker.retention is not None and worker.retention.runs >= 1, what="a retention run")
    finally:
        worker.stop()
    left = _left(db)
    assert left == {**KEPT, "audit": audit}  # the audit log is never pruned
    assert {d["id"] for d in list_deliveries(db, tenant.who, sub)} == before - {"msg_0", "msg_1", "msg_2"}
    gone = client.post(f"/api/v1/external/webhooks/{sub}/deliveries/msg_1/redeliver", headers=tenant.headers)
    assert gone.status_code == 404  # a dead delivery pruned after the retention can no longer be redelivered


def _worker_settings(**environ: str) -> WorkerSettings:
    return WorkerSettings.from_settings(read_settings(environ, None))


def test_retention_settings_come_from_the_settings() -> None:
    assert _worker_settings().retention.finished == timedelta(days=30)
    assert _worker_settings(ARABESQUE_RETENTION_DAYS="7").retention.finished == timedelta(days=7)
    assert _worker_settings(ARABESQUE_RETENTION_DAYS="0").retention.finished is None  # keep for ever
    settings = _worker_settings(ARABESQUE_RETENTION_INTERVAL_SECONDS="60")
    assert settings.retention_interval == 60.0 and settings.retention.idempotency == timedelta(hours=24)
    assert _worker_settings(ARABESQUE_WORKER_LEASE_GRACE_SECONDS="7").lease_grace == 7.0
