"""What the worker and the use cases leave behind: transitions, effect attempts and webhook deliveries counted; a
log line per attempt with the effect's and the runtime's ids; with tracing on, spans for the request, its
transactions and each attempt, and the attempt's `traceparent` on the plugin call and the webhook."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from definitions import install, run_body, vendor_check
from receiver import Receiver, serve, wait_for
from starlette.testclient import TestClient

from arabesque.app.webhooks.subscriptions import create_subscription
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.observability import tracing
from arabesque.observability.logs import configure_logging
from arabesque.observability.metrics import scrape_registry
from arabesque.store import Database
from arabesque.worker import Worker, WorkerSettings
from service_fixtures import Tenant

FAST = WorkerSettings(concurrency=2, lease=5.0, poll=0.2, allow_private=True, retention_interval=0)


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with serve() as receiver:
        yield receiver


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("json", "info", stream)
    yield stream
    configure_logging("console", "warning", io.StringIO())


def value(name: str, **labels: str) -> float:
    """A sample of this process's metrics (0 when absent)."""
    for metric in scrape_registry().collect():
        for s in metric.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return 0.0


def _completed(db: Database, tenant: Tenant, runtime_id: str) -> bool:
    from arabesque.app.workflows.queries import get_workflow

    return get_workflow(db, tenant.who, runtime_id)["status"] == "completed"


def test_transitions_attempts_and_deliveries_are_counted_and_each_attempt_logged(
    db: Database, tenant: Tenant, rx: Receiver, log: io.StringIO
) -> None:
    definition = "vendor_check_counted"
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor", rx.url + "/hook", name=definition))
    rx.rule = lambda r, n: (503, {}, {}) if r.path == "/vendor" and n == 1 else (200, {"ok": True}, {})
    to_checking = {"definition": definition, "from": "idle", "to": "checking"}
    to_approved = {"definition": definition, "from": "checking", "to": "approved"}
    before = {
        "checking": value("arabesque_workflow_transitions_total", **to_checking),
        "approved": value("arabesque_workflow_transitions_total", **to_approved),
        "http ok": value("arabesque_effect_attempts_total", kind="http", outcome="ok"),
        "http 503": value("arabesque_effect_attempts_total", kind="http", outcome="status"),
        "delivered": value("arabesque_webhook_deliveries_total", outcome="delivered"),
    }
    runtime_id = run_workflow(db, tenant.who, run_body(definition, "e1"))["workflowRuntimeId"]
    assert value("arabesque_workflow_transitions_total", **to_checking) == before["checking"] + 1  # committed
    worker = Worker(db, FAST)
    worker.start()
    try:
        wait_for(lambda: _completed(db, tenant, runtime_id), what="the plugin call's outcome")
        wait_for(lambda: len(rx.on("/hook")) >= 2, what="the webhooks")  # state changed, completed
    finally:
        worker.stop()
    assert value("arabesque_workflow_transitions_total", **to_approved) == before["approved"] + 1
    assert value("arabesque_effect_attempts_total", kind="http", outcome="status") == before["http 503"] + 1
    assert value("arabesque_effect_attempts_total", kind="http", outcome="ok") == before["http ok"] + 1
    assert value("arabesque_webhook_deliveries_total", outcome="delivered") >= before["delivered"] + 2
    assert value("arabesque_effect_latency_seconds_count", kind="http") >= 2

    attempts = [json.loads(line) for line in log.getvalue().splitlines() if '"effect attempt"' in line]
    calls = [a for a in attempts if a["kind"] == "http"]
    assert [(a["attempt"], a["outcome"], a.get("status")) for a in calls] == [(1, "status", 503), (2, "ok", 200)]
    assert {a["runtime_id"] for a in attempts} == {runtime_id}
    assert {a["project_id"] for a in attempts} == {tenant.project_id}
    assert all(a["effect_id"] for a in attempts) and {a["kind"] for a in attempts} == {"http", "webhook"}


def test_a_refused_transaction_counts_no_transition(db: Database, tenant: Tenant, limits: Any) -> None:
    definition = "vendor_check_refused"
    install(db, tenant.project_id, vendor_check("http://127.0.0.1:9/vendor", name=definition))
    labels = {"definition": definition, "from": "idle", "to": "checking"}
    limits(max_context_bytes=10)  # the context after the step is over the limit: 413, nothing committed
    with pytest.raises(Exception, match="too large"):
        run_workflow(db, tenant.who, run_body(definition, "e2"))
    assert value("arabesque_workflow_transitions_total", **labels) == 0


def test_the_outbox_gauges_read_the_database(db: Database, tenant: Tenant) -> None:
    from arabesque.store.outbox_stats import outbox_gauges

    install(db, tenant.project_id, vendor_check("http://127.0.0.1:9/vendor", name="vendor_check_pending"))
    run_workflow(db, tenant.who, run_body("vendor_check_pending", "e3"))
    samples = {(s.name, s.labels.get("kind")): s.value for m in outbox_gauges(db).collect() for s in m.samples}
    assert samples[("arabesque_outbox_pending", "http")] == 1
    assert samples[("arabesque_outbox_pending", "webhook")] == 0
    assert samples[("arabesque_worker_lag_seconds", None)] >= 0


@pytest.fixture
def spans() -> Iterator[Any]:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    assert tracing.configure_tracing(exporter)
    yield exporter
    tracing.shutdown_tracing()


def test_spans_for_the_request_its_transactions_and_each_attempt_with_traceparent_sent(
    db: Database, tenant: Tenant, rx: Receiver, client: TestClient, spans: Any
) -> None:
    definition = "vendor_check_traced"
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor", rx.url + "/hook", name=definition))
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    run = client.post(
        "/api/v1/external/workflows/run",
        json=run_body(definition, "e4"),
        headers={**tenant.headers, "traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"},
    )
    assert run.status_code == 200
    runtime_id = run.json()["workflowRuntimeId"]
    worker = Worker(db, FAST)
    worker.start()
    try:
        wait_for(lambda: _completed(db, tenant, runtime_id), what="the plugin call's outcome")
        wait_for(lambda: rx.on("/hook"), what="a webhook")
    finally:
        worker.stop()

    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.name == "POST /api/v1/external/workflows/run"]
    assert format(request.context.trace_id, "032x") == caller_trace  # a child of the caller's trace
    assert request.attributes["http.response.status_code"] == 200
    transactions = [s for s in finished if s.parent is not None and s.parent.span_id == request.context.span_id]
    assert "run_workflow" in {s.name for s in transactions}
    assert all(s.attributes["arabesque.transaction"] in ("read", "write") for s in transactions)

    [call] = [s for s in finished if s.name == "effect http"]
    assert call.attributes["runtime_id"] == runtime_id and call.attributes["project_id"] == tenant.project_id
    [vendor] = rx.on("/vendor")
    trace_id, span_id = vendor.headers["traceparent"].split("-")[1:3]
    assert (trace_id, span_id) == (format(call.context.trace_id, "032x"), format(call.context.span_id, "016x"))
    assert any(s.name == "apply_http_result" for s in finished if s.parent and s.parent.span_id == call.context.span_id)
    delivered = rx.on("/hook")[0]
    hooks = {format(s.context.span_id, "016x") for s in finished if s.name == "effect webhook"}
    assert delivered.headers["traceparent"].split("-")[2] in hooks


def test_without_tracing_nothing_is_sent_or_recorded(db: Database, tenant: Tenant, rx: Receiver) -> None:
    assert not tracing.enabled()
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor", name="vendor_check_untraced"))
    runtime_id = run_workflow(db, tenant.who, run_body("vendor_check_untraced", "e5"))["workflowRuntimeId"]
    worker = Worker(db, FAST)
    worker.start()
    try:
        wait_for(lambda: _completed(db, tenant, runtime_id), what="the plugin call's outcome")
    finally:
        worker.stop()
    assert "traceparent" not in rx.on("/vendor")[0].headers


def test_a_subscription_secret_is_never_logged(db: Database, tenant: Tenant, rx: Receiver, log: io.StringIO) -> None:
    sub = create_subscription(db, tenant.who, rx.url + "/hook", ["workflow.completed"])
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor", name="vendor_check_signed"))
    runtime_id = run_workflow(db, tenant.who, run_body("vendor_check_signed", "e6"))["workflowRuntimeId"]
    worker = Worker(db, FAST)
    worker.start()
    try:
        wait_for(lambda: rx.on("/hook"), what="the signed webhook")
    finally:
        worker.stop()
    assert runtime_id in log.getvalue() and sub["secret"] not in log.getvalue()
