"""How much CPU the run and event use cases spend above the database driver, in one process.

    .venv/bin/python bench/driver_floor.py [--transactions 2000] [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

For the service benchmark's ratio (bench/README.md, issue 3 section 6) the question is what share of a
request's CPU is the driver's and the kernel's, which no Python service avoids, and what share is ours.
On a fresh database `arabesque_floor` (dropped afterwards) this measures CPU time (`time.process_time`,
user + system, one thread, no HTTP) per transaction for:

- `driver`: plain psycopg on one connection issuing the statements a run issues (the key, the definition,
  the business upsert, the webhook subscriptions, the runtime, two audit rows in one INSERT, commit), and
  those of an event (the key, the runtime `FOR UPDATE`, its UPDATE, one audit row, commit), with the same
  JSON documents;
- `use case`: `run_workflow` and `send_event` as the API calls them (an API key checked in the
  transaction, a pooled connection, the engine step, the audit and outbox logic);
- `bare ASGI`: the HTTP floor, a bare ASGI application under `uvicorn` (httptools, uvloop, one process) that
  reads the seed payload's body, parses it, runs a no-op in the threadpool and answers a small JSON body,
  driven by service_bench.py's client at concurrency 32: server CPU per request.

This is a benchmark, not a test: nothing asserts on time. Compare the two rows of one run.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service_bench import ADMIN_URL, SEED, fire, free_port, process_tree_cpu, psql, run_body

DB_NAME = "arabesque_floor"
EVENT_PAYLOAD = {"context": {"review": {"note": "bench event", "n": 0}}}


def per_transaction(fn: Callable[[int], Any], n: int, warmup: int = 200) -> float:
    """CPU milliseconds per call of `fn(i)`, after `warmup` unmeasured calls."""
    for i in range(warmup):
        fn(-1 - i)
    start = time.process_time()
    for i in range(n):
        fn(i)
    return (time.process_time() - start) / n * 1000


def driver_floor(url: str, n: int) -> tuple[float, float]:
    import psycopg
    from psycopg.types.json import Jsonb

    tag = uuid.uuid4().hex[:8]
    with psycopg.connect(url) as conn:
        project, key_hash = conn.execute("SELECT project_id, key_hash FROM api_key LIMIT 1").fetchone()  # type: ignore[misc]
        (defpk,) = conn.execute(  # type: ignore[misc]
            "SELECT pk FROM workflow_definition WHERE id = %s AND project_id = %s", (SEED["workflowId"], project)
        ).fetchone()
        conn.commit()
        context = SEED["context"]
        runtimes: list[str] = []

        def run(i: int) -> None:
            with conn.transaction():
                conn.execute(
                    "SELECT project_id, prefix, expires_at, revoked_at FROM api_key WHERE key_hash = %s", (key_hash,)
                ).fetchone()
                conn.execute(
                    "SELECT pk, id, project_id, name, version, created_at FROM workflow_definition "
                    "WHERE (project_id = %s OR is_public IS true) AND (id = %s OR name = %s)",
                    (project, SEED["workflowId"], SEED["workflowId"]),
                ).fetchall()
                (business,) = conn.execute(  # type: ignore[misc]
                    "INSERT INTO business (id, project_id, correlation_id, company_name, data, approval_state, "
                    "created_at, updated_at) VALUES (%s, %s, %s, %s, %s, 'NEW', now(), now()) "
                    "ON CONFLICT (project_id, correlation_id) DO UPDATE SET company_name = excluded.company_name, "
                    "data = excluded.data, updated_at = excluded.updated_at RETURNING id",
                    (str(uuid.uuid4()), project, f"floor-{tag}-{i}", "TILL", Jsonb(context["entity"]["data"])),
                ).fetchone()
                conn.execute(
                    "SELECT id, url, events FROM webhook_subscription WHERE project_id = %s AND deleted_at IS NULL",
                    (project,),
                ).fetchall()
                runtime = str(uuid.uuid4())
                conn.execute(
                    "INSERT INTO workflow_runtime (id, project_id, definition_pk, definition_id, definition_name, "
                    "definition_version, business_id, state, status, context, config, tags, pending, seq, "
                    "event_count, created_by, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, 1, %s, "
                    "'manual_review', 'active', %s, %s, %s, %s, 0, 2, 'floor', now(), now())",
                    (
                        runtime,
                        project,
                        defpk,
                        SEED["workflowId"],
                        SEED["workflowId"],
                        business,
                        Jsonb(context),
                        Jsonb({"initialEvent": "START"}),
                        Jsonb(["manual_review"]),
                        Jsonb({}),
                    ),
                )
                conn.execute(
                    "INSERT INTO runtime_event (runtime_id, project_id, seq, kind, actor, event, from_state, "
                    "to_state, details, created_at) VALUES (%s, %s, 1, 'created', 'floor', NULL, NULL, 'idle', "
                    "%s, now()), (%s, %s, 2, 'event', 'floor', 'START', 'idle', 'manual_review', %s, now())",
                    (runtime, project, Jsonb({"definitionVersion": 1}), runtime, project, Jsonb({})),
                )
            if i >= 0:
                runtimes.append(runtime)

        def event(i: int) -> None:
            runtime = runtimes[max(i, 0)]
            with conn.transaction():
                conn.execute(
                    "SELECT project_id, prefix, expires_at, revoked_at FROM api_key WHERE key_hash = %s", (key_hash,)
                ).fetchone()
                (count, ctx) = conn.execute(  # type: ignore[misc]
                    "SELECT event_count, context FROM workflow_runtime WHERE id = %s AND project_id = %s "
                    "AND parent_runtime_id IS NULL FOR UPDATE",
                    (runtime, project),
                ).fetchone()
                conn.execute(
                    "UPDATE workflow_runtime SET context = %s, event_count = %s, updated_at = now() WHERE id = %s",
                    (Jsonb({**ctx, **EVENT_PAYLOAD["context"]}), count + 1, runtime),
                )
                conn.execute(
                    "INSERT INTO runtime_event (runtime_id, project_id, seq, kind, actor, event, from_state, "
                    "to_state, details, created_at) VALUES (%s, %s, %s, 'event', 'floor', 'UPDATE_CONTEXT', "
                    "'manual_review', 'manual_review', %s, now())",
                    (runtime, project, count + 1, Jsonb({"contextChanged": True, "payload": EVENT_PAYLOAD})),
                )

        return per_transaction(run, n), per_transaction(event, n)


def use_cases(sa_url: str, n: int) -> tuple[float, float]:
    from arabesque.app.access.api_keys import create_api_key
    from arabesque.app.access.principal import ApiKeyCredentials
    from arabesque.app.workflows.run_workflow import run_workflow
    from arabesque.app.workflows.send_event import send_event
    from arabesque.store import Database

    db = Database(sa_url)
    who = ApiKeyCredentials(create_api_key(db, name="floor").key)
    tag = uuid.uuid4().hex[:8]
    runtimes: list[str] = []

    def run(i: int) -> None:
        body = copy.deepcopy(SEED)
        body["context"]["entity"]["id"] = f"floor-uc-{tag}-{i}"
        runtime = run_workflow(db, who, body)["workflowRuntimeId"]
        if i >= 0:
            runtimes.append(runtime)

    def event(i: int) -> None:
        send_event(db, who, runtimes[max(i, 0)], "UPDATE_CONTEXT", EVENT_PAYLOAD)

    try:
        return per_transaction(run, n), per_transaction(event, n)
    finally:
        db.dispose()


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The HTTP floor: what any ASGI service pays per request before doing its own work."""
    import anyio.to_thread

    if scope["type"] != "http":
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = json.loads(b"".join(chunks))
    await anyio.to_thread.run_sync(lambda: None)
    out = json.dumps({"workflowId": body["workflowId"], "workflowRuntimeId": str(uuid.uuid4())}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": out})


def asgi_floor(n: int) -> float:
    import asyncio

    import httpx

    port = free_port()
    cmd = [
        str(Path(sys.executable).parent / "uvicorn"),
        "driver_floor:bare_app",
        "--app-dir",
        str(Path(__file__).parent),
    ]
    cmd += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(f"http://127.0.0.1:{port}/", json=SEED, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

        class Target:  # what service_bench.fire needs of a server
            api_key = "none"

            def __init__(self) -> None:
                self.port = port

            def cpu(self) -> float:
                return process_tree_cpu(proc.pid)

        target = Target()
        asyncio.run(fire(target, 32, 500, lambda i: run_body("warm", i)))  # type: ignore[arg-type]
        load = asyncio.run(fire(target, 32, n, lambda i: run_body("m", i)))  # type: ignore[arg-type]
        return load.server_cpu_s / n * 1000
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=2000, help="measured transactions per row")
    parser.add_argument("--admin-url", default=ADMIN_URL)
    args = parser.parse_args()
    url = args.admin_url.rsplit("/", 1)[0] + f"/{DB_NAME}"
    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    psql(args.admin_url, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(args.admin_url, f"CREATE DATABASE {DB_NAME}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "ARABESQUE_DATABASE_URL": sa_url,
                "ARABESQUE_DATA_DIR": tmp,
                "ARABESQUE_SECRET_KEY": "driver-floor-benchmark-key-" + uuid.uuid4().hex,  # required on PostgreSQL
            }
            seed = "from arabesque.cli.serve import open_service; open_service().db.dispose()"
            subprocess.run([sys.executable, "-c", seed], env=env, check=True, capture_output=True, timeout=120)
        psql(url, "ANALYZE")
        driver = driver_floor(url, args.transactions)
        ours = use_cases(sa_url, args.transactions)
    finally:
        psql(args.admin_url, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    http = asgi_floor(args.transactions * 2)
    print(f"CPU ms per transaction, {args.transactions} transactions each, one thread, PostgreSQL, no HTTP\n")
    print("| | run | event |\n|---|---|---|")
    print(f"| driver (psycopg, the same statements) | {driver[0]:.3f} | {driver[1]:.3f} |")
    print(f"| use case (run_workflow / send_event) | {ours[0]:.3f} | {ours[1]:.3f} |")
    print(f"| above the driver | {ours[0] - driver[0]:.3f} | {ours[1] - driver[1]:.3f} |")
    print(f"| bare ASGI app under uvicorn, server CPU per request (HTTP floor) | {http:.3f} | {http:.3f} |")
    print(json.dumps({"driver": driver, "use_case": ours, "bare_asgi": http}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
