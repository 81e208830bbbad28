"""Webhook deliveries per second through `arabesque worker` processes vs a plain httpx loop, same run.

    .venv/bin/python bench/worker_bench.py [--effects 2000] [--concurrency 8] [--paced 200] [--json]

What it does (issue 4, section 6):

1. creates a private schema in the PostgreSQL database `test` on 127.0.0.1:5432 (`--server` for another),
   migrates it, creates a project, one runtime and a webhook subscription to a local receiver (a threaded
   HTTP server in this process, answering 204);
2. baseline: one `httpx.Client` sends the same signed requests to the receiver in a plain loop;
3. for 1 and then 2 `arabesque worker --concurrency N` processes (started idle, listening): commits
   `--effects` webhook outbox rows in one transaction and measures commit -> last delivery (effects/s) and,
   per delivery, commit -> arrival at the receiver (p50/p99: includes queueing behind the whole batch);
   then `--paced` rows committed one per transaction at a steady low rate, for the unloaded latency;
4. prints the table (ratio = worker effects/s / plain loop requests/s) and drops the schema.

A benchmark, not a test: nothing asserts on time. The receiver, the workers and PostgreSQL share the
machine's cores.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text

from arabesque.app.access.principal import Principal
from arabesque.app.definitions.create_definition import insert_definition
from arabesque.app.secrets.master_key import MasterKeys, generate_key
from arabesque.app.webhooks.subscriptions import create_subscription
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.cli.bootstrap import create_tenant
from arabesque.effects.webhook import encode_body, sign_headers
from arabesque.store import Database, OutboxEffect, upgrade

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "arabesque"
DEFINITION = {
    "id": "bench_noop",
    "name": "bench_noop",
    "version": 1,
    "definitionType": "statechart-json",
    "definition": {
        "id": "bench_noop_v1",
        "initial": "idle",
        "states": {"idle": {"on": {"GO": "done"}}, "done": {"type": "final"}},
    },
}


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.time()
                with recv.lock:
                    recv.arrivals.setdefault(self.headers.get("webhook-id") or "", now)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                del body

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, ids: set[str], timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if ids <= self.arrivals.keys():
                    return
            if time.monotonic() > deadline:
                raise SystemExit("timed out waiting for deliveries")
            time.sleep(0.005)


def _insert(db: Database, project: str, runtime: str, sub: str, url: str, n: int) -> tuple[set[str], float]:
    ids = set()
    with db.write() as s:
        for _ in range(n):
            eid = f"msg_{uuid.uuid4().hex}"
            ids.add(eid)
            s.add(
                OutboxEffect(
                    project_id=project,
                    runtime_id=runtime,
                    lock_key=f"bench:{eid}",
                    effect_id=eid,
                    effect_type="webhook",
                    plugin="workflow.completed",
                    subscription_id=sub,
                    payload={
                        "url": url,
                        "eventName": "workflow.completed",
                        "body": {"eventName": "workflow.completed", "id": eid, "data": {"x": 1}},
                    },
                )
            )
        s.execute(text("NOTIFY arabesque_outbox"))
    return ids, time.time()


def _cpu_seconds(procs: list[subprocess.Popen[bytes]]) -> float:
    """User + system CPU time of the worker processes so far (Linux /proc; 0 elsewhere)."""
    total = 0.0
    for p in procs:
        try:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _wait_recorded(db: Database, ids: set[str], timeout: float = 120.0) -> None:
    """Until every delivery of the batch is recorded (its row done), so the CPU figure includes recording."""
    deadline = time.monotonic() + timeout
    while True:
        with db.read() as s:
            left = s.scalar(
                select(func.count())
                .select_from(OutboxEffect)
                .where(OutboxEffect.effect_id.in_(ids), OutboxEffect.status != "done")
            )
        if not left or time.monotonic() > deadline:
            return
        time.sleep(0.05)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--effects", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--paced", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    schema = f"arb_wbench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.server)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{args.server}?options=-csearch_path%3D{schema}"
    key = os.environ.get("ARABESQUE_SECRET_KEY") or generate_key()  # the workers below open the same secrets
    db = Database(url, secret_box=MasterKeys(key).secret_box())
    procs: list[subprocess.Popen[bytes]] = []
    rows: list[dict[str, Any]] = []
    try:
        upgrade(db.engine)
        project = create_tenant(db, "bench")
        with db.write() as s:
            insert_definition(s, project, DEFINITION, created_by="bench")
        who = Principal(project, "bench")
        runtime = run_workflow(
            db,
            who,
            {
                "workflowId": "bench_noop",
                "context": {"entity": {"type": "business", "id": "bench", "data": {"companyName": "Bench"}}},
            },
        )["workflowRuntimeId"]
        rx = Receiver()
        sub = create_subscription(db, who, rx.url, ["workflow.completed"])

        # baseline: a plain httpx loop, same bodies and signing
        with httpx.Client() as client:
            started = time.perf_counter()
            for i in range(args.effects):
                content = encode_body({"eventName": "workflow.completed", "id": str(i), "data": {"x": 1}})
                client.post(
                    rx.url, content=content, headers=sign_headers(f"base_{i}", content, sub["secret"], time.time())
                )
            baseline = args.effects / (time.perf_counter() - started)

        env = {
            **os.environ,
            "ARABESQUE_DATABASE_URL": url,
            "ARABESQUE_SECRET_KEY": key,
            "ARABESQUE_ALLOW_PRIVATE_URLS": "true",
        }
        for workers in (1, 2):
            while len(procs) < workers:
                procs.append(
                    subprocess.Popen(
                        [str(BIN), "worker", "--concurrency", str(args.concurrency)],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            time.sleep(2.0)  # let the workers start and LISTEN (a benchmark, not a test)
            cpu_before = _cpu_seconds(procs)
            ids, committed = _insert(db, project, runtime, sub["id"], rx.url, args.effects)
            rx.wait(ids)
            last = max(rx.arrivals[i] for i in ids)
            _wait_recorded(db, ids)
            cpu_ms = (_cpu_seconds(procs) - cpu_before) * 1000 / args.effects
            bulk_lat = [(rx.arrivals[i] - committed) * 1000 for i in ids]
            rate = args.effects / (last - committed)
            paced: list[float] = []
            for _ in range(args.paced):
                one, at = _insert(db, project, runtime, sub["id"], rx.url, 1)
                rx.wait(one)
                paced.append((rx.arrivals[next(iter(one))] - at) * 1000)
                time.sleep(0.01)
            rows.append(
                {
                    "workers": workers,
                    "effects_per_s": rate,
                    "worker_cpu_ms_per_effect": cpu_ms,
                    "ratio": rate / baseline,
                    "bulk_p50_ms": _pct(bulk_lat, 50),
                    "bulk_p99_ms": _pct(bulk_lat, 99),
                    "paced_p50_ms": _pct(paced, 50),
                    "paced_p99_ms": _pct(paced, 99),
                }
            )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    if args.json:
        print(json.dumps({"baseline_req_per_s": baseline, "rows": rows}))
        return
    print(f"plain httpx loop: {baseline:,.0f} requests/s ({args.effects} requests, one client, sequential)")
    print(f"worker: {args.effects} webhook rows committed at once; then {args.paced} committed one at a time")
    print(
        "| workers (x threads) | effects/s | ratio vs httpx loop | worker CPU ms/effect "
        "| commit->delivery p50 / p99 (batch) | commit->delivery p50 / p99 (paced) |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workers']} (x{args.concurrency}) | {r['effects_per_s']:,.0f} | {r['ratio']:.2f} "
            f"| {r['worker_cpu_ms_per_effect']:.2f} "
            f"| {r['bulk_p50_ms']:,.0f} / {r['bulk_p99_ms']:,.0f} ms "
            f"| {r['paced_p50_ms']:.1f} / {r['paced_p99_ms']:.1f} ms |"
        )
    _ = statistics


if __name__ == "__main__":
    main()
