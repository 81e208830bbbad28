"""Authentication and the one error shape: 401, 404, 405, 413, malformed JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from arabesque.app.access.api_keys import create_api_key, revoke_api_key
from arabesque.store import Database, utcnow
from service_fixtures import SEED, Tenant

RUN = "/api/v1/external/workflows/run"


def shape(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["statusCode"] == status and isinstance(body["message"], str)
    assert set(body) <= {"statusCode", "message", "errors"}
    return body


def test_missing_or_malformed_authorization_is_401(client: TestClient, tenant: Tenant) -> None:
    shape(client.get("/api/v1/external/workflows"), 401)
    shape(client.get("/api/v1/external/workflows", headers={"Authorization": "Basic abc"}), 401)
    shape(client.get("/api/v1/external/workflows", headers={"Authorization": "Bearer"}), 401)
    shape(client.get("/api/v1/external/workflows", headers={"Authorization": "Bearer arb_wrong"}), 401)
    shape(client.post(RUN, json=SEED), 401)


def test_revoked_and_expired_keys_are_401(client: TestClient, tenant: Tenant, db: Database) -> None:
    ok = create_api_key(db, tenant.project_id, name="short-lived", expires_at=utcnow() + timedelta(hours=1))
    expired = create_api_key(db, tenant.project_id, expires_at=utcnow() - timedelta(seconds=1))
    assert client.get("/api/v1/external/workflows", headers={"Authorization": f"Bearer {ok.key}"}).status_code == 200
    assert (
        "expired"
        in shape(client.get("/api/v1/external/workflows", headers={"Authorization": f"Bearer {expired.key}"}), 401)[
            "message"
        ]
    )
    revoke_api_key(db, ok.prefix)
    assert (
        "revoked"
        in shape(client.get("/api/v1/external/workflows", headers={"Authorization": f"Bearer {ok.key}"}), 401)[
            "message"
        ]
    )
    assert client.get("/api/v1/external/workflows", headers=tenant.headers).status_code == 200


def test_unknown_path_and_wrong_method(client: TestClient, tenant: Tenant) -> None:
    shape(client.get("/api/v1/nothing-here", headers=tenant.headers), 404)
    shape(client.delete(RUN, headers=tenant.headers), 405)


def test_malformed_json_is_400(client: TestClient, tenant: Tenant) -> None:
    resp = client.post(RUN, content=b'{"workflowId": ', headers={**tenant.headers, "Content-Type": "application/json"})
    assert shape(resp, 400)["message"] == "Malformed JSON body"
    resp = client.post(RUN, content=b"[1, 2]", headers={**tenant.headers, "Content-Type": "application/json"})
    shape(resp, 400)


def test_body_over_the_limit_is_413(client: TestClient, tenant: Tenant) -> None:
    big = b'{"workflowId": "' + b"x" * (13 * 1024 * 1024) + b'"}'
    resp = client.post(RUN, content=big, headers={**tenant.headers, "Content-Type": "application/json"})
    shape(resp, 413)

    def chunks() -> Any:  # no Content-Length: the limit is enforced while reading
        for _ in range(14):
            yield b"x" * (1024 * 1024)

    resp = client.post(RUN, content=chunks(), headers={**tenant.headers, "Content-Type": "application/json"})
    shape(resp, 413)


def test_health_live_and_ready(client: TestClient) -> None:
    assert client.get("/api/v1/_health/live").json() == {"status": "ok"}
    assert client.get("/api/v1/_health/ready").status_code == 200


def test_openapi_lists_the_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/api/v1/external/workflows/run",
        "/api/v1/external/workflows/{runtime_id}/event",
        "/api/v1/workflow-definition",
        "/api/v1/external/files",
    ):
        assert p in paths
