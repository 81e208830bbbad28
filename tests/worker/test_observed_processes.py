"""Logs and metrics of real processes: `arabesque serve --workers 2` writes JSON lines with request ids and answers
`/metrics` with the sum over both of its processes; a run that uses secrets logs neither them nor the API key."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from definitions import install, vendor_check
from receiver import serve, wait_for

from arabesque.store import Database
from service_fixtures import TEST_SECRET_KEY, Tenant

BIN = Path(sys.executable).parent / "arabesque"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(db: Database, tmp_path: Path) -> Iterator[Any]:
    """`start(args, **env)` runs `arabesque serve ARGS` over the test's database until the test ends; its base URL
    and its log (stdout: nothing but log lines; stderr, for what Python itself may print, is kept beside it)."""
    started: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], **extra: str) -> tuple[str, Path]:
        port = _free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("ARABESQUE_", "OTEL_"))},
            "ARABESQUE_DATABASE_URL": db.url,
            "ARABESQUE_SECRET_KEY": TEST_SECRET_KEY,
            "ARABESQUE_DATA_DIR": str(tmp_path / "data"),
            "ARABESQUE_LOG_FORMAT": "json",
            **extra,
        }
        log = tmp_path / f"serve-{port}.log"
        with log.open("wb") as out, log.with_suffix(".stderr").open("wb") as err:
            proc = subprocess.Popen([str(BIN), "serve", "--port", str(port), *args], env=env, stdout=out, stderr=err)
        started.append(proc)
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert proc.poll() is None, log.read_text() + log.with_suffix(".stderr").read_text()
            try:
                return httpx.get(f"{url}/api/v1/_health/ready", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, timeout=60, what="the server to answer")
        return url, log

    yield start
    for proc in started:
        proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            assert proc.wait(30) == 0
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


def _json_lines(log: Path) -> list[dict[str, Any]]:
    """Every line of the log, each a JSON object (a line that is not fails the test)."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _metric(url: str, name: str, **labels: str) -> float:
    wanted = {f'{k}="{v}"' for k, v in labels.items()}
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric.startswith(name + "{") and set(metric[len(name) + 1 : -1].split(",")) == wanted:
            return float(value)
    return 0.0


def test_serve_workers_2_logs_json_lines_and_sums_the_metrics_of_both_processes(server: Any, tenant: Tenant) -> None:
    url, log = server(["--workers", "2", "--no-worker"])
    route = "/api/v1/external/workflows"
    served_by: set[int] = set()
    sent = 0
    while len(served_by) < 2:  # a new connection each time: the kernel hands them to either process
        assert sent < 400, "every request went to the same process"
        answer = httpx.get(f"{url}{route}", headers={**tenant.headers, "X-Request-ID": f"req-{sent}"}, timeout=10)
        assert answer.status_code == 200 and answer.headers["x-request-id"] == f"req-{sent}"
        sent += 1
        lines = [line for line in _json_lines(log) if line.get("event") == "request" and line["route"] == route]
        served_by = {line["pid"] for line in lines}

    wait_for(lambda: len([1 for r in _json_lines(log) if r.get("route") == route]) == sent, what="every access line")
    lines = [line for line in _json_lines(log) if line.get("event") == "request" and line["route"] == route]
    assert sorted(line["request_id"] for line in lines) == sorted(f"req-{i}" for i in range(sent))
    assert {line["project_id"] for line in lines} == {tenant.project_id}
    assert all(line["status"] == 200 and line["method"] == "GET" and "timestamp" in line for line in lines)
    # Whichever process answers the scrape reports the requests both served.
    for _ in range(3):
        count = _metric(url, "arabesque_http_request_duration_seconds_count", method="GET", route=route, status="200")
        assert count == sent
    assert any(line.get("logger", "").startswith("uvicorn") for line in _json_lines(log))  # uvicorn's lines too


def test_a_run_with_secrets_logs_neither_the_secrets_nor_the_api_key(server: Any, db: Database, tenant: Tenant) -> None:
    token = "vendor-token-9f8e7d6c5b4a3210"
    with serve() as rx:
        rx.rule = lambda r, n: (500, {"error": "down"}, {}) if n == 1 else (200, {"ok": True}, {})
        record = vendor_check(rx.url + "/vendor?token={secrets.VENDOR_TOKEN}", rx.url + "/hook")
        record["extensions"]["apiPlugins"][0]["headers"] = {"Authorization": "Bearer {secrets.VENDOR_TOKEN}"}
        install(db, tenant.project_id, record)
        url, log = server(
            [],
            ARABESQUE_ALLOW_PRIVATE_URLS="true",
            ARABESQUE_RETRY_BASE_SECONDS="0.05",
            ARABESQUE_WORKER_POLL_SECONDS="0.5",
            ARABESQUE_LOG_LEVEL="debug",  # the most verbose: httpx would log every URL, the token in it
        )
        headers = {**tenant.headers, "Content-Type": "application/json"}
        stored = httpx.put(f"{url}/api/v1/external/secrets/VENDOR_TOKEN", json={"value": token}, headers=headers)
        assert stored.status_code in (200, 201, 204), stored.text
        hook = httpx.post(
            f"{url}/api/v1/external/webhooks",
            json={"url": rx.url + "/hook", "events": ["workflow.completed"]},
            headers=headers,
        )
        assert hook.status_code in (200, 201), hook.text
        webhook_secret = hook.json()["secret"]
        body = {"workflowId": "vendor_check", "context": {"entity": {"type": "business", "id": "e1", "data": {}}}}
        run = httpx.post(f"{url}/api/v1/external/workflows/run", json=body, headers=headers)
        assert run.status_code == 200, run.text
        wait_for(lambda: len(rx.on("/hook")) >= 2, timeout=60, what="the webhooks after the retried plugin call")
        calls = [r for r in rx.requests if r.path.startswith("/vendor")]
        assert len(calls) == 2 and all(r.headers["authorization"] == f"Bearer {token}" for r in calls)
        assert all(token in r.path for r in calls)  # the secret was sent where the definition put it

    text = log.read_text() + log.with_suffix(".stderr").read_text()
    for secret in (token, tenant.key, webhook_secret, TEST_SECRET_KEY):
        assert secret not in text
    attempts = [line for line in _json_lines(log) if line.get("event") == "effect attempt"]
    assert {line["outcome"] for line in attempts if line["kind"] == "http"} == {"status", "ok"}
    assert {line["runtime_id"] for line in attempts} == {run.json()["workflowRuntimeId"]}
