"""Schemathesis against a real `arabesque serve`: every operation of the OpenAPI, bounded, on one database.

    .venv/bin/python tests/fuzz_api.py --database sqlite|postgresql [--examples 25] [--seed 20260901]

Starts `arabesque serve --no-worker` on a free loopback port over a fresh database (a new SQLite file, or a
new schema on the PostgreSQL server of the service tests), which loads the example definitions and prints
an API key on first start; gives the key's project a company registry (a stub on loopback, as its
`UNIFIED_API_URL` secret and on its egress allow-list), so `business-information` answers as configured rather
than 501; runs `st run --checks all` with that key; prints schemathesis's summary, then
the requests the server logged (total, 5xx) and the run time. Fails when schemathesis fails or the server
answered any 5xx or logged a traceback. `--no-worker`: generated webhook and plugin URLs must never be
called (this machine reaches no network but its own).

Schemathesis lives in its own virtualenv (`make fuzz` creates `.venv-fuzz`): it pins `jsonschema-rs`
below the version Arabesque needs.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("ARABESQUE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KEY_LINE = re.compile(r"API key \(shown once\): (\S+)")
STARTUP_SECONDS = 60
# Checks left out of `all`, each for a reason:
# - positive_data_acceptance (a request that fits the OpenAPI must not get a 400): what a request must satisfy
#   is not all static. A run's context is checked against the named definition's own `contextSchema`, an
#   event against the state's allowed events, a webhook URL must be http(s) and its events known ones, and
#   no string anywhere may hold a NUL or a lone surrogate, which JSON Schema cannot say of free-form objects.
#   The other direction, invalid data refused, stays checked (negative_data_rejection), as do server errors,
#   statuses, headers and response schemas.
EXCLUDED_CHECKS: tuple[str, ...] = ("positive_data_acceptance",)


def _json(line: str) -> dict[str, object]:
    """A log line of the server (one JSON object per line: its access lines, `event` "request", carry the status;
    a logged exception its `exception`); {} for anything else it printed."""
    try:
        entry = json.loads(line)
    except ValueError:
        return {}
    return entry if isinstance(entry, dict) else {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _database(kind: str, data_dir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{data_dir / 'arabesque.db'}"
        return
    admin = create_engine(PG_SERVER, connect_args={"connect_timeout": 5})
    schema = f"arb_fuzz_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # a missing PostgreSQL fails the run: CI requires it
        raise SystemExit(f"fuzz: PostgreSQL is required at {PG_SERVER}: {type(exc).__name__}: {exc}") from exc
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def _server(url: str, data_dir: Path, port: int) -> Iterator[str]:
    """`arabesque serve` on `port`; yields the API key it printed on first start."""
    env = {
        **os.environ,
        "ARABESQUE_DATABASE_URL": url,
        "ARABESQUE_DATA_DIR": str(data_dir),
        "ARABESQUE_SECRET_KEY": secrets.token_urlsafe(48),  # required on PostgreSQL
        "ARABESQUE_LOG_FORMAT": "json",  # the access lines read below
        "PYTHONUNBUFFERED": "1",
    }
    arabesque = str(ROOT / ".venv" / "bin" / "arabesque")
    command = [arabesque, "serve", "--no-worker", "--access-log", "--port", str(port)]
    log = (data_dir / "serve.log").open("w+")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        key = _wait_until_ready(proc, data_dir / "serve.log", port)
        yield key
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def _stub_registry() -> Iterator[str]:
    """A company registry on loopback that knows every company: the URL of its gateway."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = json.dumps({"name": "FUZZ LTD", "companyNumber": self.path.split("?")[0].rsplit("/", 1)[-1]})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body.encode())))
            self.end_headers()
            self.wfile.write(body.encode())

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _give_registry(url: str, port: int, key: str, registry: str) -> None:
    """The key's project uses `registry` (its secret `UNIFIED_API_URL`, through the API) and may reach loopback
    (its egress allow-list, which no route sets: written to the database)."""
    from arabesque.app.access.projects import EGRESS_HOSTS
    from arabesque.store import Database, ProjectSetting

    api = f"http://127.0.0.1:{port}/api/v1/external"
    auth = {"Authorization": f"Bearer {key}"}
    project = httpx.get(f"{api}/customers/me", headers=auth, timeout=10).raise_for_status().json()["project"]["id"]
    secret = {"key": "UNIFIED_API_URL", "value": registry}
    httpx.post(f"{api}/secrets", json=secret, headers=auth, timeout=10).raise_for_status()
    db = Database(url)
    try:
        with db.write() as s:
            s.add(ProjectSetting(project_id=project, key=EGRESS_HOSTS, value=["127.0.0.1"]))
    finally:
        db.dispose()


def _wait_until_ready(proc: subprocess.Popen[str], log: Path, port: int) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"arabesque serve exited with {proc.returncode}:\n{log.read_text()}")
        found = KEY_LINE.search(log.read_text())
        if found:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/_health/ready", timeout=2).status_code == 200:
                    return found.group(1)
            except httpx.TransportError:
                pass
        time.sleep(0.2)  # polling the server's start, not standing in for a result
    raise SystemExit(f"arabesque serve was not ready within {STARTUP_SECONDS}s:\n{log.read_text()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--examples", type=int, default=25, help="examples per operation and phase")
    parser.add_argument("--seed", type=int, default=20260901)
    parser.add_argument("--st", default=str(ROOT / ".venv-fuzz" / "bin" / "st"), help="schemathesis's `st`")
    parser.add_argument("--report-dir", type=Path, default=None, help="keep schemathesis's JUnit report here")
    args = parser.parse_args()
    if not Path(args.st).exists():
        print(f"schemathesis not found at {args.st} (`make fuzz` installs it)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="arabesque-fuzz-") as tmp:
        data_dir = Path(tmp)
        port = _free_port()
        started = time.monotonic()
        with _database(args.database, data_dir) as url, _server(url, data_dir, port) as key, _stub_registry() as reg:
            _give_registry(url, port, key, reg)
            command = [
                str(Path(args.st).resolve()),
                "run",
                f"http://127.0.0.1:{port}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--checks",
                "all",
                *(["--exclude-checks", ",".join(EXCLUDED_CHECKS)] if EXCLUDED_CHECKS else []),
                "--max-examples",
                str(args.examples),
                "--seed",
                str(args.seed),
                "--generation-database",
                "none",
                # One worker: Hypothesis's source inspection is not thread-safe on Python 3.11 (a
                # "recursion depth mismatch" error with two).
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--no-color",
            ]
            if args.report_dir is not None:
                command += ["--report", "junit", "--report-dir", str(args.report_dir)]
            result = subprocess.run(command, check=False, cwd=data_dir)  # its `.schemathesis/` stays in tmp
        log = (data_dir / "serve.log").read_text().splitlines()
        elapsed = time.monotonic() - started
    entries = [_json(line) for line in log]
    statuses = [int(e["status"]) for e in entries if e.get("event") == "request"]
    server_errors = sum(1 for status in statuses if status >= 500)
    tracebacks = sum(1 for e in entries if "exception" in e) + sum(1 for line in log if line.startswith("Traceback"))
    print(
        f"fuzz[{args.database}]: schemathesis exit {result.returncode}; the server answered {len(statuses)} "
        f"requests, {server_errors} with a 5xx, logged {tracebacks} tracebacks; {elapsed:.0f}s in all"
    )
    failed = bool(result.returncode or server_errors or tracebacks)
    print(f"fuzz: {int(not failed)} passed, {int(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
