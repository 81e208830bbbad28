"""The worker against real loopback HTTP servers, on SQLite and PostgreSQL: retries, exactly-once outcomes,
rejected callbacks, webhooks (signatures, receiver down then up, delivery log), child workflows."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from definitions import install, run_body, vendor_check
from receiver import Receiver, serve, wait_for
from sqlalchemy import select
from standardwebhooks import Webhook
from starlette.testclient import TestClient

from arabesque.app.outcomes.apply_http_result import apply_http_result
from arabesque.app.webhooks.subscriptions import create_subscription
from arabesque.app.workflows.queries import get_workflow
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.app.workflows.send_event import send_event
from arabesque.effects.retry import Backoff
from arabesque.effects.webhook import WebhookSender
from arabesque.engine import HttpOutcome
from arabesque.store import Database, OutboxEffect, RuntimeEvent, WebhookAttempt, WorkflowRuntime
from arabesque.store.outbox import claim
from arabesque.worker import Worker, WorkerSettings
from service_fixtures import Tenant

FAST = WorkerSettings(
    concurrency=3,
    lease=5.0,
    poll=0.5,
    backoff=Backoff(base=0.02, cap=0.1),
    webhook_backoff=Backoff(base=0.02, cap=0.1),
    allow_private=True,
)


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with serve() as receiver:
        yield receiver


@pytest.fixture
def worker(db: Database) -> Iterator[Worker]:
    w = Worker(db, FAST)
    w.start()
    yield w
    w.stop()


def _state(db: Database, tenant: Tenant, runtime_id: str) -> dict[str, Any]:
    return get_workflow(db, tenant.who, runtime_id)


def _audit(db: Database, runtime_id: str) -> list[RuntimeEvent]:
    with db.read() as s:
        return list(
            s.scalars(select(RuntimeEvent).where(RuntimeEvent.runtime_id == runtime_id).order_by(RuntimeEvent.seq))
        )


def _completed(db: Database, tenant: Tenant, runtime_id: str) -> dict[str, Any] | None:
    wf = _state(db, tenant, runtime_id)
    return wf if wf["status"] == "completed" else None


def test_a_plugin_failing_twice_then_succeeding_takes_the_success_path(
    db: Database, tenant: Tenant, rx: Receiver, worker: Worker
) -> None:
    rx.rule = lambda r, n: (503, {"busy": True}, {}) if n <= 2 else (200, {"score": 7}, {})
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    wf = wait_for(lambda: _completed(db, tenant, rid), what="the runtime to complete")
    assert wf["state"] == "approved" and wf["context"]["vendorResult"] == {"score": 7}
    assert len(rx.on("/vendor")) == 3
    kinds = [(e.kind, e.details.get("attempt"), e.details.get("status")) for e in _audit(db, rid)]
    assert ("plugin attempt", 1, 503) in kinds and ("plugin attempt", 2, 503) in kinds
    outcome = [e for e in _audit(db, rid) if e.kind == "plugin outcome"]
    assert len(outcome) == 1 and outcome[0].details["payload"]["attempts"] == 3
    assert outcome[0].to_state == "approved"


def test_a_4xx_is_not_retried_and_takes_the_error_path(
    db: Database, tenant: Tenant, rx: Receiver, worker: Worker
) -> None:
    rx.rule = lambda r, n: (422, {"bad": True}, {})
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    wf = wait_for(lambda: _completed(db, tenant, rid), what="the runtime to complete")
    assert wf["state"] == "failed" and len(rx.on("/vendor")) == 1


def test_429_and_exhausted_retries_end_in_the_error_action(
    db: Database, tenant: Tenant, rx: Receiver, worker: Worker
) -> None:
    rx.rule = lambda r, n: (429, {}, {"Retry-After": "0"}) if n == 1 else (500, {}, {})
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor", max_attempts=3))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    wf = wait_for(lambda: _completed(db, tenant, rid), what="the runtime to complete")
    assert wf["state"] == "failed" and len(rx.on("/vendor")) == 3
    assert [e.details.get("status") for e in _audit(db, rid) if e.kind == "plugin attempt"] == [429, 500]


def test_private_targets_are_refused_unless_allowed(db: Database, tenant: Tenant, rx: Receiver) -> None:
    strict = Worker(db, WorkerSettings(concurrency=1, lease=5.0, poll=0.5, allow_private=False))
    strict.start()
    try:
        install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
        rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
        wf = wait_for(lambda: _completed(db, tenant, rid), what="the runtime to complete")
    finally:
        strict.stop()
    assert wf["state"] == "failed" and rx.on("/vendor") == []
    outcome = next(e for e in _audit(db, rid) if e.kind == "plugin outcome")
    assert "non-public address" in outcome.details["payload"]["error"]


def test_an_outcome_lands_once_even_when_applied_twice(db: Database, tenant: Tenant, rx: Receiver) -> None:
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    [effect] = claim(db, "w1", lease=30)
    outcome = HttpOutcome(effect.effect_id, 200, "OK", {"n": 1}, True)
    assert apply_http_result(db, effect, outcome) == "applied"
    assert apply_http_result(db, effect, outcome) == "lost"  # the row is done: no second merge, no event
    wf = _state(db, tenant, rid)
    assert wf["state"] == "approved" and wf["context"]["vendorResult"] == {"n": 1}
    assert len([e for e in _audit(db, rid) if e.kind == "plugin outcome"]) == 1


def test_a_stale_claim_is_requeued_and_the_late_worker_changes_nothing(
    db: Database, tenant: Tenant, rx: Receiver
) -> None:
    from arabesque.store.outbox import requeue_stale

    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    [late] = claim(db, "dead-worker", lease=-1)  # already expired: as if its worker was killed
    assert requeue_stale(db) == 1
    [fresh] = claim(db, "w2", lease=30)
    assert fresh.pk == late.pk and fresh.attempts == 2
    assert apply_http_result(db, late, HttpOutcome(late.effect_id, 200, "OK", {"who": "late"}, True)) == "lost"
    assert apply_http_result(db, fresh, HttpOutcome(fresh.effect_id, 200, "OK", {"who": "w2"}, True)) == "applied"
    assert _state(db, tenant, rid)["context"]["vendorResult"] == {"who": "w2"}


def test_an_expired_lease_is_requeued_only_after_the_grace(db: Database, tenant: Tenant, rx: Receiver) -> None:
    """A heartbeat late on a busy machine (or a clock a little behind) must not make another worker run the
    effect again: the lease is taken back only `lease_grace` seconds after it ran out."""
    from arabesque.store.outbox import requeue_stale

    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    run_workflow(db, tenant.who, run_body("vendor_check", "e1"))
    claim(db, "busy-worker", lease=-5)  # its lease ran out 5 s ago
    assert requeue_stale(db, grace=30) == 0  # still within the grace: its worker may yet renew it
    assert requeue_stale(db, grace=2) == 1  # beyond it: the worker is gone, the effect runs again
    with db.read() as s:
        row = s.scalars(select(OutboxEffect)).one()
    assert (row.status, row.claimed_by) == ("pending", None)
    assert row.last_error and row.last_error.startswith("claim expired")


def test_an_outcome_for_a_runtime_that_moved_on_is_recorded_and_its_callback_rejected(
    db: Database, tenant: Tenant, rx: Receiver
) -> None:
    record = vendor_check(rx.url + "/vendor")
    record["definition"]["states"]["checking"]["on"]["SKIP"] = "manual"
    record["definition"]["states"]["manual"] = {"on": {"approve": "approved"}}
    install(db, tenant.project_id, record)
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    [effect] = claim(db, "w1", lease=30)
    send_event(db, tenant.who, rid, "SKIP")
    assert apply_http_result(db, effect, HttpOutcome(effect.effect_id, 200, "OK", {"late": True}, True)) == "rejected"
    wf = _state(db, tenant, rid)
    assert wf["state"] == "manual" and wf["context"]["vendorResult"] == {"late": True}
    outcome = next(e for e in _audit(db, rid) if e.kind == "plugin outcome")
    assert "VENDOR_OK" in outcome.details["payload"]["rejected"]


def test_webhooks_survive_a_receiver_that_is_down_then_up(
    db: Database, tenant: Tenant, rx: Receiver, client: TestClient, worker: Worker
) -> None:
    created = client.post(
        "/api/v1/external/webhooks",
        headers=tenant.headers,
        json={"url": rx.url + "/hook", "events": ["workflow.completed"]},
    )
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["secret"].startswith("whsec_")
    listed = client.get("/api/v1/external/webhooks", headers=tenant.headers).json()
    assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]

    up = {"flag": False}
    rx.rule = lambda r, n: (200, {}, {}) if r.path == "/vendor" or up["flag"] else (503, {}, {})
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    wait_for(lambda: len(rx.on("/hook")) >= 3, what="three failed deliveries")
    up["flag"] = True
    delivered = wait_for(lambda: [r for r in rx.on("/hook")][3:], what="a delivery once the receiver is up")[0]
    payload = Webhook(sub["secret"]).verify(delivered.body, delivered.headers)
    assert payload["eventName"] == "workflow.completed" and payload["workflowRuntimeId"] == rid
    assert payload["workflowFinalState"] == "approved" and payload["id"] and payload["timestamp"]
    ids = {r.headers["webhook-id"] for r in rx.on("/hook")}
    assert len(ids) == 1  # one delivery, retried: the same webhook-id every time

    def log() -> list[dict[str, Any]] | None:
        rows = client.get(f"/api/v1/external/webhooks/{sub['id']}/deliveries", headers=tenant.headers).json()
        return rows if rows and rows[0]["status"] == "done" else None

    [delivery] = wait_for(log, what="the delivery log to show the delivery")
    codes = [a["statusCode"] for a in delivery["attempts"]]
    assert codes[-1] == 200 and codes[:3] == [503, 503, 503]
    assert delivery["attempts"][0]["nextRetryAt"] is not None

    again = client.post(
        f"/api/v1/external/webhooks/{sub['id']}/deliveries/{delivery['id']}/redeliver", headers=tenant.headers
    )
    assert again.status_code == 202
    wait_for(lambda: len(rx.on("/hook")) == len(codes) + 1, what="the manual redelivery")
    assert client.get(
        f"/api/v1/external/webhooks/{sub['id']}/deliveries", headers=other_headers(client)
    ).status_code in (
        401,
        404,
    )
    assert client.delete(f"/api/v1/external/webhooks/{sub['id']}", headers=tenant.headers).status_code == 204
    assert client.get("/api/v1/external/webhooks", headers=tenant.headers).json() == []


def other_headers(_: TestClient) -> dict[str, str]:
    return {"Authorization": "Bearer arb_nobody_x"}


def test_a_webhook_is_dead_lettered_after_its_retry_window(db: Database, tenant: Tenant, rx: Receiver) -> None:
    short = Worker(
        db,
        WorkerSettings(
            concurrency=2,
            lease=5.0,
            poll=0.5,
            webhook_backoff=Backoff(0.02, 0.05),
            webhook_window=0.3,
            allow_private=True,
        ),
    )
    rx.rule = lambda r, n: (200, {}, {}) if r.path == "/vendor" else (500, {}, {})
    sub = create_subscription(db, tenant.who, rx.url + "/hook", ["workflow.completed"])
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    short.start()
    try:
        run_workflow(db, tenant.who, run_body("vendor_check", "e1"))

        def dead() -> bool:
            with db.read() as s:
                row = s.scalars(select(OutboxEffect).where(OutboxEffect.subscription_id == sub["id"])).first()
                return row is not None and row.status == "dead"

        wait_for(dead, what="the delivery to be dead-lettered")
    finally:
        short.stop()
    with db.read() as s:
        row = s.scalars(select(OutboxEffect).where(OutboxEffect.subscription_id == sub["id"])).one()
        attempts = s.scalars(select(WebhookAttempt).order_by(WebhookAttempt.created_at)).all()
        assert len(attempts) == len(rx.on("/hook")) >= 1
        # retried until an attempt failed past the window, however late (on a busy machine) the first one was
        last = attempts[-1].created_at.replace(tzinfo=None) - row.created_at.replace(tzinfo=None)
        assert last.total_seconds() >= 0.3


def test_plugin_secrets_come_from_the_project_store_and_stay_out_of_the_audit(
    db: Database, tenant: Tenant, rx: Receiver, client: TestClient, worker: Worker
) -> None:
    assert (
        client.put("/api/v1/external/secrets/VENDOR_KEY", headers=tenant.headers, json={"value": "s3cr3t"}).status_code
        == 204
    )
    record = vendor_check(rx.url + "/vendor")
    record["extensions"]["apiPlugins"][0]["headers"] = {"X-Key": "{secrets.VENDOR_KEY}"}
    install(db, tenant.project_id, record)
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    wait_for(lambda: _completed(db, tenant, rid), what="the runtime to complete")
    assert rx.on("/vendor")[0].headers["x-key"] == "s3cr3t"
    assert "s3cr3t" not in repr([e.details for e in _audit(db, rid)])
    with db.read() as s:
        assert "s3cr3t" not in repr([r.payload for r in s.scalars(select(OutboxEffect))])


def test_kyb_parent_with_three_ubo_children(db: Database, tenant: Tenant, worker: Worker) -> None:
    ubos = [{"id": f"ubo-{i}", "firstName": f"F{i}", "lastName": f"L{i}"} for i in range(3)]
    body = {
        "workflowId": "kyb_with_ubos_demo",
        "context": {
            "entity": {
                "type": "business",
                "id": "kyb-1",
                "data": {"companyName": "Acme", "additionalInfo": {"ubos": ubos}},
            }
        },
    }
    parent_id = run_workflow(db, tenant.who, body)["workflowRuntimeId"]
    assert _state(db, tenant, parent_id)["state"] == "pending_kyc_response_to_finish"

    def children() -> list[WorkflowRuntime] | None:
        with db.read() as s:
            rows = list(s.scalars(select(WorkflowRuntime).where(WorkflowRuntime.parent_runtime_id == parent_id)))
        return rows if len(rows) == 3 and all(r.state == "kyc_review" for r in rows) else None

    kids = wait_for(children, what="three children in kyc_review")
    assert sorted(k.context["entity"]["id"] for k in kids) == ["ubo-0", "ubo-1", "ubo-2"]
    for i, kid in enumerate(kids):
        send_event(db, tenant.who, kid.id, "approve")
        parent = _state(db, tenant, parent_id)
        results = parent["context"]["childWorkflows"]["kyc_ubo_child"]
        assert results[kid.id]["state"] == "approved" and results[kid.id]["result"]["childEntity"]["firstName"]
        expected = "manual_review" if i == 2 else "pending_kyc_response_to_finish"
        assert parent["state"] == expected
    assert len(parent["context"]["childWorkflows"]["kyc_ubo_child"]) == 3


@pytest.mark.parametrize("max_attempts", [1, None], ids=["maxAttempts-1", "default-maxAttempts"])
def test_an_unparsable_plugin_url_takes_the_error_action_after_one_attempt(
    db: Database, tenant: Tenant, worker: Worker, max_attempts: int | None
) -> None:
    """`0177.0.0.1` (octal) cannot be parsed: refused, not retried, whatever `maxAttempts` allows."""
    install(db, tenant.project_id, vendor_check("http://0177.0.0.1:3210/x", max_attempts=max_attempts))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    wf = wait_for(lambda: _completed(db, tenant, rid), what="the runtime to reach its errorAction")
    assert wf["state"] == "failed"
    [outcome] = [e for e in _audit(db, rid) if e.kind == "plugin outcome"]
    assert "invalid request" in outcome.details["payload"]["error"]
    with db.read() as s:
        row = s.scalars(select(OutboxEffect).where(OutboxEffect.runtime_id == rid)).one()
    assert (row.status, row.attempts) == ("done", 1)
    assert row.last_error and "0177.0.0.1" in row.last_error


def test_a_webhook_to_a_host_that_does_not_resolve_is_retried_not_dead_lettered(
    db: Database, tenant: Tenant, rx: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def dns(host: Any, *args: Any, **kwargs: Any) -> Any:  # the resolver is down for this name, whatever the network
        if host == "nowhere.invalid":
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    strict = Worker(
        db,
        WorkerSettings(concurrency=1, lease=5.0, poll=0.5, webhook_backoff=Backoff(0.02, 0.05), allow_private=False),
    )
    sub = create_subscription(db, tenant.who, "http://nowhere.invalid/hook", ["workflow.completed"])
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))  # refused (private): the case fails, completed
    strict.start()
    try:
        run_workflow(db, tenant.who, run_body("vendor_check", "e1"))

        def delivery() -> OutboxEffect | None:
            with db.read() as s:
                row = s.scalars(select(OutboxEffect).where(OutboxEffect.subscription_id == sub["id"])).first()
            return row if row is not None and (row.status == "dead" or row.attempts >= 3) else None

        row = wait_for(delivery, what="three attempts at the delivery (or its dead-lettering)")
    finally:
        strict.stop()
    assert row.status != "dead", row.last_error
    assert row.last_error and "cannot resolve nowhere.invalid" in row.last_error
    with db.read() as s:
        errors = list(s.scalars(select(WebhookAttempt.error).where(WebhookAttempt.outbox_pk == row.pk)))
    assert len(errors) >= 2 and all("cannot resolve" in (e or "") for e in errors)


def test_an_unexpected_error_executing_a_plugin_call_is_a_failed_attempt(
    db: Database, tenant: Tenant, rx: Receiver
) -> None:
    """A corrupt outbox row (its request has no method) raises in the worker: each try is an attempt, with
    `last_error`, and after `maxAttempts` the plugin's `errorAction` — not a claim left to run out for ever."""
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor", max_attempts=2))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    with db.write() as s:
        row = s.scalars(select(OutboxEffect).where(OutboxEffect.runtime_id == rid)).one()
        row.payload = {**row.payload, "request": {"url": rx.url + "/vendor"}}
    w = Worker(db, FAST)
    w.start()
    try:
        wf = wait_for(lambda: _completed(db, tenant, rid), what="the runtime to reach its errorAction")
    finally:
        w.stop()
    assert wf["state"] == "failed" and rx.on("/vendor") == []
    audit = _audit(db, rid)
    attempts = [e.details for e in audit if e.kind == "plugin attempt"]
    attempts += [e.details["payload"] for e in audit if e.kind == "plugin outcome"]
    assert [a["attempt"] for a in attempts] == [1, 2]
    assert all(a["error"] == "internal error: KeyError: 'method'" for a in attempts)
    with db.read() as s:
        row = s.scalars(select(OutboxEffect).where(OutboxEffect.runtime_id == rid)).one()
    assert (row.status, row.attempts, row.last_error) == ("done", 2, "internal error: KeyError: 'method'")


def test_an_answer_the_database_cannot_store_takes_the_error_action(
    db: Database, tenant: Tenant, rx: Receiver, worker: Worker, backend: dict[str, Any]
) -> None:
    """PostgreSQL's jsonb refuses `\\u0000`: applying such an answer fails every time. It counts as a failed
    attempt (the vendor is called `maxAttempts` times, not for ever), then the `errorAction`."""
    rx.rule = lambda r, n: (200, {"name": "a\u0000b"}, {})
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor", max_attempts=2))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    wf = wait_for(lambda: _completed(db, tenant, rid), what="the runtime to complete")
    if backend["kind"] == "sqlite":  # SQLite stores it
        assert wf["state"] == "approved" and len(rx.on("/vendor")) == 1
        return
    assert wf["state"] == "failed" and len(rx.on("/vendor")) == 2
    with db.read() as s:
        row = s.scalars(select(OutboxEffect).where(OutboxEffect.runtime_id == rid)).one()
    assert row.status == "done" and row.last_error and row.last_error.startswith("internal error: ")


def test_an_unexpected_error_sending_a_webhook_is_a_failed_attempt_and_retried(
    db: Database, tenant: Tenant, rx: Receiver, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_send = WebhookSender.send
    failures = {"left": 2}

    def flaky(self: WebhookSender, *args: Any, **kwargs: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("signing bug")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(WebhookSender, "send", flaky)
    sub = create_subscription(db, tenant.who, rx.url + "/hook", ["workflow.completed"])
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    run_workflow(db, tenant.who, run_body("vendor_check", "e1"))

    def delivered() -> OutboxEffect | None:
        with db.read() as s:
            row = s.scalars(select(OutboxEffect).where(OutboxEffect.subscription_id == sub["id"])).first()
        return row if row is not None and row.status in ("done", "dead") else None

    row = wait_for(delivered, what="the delivery to be settled")
    with db.read() as s:
        log = list(
            s.scalars(select(WebhookAttempt).where(WebhookAttempt.outbox_pk == row.pk).order_by(WebhookAttempt.pk))
        )
    assert row.status == "done" and row.attempts == 3
    assert [(a.attempt, a.error, a.status_code) for a in log] == [
        (1, "internal error: RuntimeError: signing bug", None),
        (2, "internal error: RuntimeError: signing bug", None),
        (3, None, 200),
    ]
    assert len(rx.on("/hook")) == 1


def test_a_child_start_that_fails_unexpectedly_is_retried_then_dead_lettered(
    db: Database, tenant: Tenant, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arabesque.app.workflows import children

    def broken(db: Database, effect: Any) -> None:
        raise RuntimeError("child bug")

    monkeypatch.setattr(children, "start_child", broken)
    ubos = [{"id": "ubo-0", "firstName": "F", "lastName": "L"}]
    body = {
        "workflowId": "kyb_with_ubos_demo",
        "context": {
            "entity": {
                "type": "business",
                "id": "kyb-1",
                "data": {"companyName": "Acme", "additionalInfo": {"ubos": ubos}},
            }
        },
    }
    parent_id = run_workflow(db, tenant.who, body)["workflowRuntimeId"]

    def dead() -> OutboxEffect | None:
        with db.read() as s:
            row = s.scalars(
                select(OutboxEffect).where(OutboxEffect.runtime_id == parent_id, OutboxEffect.effect_type == "child")
            ).first()
        return row if row is not None and row.status == "dead" else None

    row = wait_for(dead, what="the child start to be dead-lettered")
    assert row.attempts == 5 and row.last_error == "internal error: RuntimeError: child bug"
    failed = [e.details for e in _audit(db, parent_id) if e.kind == "effect failed"]
    assert [f["attempt"] for f in failed] == [1, 2, 3, 4, 5]
    assert "retryInSeconds" not in failed[-1]
