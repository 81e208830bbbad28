"""Each request: an id (the caller's or a new one, echoed), one JSON access line with the route template, status,
duration and the ids that apply, and a sample in the request histogram labelled by the route template."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from arabesque.asgi import create_app
from arabesque.observability.logs import configure_logging
from arabesque.store import Database
from service_fixtures import SEED, Tenant


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """The JSON lines logged during the test."""
    stream = io.StringIO()
    configure_logging("json", "info", stream, redact=["the-master-key-value-0123456789abcdef"])
    yield stream
    configure_logging("console", "warning", io.StringIO())  # leave no handler on the test's stream


def lines(stream: io.StringIO, event: str | None = None) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [p for p in parsed if event is None or p["event"] == event]


def sample(client: TestClient, name: str, **labels: str) -> float:
    """The value of `name{labels}` at `/metrics` (0 when absent)."""
    text = client.get("/metrics").text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric.startswith(name + "{") and ",".join(sorted(metric[len(name) + 1 : -1].split(","))) == wanted:
            return float(value)
    return 0.0


def test_an_access_line_per_request_with_its_id_route_and_project(
    client: TestClient, tenant: Tenant, log: io.StringIO
) -> None:
    run = client.post(
        "/api/v1/external/workflows/run", json=SEED, headers={**tenant.headers, "X-Request-ID": "trace-me-42"}
    )
    assert run.status_code == 200 and run.headers["x-request-id"] == "trace-me-42"
    runtime_id = run.json()["workflowRuntimeId"]
    event = client.post(
        f"/api/v1/external/workflows/{runtime_id}/event", json={"name": "approve"}, headers=tenant.headers
    )
    assert event.status_code == 200
    generated = event.headers["x-request-id"]
    assert len(generated) == 32  # none was sent: one was made
    missing = client.get("/api/v1/external/workflows/nope/nothing", headers={"X-Request-ID": "bad id\x7f"})
    assert missing.status_code == 404 and missing.headers["x-request-id"] != "bad id\x7f"

    first, second, third = lines(log, "request")
    assert first["request_id"] == "trace-me-42" and first["method"] == "POST"
    assert first["route"] == "/api/v1/external/workflows/run" and first["status"] == 200
    assert first["project_id"] == tenant.project_id and first["runtime_id"] == runtime_id
    assert first["level"] == "info" and first["logger"] == "arabesque.access" and first["timestamp"].endswith("Z")
    assert isinstance(first["duration_ms"], float)
    assert second["route"] == "/api/v1/external/workflows/{runtime_id}/event"
    assert (second["request_id"], second["runtime_id"], second["project_id"]) == (
        generated,
        runtime_id,
        tenant.project_id,
    )
    assert third["route"] == "unmatched" and third["status"] == 404


def test_the_pages_and_the_standard_library_loggers_log_alike(client: TestClient, log: io.StringIO) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.css").status_code in (200, 404)
    logging.getLogger("uvicorn.error").warning("uvicorn says %s", "hello")
    requests = lines(log, "request")
    assert [r["route"] for r in requests] == ["/login", "/static/{path}"]
    [uvicorn] = lines(log, "uvicorn says hello")
    assert uvicorn["level"] == "warning" and uvicorn["logger"] == "uvicorn.error"


def test_secrets_and_keys_are_scrubbed_from_every_line(log: io.StringIO, tenant: Tenant) -> None:
    logging.getLogger("arabesque.test").warning(
        "key %s, header Bearer %s, secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, master %s",
        tenant.key,
        tenant.key,
        "the-master-key-value-0123456789abcdef",
    )
    logging.getLogger("httpx").info("HTTP Request: GET https://vendor.example/?token=plain-secret")
    text = log.getvalue()
    assert tenant.key not in text and "MfKQ9r8GK" not in text and "the-master-key-value" not in text
    assert tenant.key[:13] + "[redacted]" in text  # the key's public prefix stays, to tell keys apart
    assert "plain-secret" not in text  # httpx logs every URL: held at WARNING


def test_the_request_histogram_counts_by_route_template(client: TestClient, tenant: Tenant) -> None:
    labels = {"method": "GET", "route": "/api/v1/external/workflows/{runtime_id}", "status": "404"}
    before = sample(client, "arabesque_http_request_duration_seconds_count", **labels)
    for runtime_id in ("a", "b", "c"):
        assert client.get(f"/api/v1/external/workflows/{runtime_id}", headers=tenant.headers).status_code == 404
    assert sample(client, "arabesque_http_request_duration_seconds_count", **labels) == before + 3
    exposition = client.get("/metrics")
    assert exposition.headers["content-type"].startswith("text/plain")
    assert 'route="/api/v1/external/workflows/a"' not in exposition.text  # never the raw path


def test_metrics_are_outside_the_openapi_and_need_no_key(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
    scraped = client.get("/metrics")
    assert scraped.status_code == 200 and "arabesque_outbox_pending" in scraped.text
    assert client.post("/metrics").status_code == 405


def test_metrics_can_be_left_off_the_application(db: Database, tmp_path: Path) -> None:
    with TestClient(create_app(db, tmp_path / "files", metrics=False)) as client:
        assert client.get("/metrics").status_code == 404
