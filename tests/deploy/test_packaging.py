"""The packaging (Dockerfile, compose.yaml, the Helm chart) runs the commands it names, with the environment it sets.

No container engine runs on the machines the tests run on, so each file is read and its commands are run here, with
the installed `arabesque`, exactly as written, except for what only exists inside a container: the data directory
(a temporary one), the port (a free one, in the command and the health check alike) and the database host (a
schema of the test PostgreSQL instead of the `postgres` service). The chart is rendered by a small Go-template
renderer (helm_template.py) and each manifest validated against the Kubernetes API schemas.
"""

from __future__ import annotations

import http.server
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml
from helm_template import render_chart

from service_fixtures import ROOT, TEST_SECRET_KEY, private_schema

BIN = Path(sys.executable).parent
CHART = ROOT / "deploy" / "helm" / "arabesque"
KUBERNETES = "1.30"


# --- reading the files ---------------------------------------------------------------------------------------


def dockerfile() -> dict[str, Any]:
    """The final stage's ENV, USER, ENTRYPOINT, CMD and HEALTHCHECK, and every ARG default, of the Dockerfile."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    final: dict[str, Any] = {"env": {}, "args": {}}
    for line in text.splitlines():
        word, _, rest = line.strip().partition(" ")
        if word == "FROM":
            final = {"env": {}, "args": final["args"]}
        elif word == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            final["args"][name] = value
        elif word == "ENV":
            final["env"].update(dict(re.findall(r"(\w+)=(\S+)", rest)))
        elif word in ("USER", "WORKDIR"):
            final[word.lower()] = rest
        elif word in ("ENTRYPOINT", "CMD"):
            final[word.lower()] = json.loads(rest)
        elif word == "HEALTHCHECK":
            final["healthcheck"] = json.loads(rest[rest.index("CMD ") + 4 :])
    return final


def compose(environ: dict[str, str]) -> dict[str, Any]:
    """compose.yaml with `${VAR:-default}` and `${VAR:?message}` interpolated from `environ`."""

    def interpolate(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if environ.get(name):
            return environ[name]
        if op == ":?":
            raise AssertionError(f"compose.yaml requires {name}: {rest}")
        return rest

    text = re.sub(r"\$\{(\w+)(:-|:\?)([^}]*)\}", interpolate, (ROOT / "compose.yaml").read_text())
    return dict(yaml.safe_load(text))


def chart_containers(documents: list[Any]) -> dict[str, dict[str, Any]]:
    return {
        c["name"]: c
        for doc in documents
        if doc["kind"] in ("Deployment", "Job")
        for c in doc["spec"]["template"]["spec"]["containers"]
    }


# --- running the commands ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_port(command: list[str], port: int, metrics_port: int | None = None) -> list[str]:
    """`command` with the API's port 3000 (and the worker's metrics port 9100) moved to free ones."""
    ports = {"3000": str(port), "9100": str(metrics_port or 9100)}
    return [ports.get(word, word.replace(":3000/", f":{port}/")) for word in command]


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`command` (its first word the installed console script) running until the block ends; it must then stop
    on SIGTERM with status 0, as a container runtime stops it."""
    with log.open("wb") as out:
        proc = subprocess.Popen([str(BIN / command[0]), *command[1:]], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
        assert proc.poll() is None, f"{command} exited early:\n{log.read_text()}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, f"{command} stopped with {code}:\n{log.read_text()}"


def wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the server exited:\n{log.read_text()}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/_health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not ready after 60 s:\n{log.read_text()}")


def printed_api_key(log: Path) -> str:
    found = re.search(r"API key \(shown once\): (\S+)", log.read_text())
    assert found, log.read_text()
    return found.group(1)


@contextmanager
def vendor() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A vendor on loopback that records each request body and answers 200."""
    calls: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            calls.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/check", calls
    finally:
        server.shutdown()
        server.server_close()


def vendor_workflow(url: str) -> dict[str, Any]:
    return {
        "id": "packaging_check",
        "name": "packaging_check",
        "definition": {
            "id": "packaging_check",
            "initial": "idle",
            "states": {
                "idle": {"on": {"START": "checking"}},
                "checking": {"on": {"OK": "approved", "FAILED": "failed"}},
                "approved": {"type": "final"},
                "failed": {"type": "final"},
            },
        },
        "extensions": {
            "apiPlugins": [
                {
                    "name": "vendor",
                    "url": url,
                    "method": "POST",
                    "stateNames": ["checking"],
                    "successAction": "OK",
                    "errorAction": "FAILED",
                    "request": {"transform": [{"transformer": "jmespath", "mapping": "{id: entity.id}"}]},
                }
            ]
        },
        "config": {"initialEvent": "START"},
    }


# --- the tests ---------------------------------------------------------------------------------------------


def test_the_image_serves_as_its_entry_point_says_and_passes_its_own_health_check(tmp_path: Path) -> None:
    image = dockerfile()
    assert image["user"] == "arabesque" and image["entrypoint"] == ["arabesque"]
    port = _free_port()
    env = {**os.environ, **image["env"], "ARABESQUE_DATA_DIR": str(tmp_path / "data")}  # the image's VOLUME
    env.pop("ARABESQUE_DATABASE_URL", None)  # the image's default: SQLite in the data directory
    log = tmp_path / "serve.log"
    with running(_with_port(image["entrypoint"] + image["cmd"], port), env, log) as proc:
        wait_ready(port, proc, log)
        check = _with_port(image["healthcheck"], port)
        assert subprocess.run([str(BIN / check[0]), *check[1:]], env=env, timeout=30).returncode == 0
    assert (tmp_path / "data" / "arabesque.db").exists()


def test_the_image_pins_the_same_htmx_as_the_makefile_and_the_chart_the_package_version() -> None:
    args = dockerfile()["args"]
    makefile = dict(re.findall(r"^(HTMX_VERSION|HTMX_SHA256) := (\S+)$", (ROOT / "Makefile").read_text(), re.M))
    assert (args["HTMX_VERSION"], args["HTMX_SHA256"]) == (makefile["HTMX_VERSION"], makefile["HTMX_SHA256"])
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == version == yaml.safe_load((CHART / "values.yaml").read_text())["image"]["tag"]


def test_the_compose_services_run_as_written_against_postgresql(tmp_path: Path) -> None:
    services = compose({"ARABESQUE_SECRET_KEY": TEST_SECRET_KEY})["services"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    image = dockerfile()
    port = _free_port()
    with private_schema("arb_compose") as url, vendor() as (vendor_url, calls):

        def env_of(service: str) -> dict[str, str]:
            env = {**os.environ, **image["env"], **services[service]["environment"]}
            assert env["ARABESQUE_DATABASE_URL"].startswith("postgresql+psycopg://arabesque:arabesque@postgres:5432/")
            # the test's own database and data directory instead of the `postgres` service and the volume; the
            # vendor is on loopback, which only an explicit setting lets a worker call
            return {
                **env,
                "ARABESQUE_DATABASE_URL": url,
                "ARABESQUE_DATA_DIR": str(tmp_path / service),
                "ARABESQUE_ALLOW_PRIVATE_URLS": "true",
            }

        migrate = [str(BIN / "arabesque"), *services["migrate"]["command"]]
        done = subprocess.run(migrate, env=env_of("migrate"), capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        api_log, worker_log = tmp_path / "api.log", tmp_path / "worker.log"
        api = ["arabesque", *_with_port(services["api"]["command"], port)]
        with running(api, env_of("api"), api_log) as server:
            wait_ready(port, server, api_log)
            headers = {"Authorization": f"Bearer {printed_api_key(api_log)}"}
            metrics_port = _free_port()
            worker = ["arabesque", *_with_port(services["worker"]["command"], port, metrics_port)]
            with (
                running(worker, env_of("worker"), worker_log),
                httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client,
            ):
                created = client.post("/api/v1/workflow-definition", json=vendor_workflow(vendor_url))
                assert created.status_code in (200, 201), created.text
                body = {"workflowId": "packaging_check", "context": {"entity": {"type": "business", "id": "c-1"}}}
                rid = client.post("/api/v1/external/workflows/run", json=body).json()["workflowRuntimeId"]
                deadline = time.monotonic() + 60
                while client.get(f"/api/v1/external/workflows/{rid}").json()["state"] != "approved":
                    assert time.monotonic() < deadline, f"the worker did not call the vendor:\n{worker_log.read_text()}"
                    time.sleep(0.1)
                # Prometheus: the API's port (both processes summed) and the worker's own port
                api_metrics = client.get("/metrics").text
                assert 'arabesque_http_request_duration_seconds_count{method="POST"' in api_metrics
                worker_metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
                assert 'arabesque_effect_attempts_total{kind="http",outcome="ok"} 1.0' in worker_metrics
    assert calls == [{"id": "c-1"}]
    assert all(json.loads(line) for line in worker_log.read_text().splitlines())  # JSON lines, nothing else


@pytest.mark.parametrize(
    "values",
    [
        {},
        {
            "api": {"replicas": 3, "processes": 2, "port": 8080, "autoscaling": {"enabled": False}},
            "files": {"existingClaim": "arabesque-files"},
            "extraEnv": [{"name": "ARABESQUE_MAX_CONTEXT_BYTES", "value": "4194304"}],
        },
    ],
    ids=["defaults", "no-autoscaling-shared-files"],
)
def test_the_helm_chart_renders_valid_kubernetes_manifests(values: dict[str, Any]) -> None:
    documents = render_chart(CHART, values=values)
    kinds = sorted(doc["kind"] for doc in documents)
    autoscaled = not values
    assert kinds == sorted(["Deployment", "Deployment", "Job", "Service", *(["HorizontalPodAutoscaler"] * autoscaled)])
    for doc in documents:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    api = next(d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-api"))
    assert ("replicas" in api["spec"]) is not autoscaled
    [container] = api["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/v1/_health/ready"
    worker = next(d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-worker"))
    for deployment, port in ((api, str(container["ports"][0]["containerPort"])), (worker, "9100")):
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        scrape = {"prometheus.io/scrape": "true", "prometheus.io/port": port, "prometheus.io/path": "/metrics"}
        assert annotations == scrape
    [worker_container] = worker["spec"]["template"]["spec"]["containers"]
    assert worker_container["ports"] == [{"name": "metrics", "containerPort": 9100}]
    assert worker_container["args"][-4:] == ["--metrics-port", "9100", "--metrics-host", "0.0.0.0"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/v1/_health/live"
    names = {e["name"] for e in container["env"]}
    assert {"ARABESQUE_DATABASE_URL", "ARABESQUE_SECRET_KEY", "ARABESQUE_TRUSTED_PROXIES"} <= names
    if values:
        assert "ARABESQUE_MAX_CONTEXT_BYTES" in names
        claim = api["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]
        assert claim == {"claimName": "arabesque-files"}


def test_every_command_option_and_variable_the_packaging_uses_exists() -> None:
    image = dockerfile()
    services = compose({"ARABESQUE_SECRET_KEY": TEST_SECRET_KEY})["services"]
    containers = chart_containers(render_chart(CHART))
    commands = [image["cmd"], *(s["command"] for s in services.values() if "command" in s)]
    commands += [c["args"] for c in containers.values()]
    for command in commands:
        words = [str(w) for w in command]
        sub = list(itertools.takewhile(lambda w: not w.startswith("-"), words))  # e.g. ["db", "upgrade"]
        help_text = subprocess.run(
            [str(BIN / "arabesque"), *sub, "--help"], capture_output=True, text=True, timeout=60
        ).stdout
        for option in (w for w in words if w.startswith("--")):
            assert re.search(rf"{re.escape(option)}\b", help_text), f"`arabesque {' '.join(sub)}` has no {option}"
    variables = set(image["env"])
    variables |= {name for s in services.values() for name in s.get("environment", {})}
    variables |= {e["name"] for c in containers.values() for e in c["env"]}
    source = "\n".join(p.read_text() for p in (ROOT / "src").rglob("*.py"))
    for name in sorted(v for v in variables if v.startswith("ARABESQUE_")):
        assert f'"{name}"' in source, f"{name} is set by the packaging but read nowhere"
