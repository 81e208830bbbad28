"""Worker processes: SIGKILL in the middle of a batch, and scale-out (two API servers, two workers, one
PostgreSQL, 500 concurrent runs)."""

from __future__ import annotations

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

from arabesque.store import Database, RuntimeEvent, WorkflowRuntime
from service_fixtures import TEST_SECRET_KEY, Tenant

BIN = Path(sys.executable).parent / "arabesque"


def _env(db: Database, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ARABESQUE_DATABASE_URL": db.url,
        "ARABESQUE_SECRET_KEY": TEST_SECRET_KEY,  # the key of the fixture's database; required on PostgreSQL
        "ARABESQUE_ALLOW_PRIVATE_URLS": "true",
        "ARABESQUE_WORKER_LEASE_SECONDS": "1",
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
    from arabesque.app.run_workflow import run_workflow

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
    assert len(rx.on("/vendor")) >= len(ids)


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
        wait_for(lambda: _completed(db, ids), timeout=120, what="every runtime to complete")
        # each runtime: state.changed (idle->checking, checking->approved) and completed
        wait_for(
            lambda: len({r.headers["webhook-id"] for r in rx.on("/hook")}) >= 3 * runs,
            timeout=120,
            what="every webhook",
        )
        hooks = rx.on("/hook")
    with db.read() as s:
        states = Counter(s.scalars(select(WorkflowRuntime.state).where(WorkflowRuntime.id.in_(ids))))
    assert states == {"approved": runs}
    per_id = Counter(r.headers["webhook-id"] for r in hooks)
    assert len(per_id) == 3 * runs
    assert max(per_id.values()) == 1  # the receiver never failed, so no delivery was ever repeated
    completed = Counter(r.json()["workflowRuntimeId"] for r in hooks if r.json()["eventName"] == "workflow.completed")
    assert set(completed) == set(ids) and max(completed.values()) == 1
    assert len(rx.on("/vendor")) == runs
