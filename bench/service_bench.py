"""The service on PostgreSQL: `POST /run` and `POST /{id}/event` at concurrency 32 vs pgbench, in the same run.

    .venv/bin/python bench/service_bench.py [--requests 3000] [--concurrency 32] [--pgbench-seconds 15]
        [--server serve|uvicorn] [--workers 2] [--threads N] [--repeats 1] [--keep] [--verbose] [--json]
        [--open-rate 100] [--open-seconds 30] [--no-open-loop] [--overload] [--overload-factor 3]

What it does, in order (issue 3, section 6):

1. creates the database `arabesque_bench_<pid>` on 127.0.0.1:5432 (`--admin-url` for another server);
2. starts the server against it with `ARABESQUE_DATA_DIR` in a temporary directory:
   `--server serve` (default) runs `arabesque serve` as a user deploys it (one process; `--workers` and
   `--no-worker` are passed when `serve --help` lists them); `--server uvicorn` runs
   `uvicorn --factory --workers N` over the same application (what a 2-core deployment behind
   uvicorn's process manager would run). It reads the API key printed at first start and waits for
   `/api/v1/_health/ready`;
3. fires `--requests` runs of the seed payload (a new `entity.id` per request, so every run creates a
   business and a runtime) at `--concurrency` clients (asyncio, one keep-alive HTTP/1.1 connection each),
   after a short unmeasured warm-up and an `ANALYZE`; then pgbench runs the same statements (captured
   from the API with a SQLAlchemy cursor listener, see RUN_SCRIPT) on the same database with
   `-c concurrency -j 2 -M prepared` for `--pgbench-seconds`;
4. the same for `POST /{id}/event` (`UPDATE_CONTEXT` on the runtimes the run phase created, one runtime
   per request) against EVENT_SCRIPT on copies of such runtimes (each pgbench client on its own runtimes);
5. open loop (unless `--no-open-loop`): runs, then events, sent at a fixed arrival rate (`--open-rate` per
   second for `--open-seconds`, bench/open_loop.py), latencies counted from when each request was due;
6. `--overload`: runs offered at `--overload-factor` times the capacity the closed-loop run phase measured, for
   `--open-seconds`: how many were accepted and how fast, how fast the excess was refused (503), the slowest
   answer, and how many seconds after the load ends probes are answered within the open-loop p99 again;
7. prints a table and cleans up (stops the server, drops the database; `--keep` keeps it). With `--json`, the
   last line is one JSON object: `{"run": {"rps", "p50_ms", "p99_ms", "pgbench_tps", "ratio", ...}, "event":
   {...}, "open_loop": {"run": {...}, "event": {...}}, "overload": {...}}` (medians over `--repeats`).

This is a benchmark, not a test: nothing asserts on time. The load generator, the server and PostgreSQL
share the machine's cores, so the client's own CPU time is printed next to the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from http1 import Connection
from open_loop import OpenLoop, open_loop, recovery_seconds

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DB_NAME = f"arabesque_bench_{os.getpid()}"  # one per run: two benchmarks at once never drop each other's
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFINITION = "till_basic_kyb_demo"
# The seed payload (a new `entity.id` per request below); tests/service_fixtures.py reads the same file.
SEED: dict[str, Any] = json.loads((ROOT / "examples" / "requests" / "run-seed.json").read_text())
assert SEED["workflowId"] == DEFINITION
WARMUP = 100  # unmeasured requests before each measured phase (connections, caches, psycopg prepares)

# The statements the API issues for one run and for one event, in order, as captured from the engine's
# `before_cursor_execute` (PostgreSQL, the seed payload with a new entity.id; re-captured 2026-12-02 15:45 UTC
# after the runtime repository, whose UPDATE sets only the columns that changed; tests/api/test_statement_counts.py
# pins the counts: 6 per run, 4 per event). Re-capture them when the use cases change, or the comparison drifts.
# psycopg prepares statements server-side after 5 executions on a connection, hence pgbench `-M prepared`.
# Client-side values (uuids, timestamps) become `md5(...)::uuid` ids and `now()`; the JSON documents
# are the ones the API writes for the seed payload. The API key is checked inside the use case's
# transaction. A run's two audit rows are one multi-row INSERT. Not mirrored: a pooled connection idle
# for over 2 s is pinged (`SELECT 1`) at checkout, which a busy server never does.
DEF_COLS = (
    "workflow_definition.pk, workflow_definition.id, workflow_definition.project_id, "
    "workflow_definition.name, workflow_definition.version, workflow_definition.created_at"
)
RT_COLUMNS = (
    "id, project_id, definition_pk, definition_id, definition_name, definition_version, business_id, "
    "end_user_id, assignee_id, assigned_at, parent_runtime_id, state, status, context, config, tags, pending, "
    "seq, event_count, created_by, created_at, updated_at, resolved_at"
)
RT_COLS = ", ".join(f"workflow_runtime.{c.strip()}" for c in RT_COLUMNS.split(","))
EVENT_COLS = "runtime_id, project_id, seq, kind, actor, event, from_state, to_state, details, created_at"
AUTH = (
    "SELECT api_key.project_id, api_key.prefix, api_key.expires_at, api_key.revoked_at FROM api_key "
    "WHERE api_key.key_hash = :keyhash;\n"
)
WEBHOOKS = (
    "SELECT webhook_subscription.id, webhook_subscription.url, webhook_subscription.events "
    "FROM webhook_subscription WHERE webhook_subscription.project_id = :project "
    "AND webhook_subscription.deleted_at IS NULL;\n"
)
ENTITY_DATA = json.dumps(SEED["context"]["entity"]["data"])
RUN_ENTITY = {**SEED["context"]["entity"], "id": "bench-m-0000", "ballerineEntityId": "00000000-0000-4000-8000-0000"}
RUN_CONTEXT = json.dumps({**SEED["context"], "entity": RUN_ENTITY})
RUN_CONFIG = '{"initialEvent": "START", "workflowLevelResolution": true}'
BUSINESS_ID = "md5('b' || CAST(:rid AS text))::uuid::text"
RUNTIME_ID = "md5('r' || CAST(:rid AS text))::uuid::text"
RUN_SCRIPT = f"""\\set rid random(1, 9000000000000000000)
BEGIN;
{AUTH}SELECT {DEF_COLS} FROM workflow_definition WHERE (workflow_definition.project_id = :project OR \
workflow_definition.is_public IS true) AND (workflow_definition.id = :defid OR workflow_definition.name = :defid);
INSERT INTO business (id, project_id, correlation_id, company_name, data, approval_state, created_at, updated_at) \
VALUES ({BUSINESS_ID}, :project, 'bench-' || CAST(:rid AS text), 'TILL COMPANY LIMITED', '{ENTITY_DATA}'::jsonb, \
'NEW', now(), now()) ON CONFLICT (project_id, correlation_id) DO UPDATE SET company_name = excluded.company_name, \
data = excluded.data, updated_at = excluded.updated_at RETURNING business.id;
{WEBHOOKS}INSERT INTO workflow_runtime ({RT_COLUMNS}) VALUES ({RUNTIME_ID}, :project, :defpk, :defid, :defid, 1, \
{BUSINESS_ID}, NULL, NULL, NULL, NULL, 'manual_review', 'active', '{RUN_CONTEXT}'::jsonb, '{RUN_CONFIG}'::jsonb, \
'["manual_review"]'::jsonb, '{{}}'::jsonb, 0, 2, :actor, now(), now(), NULL);
INSERT INTO runtime_event ({EVENT_COLS}) VALUES ({RUNTIME_ID}, :project, 1, 'created', :actor, NULL, NULL, 'idle', \
'{{"definitionVersion": 1}}'::jsonb, now()), ({RUNTIME_ID}, :project, 2, 'event', :actor, 'START', \
'idle', 'manual_review', '{{"contextChanged": false}}'::jsonb, now());
COMMIT;
"""
EVENT_PAYLOAD: dict[str, Any] = {"context": {"review": {"note": "bench event", "n": 0}}}
EVENT_CONTEXT = json.dumps({**json.loads(RUN_CONTEXT), **EVENT_PAYLOAD["context"]})
EVENT_DETAILS = json.dumps({"contextChanged": True, "payload": EVENT_PAYLOAD})
PGB_RUNTIME = "'pgb-' || CAST(:n AS text)"
EVENT_SCRIPT = f"""\\set n :client_id + 1 + :clients * random(0, :per_client - 1)
BEGIN;
{AUTH}SELECT {RT_COLS} FROM workflow_runtime WHERE workflow_runtime.id = {PGB_RUNTIME} AND \
workflow_runtime.project_id = :project AND workflow_runtime.parent_runtime_id IS NULL FOR UPDATE \\gset rt_
\\set seq :rt_event_count + 1
UPDATE workflow_runtime SET context = '{EVENT_CONTEXT}'::jsonb, event_count = :seq, updated_at = now() \
WHERE workflow_runtime.id = {PGB_RUNTIME};
INSERT INTO runtime_event ({EVENT_COLS}) VALUES ({PGB_RUNTIME}, :project, :seq, 'event', :actor, 'UPDATE_CONTEXT', \
'manual_review', 'manual_review', '{EVENT_DETAILS}'::jsonb, now());
COMMIT;
"""


@dataclass
class Load:
    """One measured phase of HTTP requests."""

    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    machine_busy: float = 0.0  # share of all cores busy during the phase (everything on the machine)
    machine_steal: float = 0.0  # share of the cores' time the hypervisor gave to other machines
    first_error: str = ""

    @property
    def rate(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


@dataclass
class Pgbench:
    tps: float = 0.0
    transactions: int = 0
    failed: int = 0
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    machine_busy: float = 0.0
    machine_steal: float = 0.0
    per_statement: str = ""
    error: str = ""


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def machine_ticks() -> tuple[int, int, int]:
    """(busy, total, stolen) jiffies over all cores, from /proc/stat. Stolen time (a VM's cores running another
    machine) counts as busy: on a noisy host it is why one repetition differs from the next."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total, fields[7] if len(fields) > 7 else 0


def busy_share(before: tuple[int, int, int], after: tuple[int, int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def steal_share(before: tuple[int, int, int], after: tuple[int, int, int]) -> float:
    total = after[1] - before[1]
    return (after[2] - before[2]) / total if total else 0.0


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of `pid` and its live children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        parts = stat[stat.rindex(")") + 2 :].split()
        total += (int(parts[11]) + int(parts[12])) / ticks
    return total


def psql(url: str, sql: str) -> str:
    out = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], capture_output=True, text=True, timeout=120
    )
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def app_factory() -> Any:
    """`uvicorn --factory service_bench:app_factory`: the application each process of `arabesque serve` serves
    (`ARABESQUE_API_THREADS` threads per process, 4 unless set; no access lines: `ARABESQUE_ACCESS_LOG=false`)."""
    from arabesque.asgi import app_from_env

    return app_from_env()


class Server:
    """The server under test, started against `db_url` with its data directory in `tmp`."""

    def __init__(self, mode: str, workers: int, db_url: str, tmp: Path, threads: int | None = None) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "ARABESQUE_DATABASE_URL": db_url,
            "ARABESQUE_DATA_DIR": str(tmp / "data"),
            # required on PostgreSQL (the key for secrets at rest); one per server under test
            "ARABESQUE_SECRET_KEY": os.environ.get("ARABESQUE_SECRET_KEY") or secrets.token_urlsafe(48),
            "PYTHONUNBUFFERED": "1",
            "ARABESQUE_ACCESS_LOG": "false",  # the figures are about the API path, as before access lines
        }
        self.log_path = tmp / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.api_key = ""
        self.notes: list[str] = []
        serve_help = subprocess.run(
            [str(VENV_BIN / "arabesque"), "serve", "--help"], capture_output=True, text=True, env=self.env, timeout=60
        ).stdout
        self.has_no_worker = "--no-worker" in serve_help
        if mode == "serve":
            self.cmd = [str(VENV_BIN / "arabesque"), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            if "--workers" in serve_help and workers > 1:
                self.cmd += ["--workers", str(workers)]
                self.describe = f"arabesque serve --workers {workers}"
            else:
                self.describe = "arabesque serve (1 process: serve has no --workers option)"
            if threads is not None and "--threads" in serve_help:
                self.cmd += ["--threads", str(threads)]
                self.describe += f" --threads {threads}"
            if self.has_no_worker:
                self.cmd.append("--no-worker")
                self.describe += " --no-worker (in-process outbox worker off: the API path only)"
        else:
            self.cmd = [
                str(VENV_BIN / "uvicorn"),
                "--factory",
                "service_bench:app_factory",
                "--app-dir",
                str(ROOT / "bench"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--log-level",
                "info",
            ]
            self.describe = f"uvicorn --factory --workers {workers} over arabesque.asgi.create_app (seeded in-process)"
            if threads is not None:
                self.env["ARABESQUE_API_THREADS"] = str(threads)
                self.describe += f", {threads} threads per process"
            if self.has_no_worker:
                self.notes.append("serve has --no-worker; the uvicorn factory starts no outbox worker")

    def start(self) -> None:
        if self.cmd[0].endswith("uvicorn"):
            self.api_key = self._seed_in_process()
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT, start_new_session=True
            )
        deadline = time.monotonic() + 120
        url = f"{self.base}/api/v1/_health/ready"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_path.read_text()[-3000:]}")
            if not self.api_key:
                match = re.search(r"API key \(shown once\): (\S+)", self.log_path.read_text())
                if match:
                    self.api_key = match.group(1)
            if self.api_key:
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready within 120 s:\n{self.log_path.read_text()[-3000:]}")

    def _seed_in_process(self) -> str:
        code = (
            "from arabesque.cli.serve import open_service\n"
            "s = open_service()\n"
            "print('API key (shown once):', s.first_start.api_key if s.first_start else '')\n"
        )
        out = subprocess.run(
            [str(VENV_BIN / "python"), "-c", code], capture_output=True, text=True, env=self.env, cwd=ROOT, timeout=120
        )
        match = re.search(r"API key \(shown once\): (\S+)", out.stdout)
        if out.returncode != 0 or not match:
            raise RuntimeError(f"seeding failed: {out.stderr[-2000:]}")
        return match.group(1)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return process_tree_cpu(self.proc.pid) if self.proc is not None else 0.0

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


async def fire(server: Server, concurrency: int, requests: int, make: Any, keep: list[Any] | None = None) -> Load:
    """`requests` POSTs from `concurrency` clients; `make(i)` gives (path, body); returns the measured Load."""
    load = Load(requests=requests)
    counter = iter(range(requests))
    bodies = [make(i) for i in range(requests)]  # built before the clock starts
    connections = [Connection("127.0.0.1", server.port, server.api_key) for _ in range(concurrency)]

    async def worker(conn: Connection) -> None:
        for i in counter:
            path, body = bodies[i]
            payload = json.dumps(body).encode()
            t0 = time.perf_counter()
            try:
                status, data = await conn.post(path, payload)
                ok = status == 200
                text = "" if ok else f"{status} {data[:300]!r}"
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                ok, text, data = False, repr(exc), b""
                await conn.close()
            load.latencies_ms.append((time.perf_counter() - t0) * 1000)
            if not ok:
                load.errors += 1
                load.first_error = load.first_error or text
            elif keep is not None:
                keep.append(json.loads(data))

    cpu0, srv0, ticks0, t0 = time.process_time(), server.cpu(), machine_ticks(), time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    load.seconds = time.perf_counter() - t0
    load.client_cpu_s = time.process_time() - cpu0
    load.server_cpu_s = server.cpu() - srv0
    ticks1 = machine_ticks()
    load.machine_busy, load.machine_steal = busy_share(ticks0, ticks1), steal_share(ticks0, ticks1)
    for conn in connections:
        await conn.close()
    return load


def pgbench(
    script: str, url: str, variables: dict[str, str], concurrency: int, seconds: int, tmp: Path, name: str
) -> Pgbench:
    path = tmp / f"{name}.sql"
    path.write_text(script)
    logdir = tmp / f"{name}-log"
    logdir.mkdir()
    exe = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    cmd = [exe, "-n", "-M", "prepared", "-c", str(concurrency), "-j", "2", "-T", str(seconds), "-r", "-f", str(path)]
    cmd += ["-l", "--log-prefix", str(logdir / "pgbench")]
    for k, v in variables.items():
        cmd += ["-D", f"{k}={v}"]
    ticks0 = machine_ticks()
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 120)
    ticks1 = machine_ticks()
    result = Pgbench(machine_busy=busy_share(ticks0, ticks1), machine_steal=steal_share(ticks0, ticks1))
    if out.returncode != 0:
        result.error = (out.stderr or out.stdout)[-2000:]
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    processed = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    result.tps = float(tps.group(1)) if tps else 0.0
    result.transactions = int(processed.group(1)) if processed else 0
    result.failed = int(failed.group(1)) if failed else 0
    latencies: list[float] = []
    for log in logdir.iterdir():
        for line in log.read_text().splitlines()[:1_000_000]:
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                latencies.append(int(parts[2]) / 1000)
    result.p50_ms = percentile(latencies, 0.50)
    result.p99_ms = percentile(latencies, 0.99)
    stmts = out.stdout.split("statement latencies in milliseconds", 1)
    result.per_statement = stmts[1].strip() if len(stmts) == 2 else ""
    return result


def run_body(tag: str, i: int) -> tuple[str, dict[str, Any]]:
    body = json.loads(json.dumps(SEED))
    body["context"]["entity"]["id"] = f"bench-{tag}-{i}"
    return "/api/v1/external/workflows/run", body


def event_body(runtimes: list[str], i: int) -> tuple[str, dict[str, Any]]:
    payload = {"context": {"review": {"note": "bench event", "n": i}}}
    return f"/api/v1/external/workflows/{runtimes[i % len(runtimes)]}/event", {
        "name": "UPDATE_CONTEXT",
        "payload": payload,
    }


def pgbench_variables(db_url: str, key: str) -> dict[str, str]:
    import hashlib

    project = psql(db_url, "SELECT id FROM project ORDER BY created_at LIMIT 1")
    defpk = psql(db_url, f"SELECT pk FROM workflow_definition WHERE id = '{DEFINITION}' AND project_id = '{project}'")
    prefix = psql(db_url, "SELECT prefix FROM api_key ORDER BY created_at LIMIT 1")
    return {
        "project": project,
        "defid": DEFINITION,
        "defpk": defpk,
        "keyhash": hashlib.sha256(key.encode()).hexdigest(),
        "actor": f"api-key:{prefix}",
    }


def copy_runtimes(db_url: str, template: str, count: int) -> None:
    """`count` copies of runtime `template` with ids pgb-1..pgb-count, for the pgbench event script."""
    cols = [c.strip() for c in RT_COLUMNS.split(",")]
    select = ", ".join("'pgb-' || g" if c == "id" else c for c in cols)
    psql(
        db_url,
        f"INSERT INTO workflow_runtime ({RT_COLUMNS}) SELECT {select} FROM workflow_runtime, "
        f"generate_series(1, {count}) AS g WHERE workflow_runtime.id = '{template}'",
    )


def fmt(x: float, digits: int = 1) -> str:
    return "n/a" if math.isnan(x) else f"{x:,.{digits}f}"


# Issue 10's targets for API ÷ pgbench (the earlier 0.4 and p99 ≤ 50 ms at 32 clients are retired: bench/README.md).
RATIO_TARGETS = {"POST /workflows/run": 0.35, "POST /workflows/{id}/event": 0.30}


def report(rows: list[tuple[str, Load, Pgbench]], server: Server, args: argparse.Namespace) -> str:
    lines = [
        f"server: {server.describe}",
        *[f"note: {n}" for n in server.notes],
        f"client: asyncio, {args.concurrency} keep-alive connections, {args.requests} requests per endpoint "
        f"(after {WARMUP} unmeasured); pgbench -c {args.concurrency} -j 2 -M prepared -T {args.pgbench_seconds}",
        f"machine: {os.cpu_count()} cores, PostgreSQL on 127.0.0.1, {time.strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        "| endpoint | API req/s | p50 ms | p99 ms | errors | pgbench TPS | pgbench p50/p99 ms | API ÷ pgbench "
        "| target ratio (issue 10) | CPU busy API / pgbench | CPU stolen API / pgbench "
        "| server CPU ms/req (target ≤ 1.15) | client CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, load, pg in rows:
        ratio = load.rate / pg.tps if pg.tps else math.nan
        p50, p99 = percentile(load.latencies_ms, 0.5), percentile(load.latencies_ms, 0.99)
        target = RATIO_TARGETS[name.split(" #")[0]]
        ok_ratio = "met" if ratio >= target else "missed"
        done = max(1, load.requests - load.errors)
        lines.append(
            f"| {name} | {fmt(load.rate)} | {fmt(p50)} | {fmt(p99)} | {load.errors} | {fmt(pg.tps)} "
            f"| {fmt(pg.p50_ms)} / {fmt(pg.p99_ms)} | {fmt(ratio, 3)} | ≥ {target} ({ok_ratio}) "
            f"| {load.machine_busy:.0%} / {pg.machine_busy:.0%} | {load.machine_steal:.0%} / {pg.machine_steal:.0%} "
            f"| {fmt(load.server_cpu_s * 1000 / done, 2)} "
            f"| {fmt(load.client_cpu_s * 1000 / done, 2)} |"
        )
    if args.repeats > 1:
        lines.append("")
        for endpoint in ("POST /workflows/run", "POST /workflows/{id}/event"):
            ratios = sorted(lo.rate / pg.tps for n, lo, pg in rows if n.startswith(endpoint + " ") and pg.tps)
            if ratios:
                listed = ", ".join(f"{r:.3f}" for r in ratios)
                lines.append(f"{endpoint}: median API ÷ pgbench {statistics.median(ratios):.3f} ({listed})")
    for name, load, pg in rows:
        if load.first_error:
            lines.append(f"{name}: first API error: {load.first_error}")
        if pg.error or pg.failed:
            lines.append(f"{name}: pgbench failed transactions {pg.failed}: {pg.error}")
        if args.verbose and pg.per_statement:
            lines += ["", f"pgbench per-statement latency ({name}):", pg.per_statement]
    return "\n".join(lines)


def open_loop_report(name: str, phase: OpenLoop) -> str:
    f = phase.summary()
    return (
        f"{name}: offered {f['offered_rps']:,.0f}/s for {f['seconds']:.0f} s ({f['offered']:,}): {f['ok']:,} ok, "
        f"{f['rejected_503']:,} refused (503), {f['failed']:,} failed; ok p50 {fmt(f['p50_ms'])} ms, p99 "
        f"{fmt(f['p99_ms'])} ms; 503 p99 {fmt(f['rejected_p99_ms'])} ms; slowest {fmt(f['slowest_ms'])} ms; "
        f"sends late p99 {fmt(f['late_p99_ms'])} ms; generator CPU {f['client_cpu_ms_per_request']:.3f} ms/request; "
        f"CPU stolen {f['machine_steal']:.0%}" + (f"; first error: {phase.first_error}" if phase.first_error else "")
    )


def closed_loop_figures(rows: list[tuple[str, Load, Pgbench]], endpoint: str) -> dict[str, float]:
    """The medians over the repetitions of one endpoint's closed-loop figures."""
    mine = [(lo, pg) for n, lo, pg in rows if n == endpoint or n.startswith(endpoint + " ")]
    if not mine:
        return {}

    def median(values: list[float]) -> float:
        return statistics.median(values) if values else math.nan

    done = [max(1, lo.requests - lo.errors) for lo, _ in mine]
    return {
        "rps": median([lo.rate for lo, _ in mine]),
        "p50_ms": median([percentile(lo.latencies_ms, 0.5) for lo, _ in mine]),
        "p99_ms": median([percentile(lo.latencies_ms, 0.99) for lo, _ in mine]),
        "pgbench_tps": median([pg.tps for _, pg in mine]),
        "ratio": median([lo.rate / pg.tps for lo, pg in mine if pg.tps]),
        "server_cpu_ms": median([lo.server_cpu_s * 1000 / d for (lo, _), d in zip(mine, done, strict=True)]),
        "client_cpu_ms": median([lo.client_cpu_s * 1000 / d for (lo, _), d in zip(mine, done, strict=True)]),
        "errors": sum(lo.errors for lo, _ in mine),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=1, help="measure each endpoint (API, then pgbench) N times")
    parser.add_argument("--server", choices=["serve", "uvicorn"], default="serve")
    parser.add_argument("--workers", type=int, default=2, help="processes, where the server mode supports it")
    parser.add_argument("--threads", type=int, help="serve --threads (threads per API process; default: serve's)")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="libpq URL of a database to run CREATE DATABASE from")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--verbose", action="store_true", help="also print pgbench's per-statement latencies")
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    parser.add_argument("--open-rate", type=float, default=100.0, help="open-loop arrival rate (requests/s)")
    parser.add_argument("--open-seconds", type=float, default=30.0, help="length of each open-loop phase")
    parser.add_argument("--no-open-loop", action="store_true", help="skip the open-loop phases")
    parser.add_argument("--overload", action="store_true", help="also offer runs above capacity (open loop)")
    parser.add_argument("--overload-factor", type=float, default=3.0, help="offered rate ÷ measured capacity")
    args = parser.parse_args()
    if min(args.requests, args.concurrency, args.pgbench_seconds, args.repeats) < 1:
        parser.error("--requests, --concurrency, --pgbench-seconds and --repeats must be positive")

    pg_url = args.admin_url.rsplit("/", 1)[0] + f"/{DB_NAME}"
    sa_url = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    psql(args.admin_url, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(args.admin_url, f"CREATE DATABASE {DB_NAME}")
    tmp = Path(tempfile.mkdtemp(prefix="arabesque-bench-"))
    server = Server(args.server, args.workers, sa_url, tmp, args.threads)
    rows: list[tuple[str, Load, Pgbench]] = []
    opened: dict[str, OpenLoop] = {}
    overload: dict[str, Any] = {}
    try:
        print(f"starting: {server.describe}", file=sys.stderr)
        server.start()
        variables = pgbench_variables(pg_url, server.api_key)

        def go(make: Any, n: int, keep: list[Any] | None = None) -> Load:
            return asyncio.run(fire(server, args.concurrency, n, make, keep))

        print("POST /run ...", file=sys.stderr)
        go(lambda i: run_body("warm", i), WARMUP)
        psql(pg_url, "ANALYZE")  # what autovacuum does within a minute in a deployment; see bench/README.md
        for rep in range(args.repeats):
            # Each repetition measures the API, then pgbench, per endpoint: the two sides of a row minutes apart.
            tag = f" #{rep + 1}" if args.repeats > 1 else ""
            created: list[dict[str, Any]] = []
            run_load = go(functools.partial(run_body, f"m{rep}"), args.requests, created)
            print(f"pgbench run{tag} ...", file=sys.stderr)
            run_pg = pgbench(RUN_SCRIPT, pg_url, variables, args.concurrency, args.pgbench_seconds, tmp, f"run{rep}")
            rows.append((f"POST /workflows/run{tag}", run_load, run_pg))

            runtimes = [c["workflowRuntimeId"] for c in created]
            if not runtimes:
                continue
            print(f"POST /{{id}}/event{tag} ...", file=sys.stderr)
            go(functools.partial(event_body, runtimes), WARMUP)
            event_load = go(lambda i, rts=runtimes: event_body(rts, i + WARMUP), args.requests)
            per_client = max(1, math.ceil(len(runtimes) / args.concurrency))
            if rep == 0:
                copy_runtimes(pg_url, runtimes[0], per_client * args.concurrency)
            print(f"pgbench event{tag} ...", file=sys.stderr)
            event_vars = {**variables, "clients": str(args.concurrency), "per_client": str(per_client)}
            event_pg = pgbench(
                EVENT_SCRIPT, pg_url, event_vars, args.concurrency, args.pgbench_seconds, tmp, f"event{rep}"
            )
            rows.append((f"POST /workflows/{{id}}/event{tag}", event_load, event_pg))

        def payload(make: Any) -> Any:
            def encoded(i: int) -> tuple[str, bytes]:
                path, body = make(i)
                return path, json.dumps(body).encode()

            return encoded

        def opened_at(rate: float, make: Any, then: Any = None) -> OpenLoop:
            host_port = ("127.0.0.1", server.port, server.api_key)
            ticks0 = machine_ticks()
            phase = asyncio.run(open_loop(*host_port, rate, args.open_seconds, payload(make), then=then))
            phase.machine_steal = steal_share(ticks0, machine_ticks())
            return phase

        if not args.no_open_loop or args.overload:
            print(f"open loop: runs at {args.open_rate:g}/s ...", file=sys.stderr)
            opened["run"] = opened_at(args.open_rate, functools.partial(run_body, "open"))
            if runtimes and not args.no_open_loop:
                print(f"open loop: events at {args.open_rate:g}/s ...", file=sys.stderr)
                opened["event"] = opened_at(args.open_rate, functools.partial(event_body, runtimes))
        if args.overload:
            capacity = closed_loop_figures(rows, "POST /workflows/run").get("rps", 0.0)
            rate = args.overload_factor * capacity
            offered = f"{rate:,.0f}/s ({args.overload_factor:g} x {capacity:,.0f}/s)"
            print(f"overload: runs at {offered} ...", file=sys.stderr)
            normal = opened["run"].summary()["p99_ms"]
            probe = payload(functools.partial(run_body, "probe"))

            def recovery() -> Any:  # from when the last request went out, while the backlog drains
                return recovery_seconds("127.0.0.1", server.port, server.api_key, probe, normal)

            phase = opened_at(rate, functools.partial(run_body, "over"), then=recovery)
            overload = {"capacity_rps": capacity, **phase.summary(), "normal_ms": normal}
            overload["recovery_s"] = phase.after_sending
            opened["overload"] = phase
    finally:
        server.stop()
        if not args.keep:
            psql(args.admin_url, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(rows, server, args))
    for name, phase in opened.items():
        print(open_loop_report(f"open loop {name}", phase))
    if overload:
        print(
            f"overload: back within the normal p99 ({fmt(overload['normal_ms'])} ms) {overload['recovery_s']:.1f} s "
            "after the last request was sent"
        )
    if args.json:
        figures: dict[str, Any] = {
            "run": closed_loop_figures(rows, "POST /workflows/run"),
            "event": closed_loop_figures(rows, "POST /workflows/{id}/event"),
            "open_loop": {name: p.summary() for name, p in opened.items() if name != "overload"},
        }
        if overload:
            figures["overload"] = overload
        print(json.dumps(figures, allow_nan=True, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
