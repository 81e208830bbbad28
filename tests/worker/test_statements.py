"""How many SQL statements the worker spends per effect: behaviour pinned, not timing.

A webhook delivery touches no runtime, so a batch of them costs a fixed number of statements whatever its
size: one claim transaction (candidates + `UPDATE ... RETURNING`), one secret lookup while the secrets are
not cached, and one recording transaction (one `UPDATE` per distinct outcome + one multi-row insert into the
delivery log). An HTTP plugin outcome changes its runtime, so it is one transaction per effect; its count is
pinned as an upper bound (the runtime helpers it calls are shared with the API path).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from definitions import install, run_body, vendor_check
from receiver import Receiver, serve
from sqlalchemy import select, update

from arabesque.app.outcomes.apply_http_result import apply_http_result, retry_http_later
from arabesque.app.webhooks.record_attempts import record_webhook_attempts
from arabesque.app.webhooks.subscriptions import create_subscription
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.engine import HttpOutcome
from arabesque.store import Database, OutboxEffect, WebhookAttempt, outbox
from arabesque.worker import Worker, WorkerSettings
from service_fixtures import Tenant, statements

SETTINGS = WorkerSettings(concurrency=1, lease=30.0, poll=0.5, allow_private=True)


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with serve() as receiver:
        yield receiver


def _hooks(db: Database, tenant: Tenant, rx: Receiver, n: int) -> str:
    """A runtime with nothing pending, and `n` due webhook deliveries to `rx` through one subscription."""
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    sub = create_subscription(db, tenant.who, rx.url + "/hook", ["workflow.completed"])
    with db.write() as s:
        s.execute(update(OutboxEffect).values(status="done"))
        for _ in range(n):
            eid = f"msg_{uuid.uuid4().hex}"
            s.add(
                OutboxEffect(
                    project_id=tenant.project_id,
                    runtime_id=rid,
                    lock_key=f"k:{eid}",
                    effect_id=eid,
                    effect_type="webhook",
                    plugin="workflow.completed",
                    subscription_id=sub["id"],
                    payload={"url": rx.url + "/hook", "body": {"eventName": "workflow.completed", "id": eid}},
                )
            )
    return str(sub["secret"])


def test_a_batch_of_webhook_deliveries_costs_a_fixed_number_of_statements(
    db: Database, tenant: Tenant, rx: Receiver
) -> None:
    secret = _hooks(db, tenant, rx, 24)
    worker = Worker(db, SETTINGS)
    try:
        for batch, lookups in ((12, 1), (12, 0)):  # the second batch finds the secret cached
            with statements(db, this_thread_only=True) as claim_sql:
                claimed = outbox.claim(db, worker.id, 30.0, limit=batch, window=batch)
            with statements(db, this_thread_only=True) as secret_sql:
                secrets = worker.secrets.webhook_secrets(claimed)
            with statements(db, this_thread_only=True) as send_sql:
                results = [worker.deliver(e, secrets[e.pk]) for e in claimed]
            with statements(db, this_thread_only=True) as record_sql:
                recorded = record_webhook_attempts(db, results)
            assert len(claimed) == batch and set(secrets.values()) == {secret}
            assert len(claim_sql) == 2, claim_sql
            assert len(secret_sql) == lookups, secret_sql
            assert send_sql == []
            assert len(record_sql) == 2, record_sql  # one UPDATE for the delivered rows, one insert for the log
            assert recorded == {e.pk for e in claimed}
    finally:
        worker.client.close()
    assert len(rx.on("/hook")) == 24
    with db.read() as s:
        assert set(s.scalars(select(OutboxEffect.status).where(OutboxEffect.effect_type == "webhook"))) == {"done"}
        assert len(list(s.scalars(select(WebhookAttempt)))) == 24


def test_recording_failed_deliveries_adds_a_statement_per_distinct_retry(
    db: Database, tenant: Tenant, rx: Receiver
) -> None:
    _hooks(db, tenant, rx, 6)
    rx.rule = lambda r, n: (500, {}, {}) if n <= 2 else (200, {}, {})
    worker = Worker(db, SETTINGS)
    try:
        claimed = outbox.claim(db, worker.id, 30.0, limit=6, window=6)
        secrets = worker.secrets.webhook_secrets(claimed)
        results = [worker.deliver(e, secrets[e.pk]) for e in claimed]
        with statements(db, this_thread_only=True) as record_sql:
            assert record_webhook_attempts(db, results) == {e.pk for e in claimed}
    finally:
        worker.client.close()
    assert [r.retry_in is not None for r in results] == [True, True, False, False, False, False]
    assert len(record_sql) == 2 + 2 + 1  # two retries (each its own due time), the delivered rows, the log
    with db.read() as s:
        statuses = sorted(s.scalars(select(OutboxEffect.status).where(OutboxEffect.effect_type == "webhook")))
        attempts = list(s.scalars(select(WebhookAttempt).order_by(WebhookAttempt.pk)))
    assert statuses == ["done"] * 4 + ["pending"] * 2
    assert [a.next_retry_at is not None for a in attempts].count(True) == 2


def test_a_lost_claim_records_nothing(db: Database, tenant: Tenant, rx: Receiver) -> None:
    _hooks(db, tenant, rx, 2)
    worker = Worker(db, SETTINGS)
    try:
        claimed = outbox.claim(db, worker.id, -1.0, limit=2, window=2)  # already expired
        assert outbox.requeue_stale(db) == 2
        secrets = worker.secrets.webhook_secrets(claimed)
        results = [worker.deliver(e, secrets[e.pk]) for e in claimed]
        assert record_webhook_attempts(db, results) == set()
    finally:
        worker.client.close()
    with db.read() as s:
        assert list(s.scalars(select(WebhookAttempt))) == []
        assert set(s.scalars(select(OutboxEffect.status).where(OutboxEffect.effect_type == "webhook"))) == {"pending"}


# Upper bounds (PostgreSQL and SQLite), measured with the runtime repository (12 and 5 when the batching
# landed). An outcome that completes the runtime: its lock, the `UPDATE ... RETURNING` of its outbox row, the
# webhook subscriptions, the entity's approval, the runtime's update, the audit record (the definition is
# cached; no new outbox row, so no NOTIFY). A retry: the lock, the outbox row, the runtime's event count, the
# audit record.
MAX_OUTCOME_STATEMENTS = 6
MAX_RETRY_STATEMENTS = 4


def test_an_http_plugin_outcome_stays_within_its_statement_budget(db: Database, tenant: Tenant, rx: Receiver) -> None:
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    [effect] = outbox.claim(db, "w1", lease=30)
    with statements(db, this_thread_only=True) as retry_sql:
        assert retry_http_later(db, effect, HttpOutcome(effect.effect_id, 503, "Busy", None, False), 0.0)
    with db.write() as s:  # due again now
        s.execute(update(OutboxEffect).where(OutboxEffect.pk == effect.pk).values(available_at=effect.created_at))
    [again] = outbox.claim(db, "w1", lease=30)
    assert again.pk == effect.pk and again.attempts == 2
    with statements(db, this_thread_only=True) as outcome_sql:
        assert apply_http_result(db, again, HttpOutcome(again.effect_id, 200, "OK", {"n": 1}, True)) == "applied"
    assert len(retry_sql) <= MAX_RETRY_STATEMENTS, retry_sql
    assert len(outcome_sql) <= MAX_OUTCOME_STATEMENTS, outcome_sql
    assert sum(1 for q in outcome_sql if q.lstrip().upper().startswith("UPDATE OUTBOX_EFFECT")) == 1
    assert not any("outbox_effect" in q and "FOR UPDATE" in q for q in outcome_sql)  # no separate row lock
    with db.read() as s:
        assert s.scalar(select(OutboxEffect.status).where(OutboxEffect.pk == effect.pk)) == "done"
    assert rid


def test_stop_finishes_and_records_what_started_and_gives_back_the_rest(
    db: Database, tenant: Tenant, rx: Receiver
) -> None:
    _hooks(db, tenant, rx, 8)
    started, go = threading.Event(), threading.Event()

    def hold_first(r: Any, n: int) -> tuple[int, Any, dict[str, str]]:
        if n == 1:
            started.set()
            go.wait(10)
        return 200, {}, {}

    rx.rule = hold_first
    worker = Worker(db, WorkerSettings(concurrency=1, lease=30.0, poll=0.5, allow_private=True, batch=8))
    worker.start()
    assert started.wait(10)
    stopper = threading.Thread(target=worker.stop)
    stopper.start()
    go.set()
    stopper.join(30)
    assert not stopper.is_alive()
    with db.read() as s:
        rows = list(s.scalars(select(OutboxEffect).where(OutboxEffect.effect_type == "webhook")))
        logged = {a.outbox_pk for a in s.scalars(select(WebhookAttempt))}
    done = {r.pk for r in rows if r.status == "done"}
    assert {r.status for r in rows} <= {"done", "pending"} and done  # nothing left running
    assert logged == done and len(rx.on("/hook")) == len(done)  # every send recorded, nothing sent twice
    assert all(r.attempts == 0 and r.claimed_by is None for r in rows if r.status == "pending")
