"""Faults under a running worker, against a private PostgreSQL server (tests/pg_cluster.py): the database stops
while plugin calls are in flight. The worker must neither claim nor send while it cannot record, keep the
answers it already has, and record each of them once the database is back, without calling the vendor again."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from definitions import install, run_body, vendor_check
from receiver import Request, serve, wait_for
from sqlalchemy import select

from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.effects.retry import Backoff
from arabesque.store import Database, OutboxEffect, RuntimeEvent, WorkflowRuntime, upgrade
from arabesque.worker import Worker, WorkerSettings
from pg_cluster import private_cluster
from service_fixtures import make_tenant

CONCURRENCY = 3
RUNS = 12


def test_a_database_outage_pauses_claims_and_calls_and_loses_no_outcome() -> None:
    release = threading.Event()

    def vendor(request: Request, n: int) -> tuple[int, Any, dict[str, str]]:
        if n <= CONCURRENCY:  # the first calls hold every worker thread until the database is down
            release.wait(120)
        return 200, {"hits": [n]}, {}

    with private_cluster() as pg, serve() as rx:
        db = Database(pg.url)
        upgrade(db.engine)
        tenant = make_tenant(db, "acme", with_examples=False)
        rx.rule = vendor
        install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
        ids = [
            run_workflow(db, tenant.who, run_body("vendor_check", f"e{i}"))["workflowRuntimeId"] for i in range(RUNS)
        ]
        settings = WorkerSettings(
            concurrency=CONCURRENCY, lease=5.0, poll=0.5, backoff=Backoff(base=0.02, cap=0.1), allow_private=True
        )
        worker = Worker(db, settings)
        worker.start()
        try:
            wait_for(lambda: len(rx.on("/vendor")) == CONCURRENCY, what="every worker thread inside a call")
            pg.stop()
            release.set()  # the answers arrive while the database is down
            wait_for(lambda: worker.gate.failed_probes >= 3, what="the worker to find the database down")
            sent_while_down = len(rx.on("/vendor"))
            pg.start()

            def completed() -> bool:
                with db.read() as s:
                    states = list(s.scalars(select(WorkflowRuntime.state).where(WorkflowRuntime.id.in_(ids))))
                return states.count("approved") == RUNS

            wait_for(completed, timeout=60, what="every runtime to complete once the database is back")
        finally:
            worker.stop()
        with db.read() as s:
            outcomes = Counter(
                s.scalars(
                    select(RuntimeEvent.runtime_id).where(
                        RuntimeEvent.runtime_id.in_(ids), RuntimeEvent.kind == "plugin outcome"
                    )
                )
            )
            rows = list(s.scalars(select(OutboxEffect).where(OutboxEffect.effect_type == "http")))
        db.dispose()
    assert sent_while_down == CONCURRENCY  # nothing was claimed or sent while the database was down
    assert outcomes == {i: 1 for i in ids}  # every outcome applied once, none lost
    keys = Counter(r.headers["idempotency-key"] for r in rx.on("/vendor"))
    assert len(keys) == RUNS and set(keys.values()) == {1}  # the answers kept were not asked for again
    assert {(r.status, r.attempts) for r in rows} == {("done", 1)}
