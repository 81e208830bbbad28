"""Worker processes: SIGKILL in the middle of a batch, and scale-out (two API servers, two workers, one
PostgreSQL, 500 concurrent runs).

The guarantee is at-least-once delivery with each outcome applied once: a call whose answer was not recorded
(its worker killed, or its lease run out on a machine too busy to renew it) is made again, with the same
`Idempotency-Key` (plugins) or `webhook-id` (webhooks). The tests assert that guarantee, not exactly-once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from definitions import install, run_body, vendor_check
from receiver import serve, wait_for
from sqlalchemy import func, select

from arabesque.store import Database, OutboxEffect, RuntimeEvent, WorkflowRuntime
from service_fixtures import TEST_SECRET_KEY, Tenant

BIN = Path(sys.executable).parent / "arabesque"


def _env(db: Database, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ARABESQUE_DATABASE_URL": db.url,
        "ARABESQUE_SECRET_KEY": TEST_SECRET_KEY,  # the key of the fixture's database; required on PostgreSQL
        "ARABESQUE_ALLOW_PRIVATE_URLS": "true",
        "ARABESQUE_WORKER_LEASE_SECONDS": "1",
        "ARABESQUE_WORKER_LEASE_GRACE_SECONDS": "3",
        "ARABESQUE_WORKER_POLL_SECONDS": "1",
        "ARABESQUE_RETRY_BASE_SECONDS": "0.05",
        "ARABESQUE_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
        **extra,
    }


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen([str(BIN), *args], env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.terminate()
    for p in started:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _completed(db: Database, ids: list[str]) -> bool:
    with db.read() as s:
        done = s.scalar(
            select(func.count())
            .select_from(WorkflowRuntime)
            .where(WorkflowRuntime.id.in_(ids), WorkflowRuntime.status == "completed")
        )
    return done == len(ids)


def test_a_worker_killed_mid_batch_loses_nothing_and_applies_each_outcome_once(
    db: Database, tenant: Tenant, tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    from arabesque.app.workflows.run_workflow import run_workflow

    with serve() as rx:

        def slow(r: object, n: int) -> tuple[int, object, dict[str, str]]:
            time.sleep(0.1)  # a slow vendor, so the kill lands while calls are in flight
            return 200, {"hits": [1]}, {}

        rx.rule = slow
        record = vendor_check(rx.url + "/vendor")
        install(db, tenant.project_id, record)
        ids = [run_workflow(db, tenant.who, run_body("vendor_check", f"e{i}"))["workflowRuntimeId"] for i in range(24)]
        first = _spawn(["worker", "--concurrency", "4"], _env(db), tmp_path / "w1.log")
        procs.append(first)
        wait_for(lambda: len(rx.on("/vendor")) >= 6, what="the first worker to be mid-batch")
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert not _completed(db, ids)
        with db.read() as s:  # the effects the killed worker held: only their calls may be made again
            held = set(s.scalars(select(OutboxEffect.runtime_id).where(OutboxEffect.status == "running")))
        procs.append(_spawn(["worker", "--concurrency", "4"], _env(db), tmp_path / "w2.log"))
        wait_for(lambda: _completed(db, ids), timeout=60, what="every runtime to complete after the restart")
    with db.read() as s:
        outcomes = Counter(
            s.scalars(
                select(RuntimeEvent.runtime_id).where(
                    RuntimeEvent.runtime_id.in_(ids), RuntimeEvent.kind == "plugin outcome"
                )
            )
        )
        states = {r.id: (r.state, r.context.get("vendorResult")) for r in s.scalars(select(WorkflowRuntime))}
    assert all(outcomes[i] == 1 for i in ids), outcomes
    assert all(states[i] == ("approved", {"hits": [1]}) for i in ids)  # no second merge of the array
    keys = Counter(r.headers["idempotency-key"] for r in rx.on("/vendor"))
    assert {k.split(":")[0] for k in keys} == set(ids)  # every runtime's call, each with its own key
    repeated = {k: n for k, n in keys.items() if n > 1}
    # at most the calls in flight when it was killed (one per worker thread) are made again, with the same key
    assert sum(n - 1 for n in repeated.values()) <= 4, repeated
    assert {k.split(":")[0] for k in repeated} <= held


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_servers_and_two_workers_share_500_concurrent_runs(
    db: Database, tenant: Tenant, tmp_path: Path, procs: list[subprocess.Popen[bytes]], backend: dict[str, object]
) -> None:
    if backend["kind"] != "postgresql":
        pytest.skip("scale-out needs PostgreSQL (SQLite is the single-process path)")
    runs = int(os.environ.get("ARABESQUE_SCALE_RUNS", "500"))
    with serve() as rx:
        install(db, tenant.project_id, vendor_check(rx.url + "/vendor", webhook_url=rx.url + "/hook"))
        ports = [_free_port(), _free_port()]
        for port in ports:
            procs.append(_spawn(["serve", "--no-worker", "--port", str(port)], _env(db), tmp_path / f"s{port}.log"))
        for i in range(2):
            procs.append(_spawn(["worker", "--concurrency", "6"], _env(db), tmp_path / f"w{i}.log"))

        def up(port: int) -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/api/v1/_health/live", timeout=1).status_code < 500
            except httpx.HTTPError:
                return False

        for port in ports:
            wait_for(lambda port=port: up(port), what=f"the server on {port}")
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{p}", headers=tenant.headers, timeout=60) for p in ports]

        def fire(i: int) -> str:
            r = clients[i % 2].post("/api/v1/external/workflows/run", json=run_body("vendor_check", f"corp-{i}"))
            assert r.status_code in (200, 201), r.text
            return str(r.json()["workflowRuntimeId"])

        with ThreadPoolExecutor(32) as pool:
            ids = list(pool.map(fire, range(runs)))
        for c in clients:
            c.close()
        assert len(set(ids)) == runs
        wait_for(lambda: _completed(db, ids), timeout=180, what="every runtime to complete")
        # each runtime: state.changed (idle->checking, checking->approved) and completed
        wait_for(
            lambda: len({r.headers["webhook-id"] for r in rx.on("/hook")}) >= 3 * runs,
            timeout=180,
            what="every webhook",
        )
        hooks = rx.on("/hook")
    with db.read() as s:
        states = Counter(s.scalars(select(WorkflowRuntime.state).where(WorkflowRuntime.id.in_(ids))))
        outcomes = Counter(
            s.scalars(
                select(RuntimeEvent.runtime_id).where(
                    RuntimeEvent.runtime_id.in_(ids), RuntimeEvent.kind == "plugin outcome"
                )
            )
        )
    assert states == {"approved": runs}
    assert outcomes == {i: 1 for i in ids}  # each runtime's outcome applied once, however often it was called
    # At least once: a delivery may arrive twice (a heartbeat late on a busy machine), always with the same
    # webhook-id and body; a receiver deduplicating on webhook-id sees every event exactly once.
    unique: dict[str, bytes] = {}
    for r in hooks:
        assert unique.setdefault(r.headers["webhook-id"], r.body) == r.body
    assert len(unique) == 3 * runs
    events = Counter((json.loads(b)["workflowRuntimeId"], json.loads(b)["eventName"]) for b in unique.values())
    assert {rid for rid, _ in events} == set(ids)
    assert all(events[(rid, "workflow.completed")] == 1 and events[(rid, "workflow.state.changed")] == 2 for rid in ids)
    keys = Counter(r.headers["idempotency-key"] for r in rx.on("/vendor"))
    assert {k.split(":")[0] for k in keys} == set(ids)  # every runtime's call arrived, repeats with the same key
