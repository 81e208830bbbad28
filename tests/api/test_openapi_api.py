"""The OpenAPI documents what the API answers: 400 (not FastAPI's 422) for validation, 401, 404, 409, 413,
422 and 503 where they occur, each with the error shape; the API key as a bearer security scheme; a 405's
`Allow` header lists every method of the path."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from arabesque.api.schemas import MAX_LIMIT, MAX_PAGE
from service_fixtures import Tenant

ERROR = "#/components/schemas/ErrorBody"


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, item in spec["paths"].items() for m, op in item.items()]


def _ref(response: dict[str, Any]) -> str:
    return str(response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", ""))


def test_every_operation_documents_its_errors_in_the_error_shape(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer arb_...`",
    }
    for method, path, op in _operations(spec):
        responses = op["responses"]
        label = f"{method} {path}"
        assert _ref(responses["400"]) == ERROR, label
        for status, response in responses.items():
            if status >= "400":
                assert _ref(response) == ERROR, f"{label} {status}"
        if path.startswith("/api/v1/_health"):
            continue
        # a vendor callback is signed with the project's shared secret, not sent with an API key
        scheme = "hmacSignature" if path.endswith("/hook/{event}") else "apiKey"
        assert op["security"] == [{scheme: []}], label
        assert {"401", "503"} <= set(responses), label
        assert responses["503"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}, label
        # PUT /secrets/{name} creates the secret; DELETE removes it, and removing none is no error (idempotent)
        if "{" in path and not path.startswith("/api/v1/external/secrets/"):
            assert "404" in responses, label
        if "requestBody" in op:
            assert "413" in responses, label
    run = spec["paths"]["/api/v1/external/workflows/run"]["post"]["responses"]
    event = spec["paths"]["/api/v1/external/workflows/{runtime_id}/event"]["post"]["responses"]
    assert {"404", "422"} <= set(run) and {"404", "409", "422"} <= set(event)
    assert spec["components"]["securitySchemes"]["hmacSignature"]["in"] == "header"


def test_paging_bounds_are_in_the_schema(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/external/workflows", "/api/v1/workflow-definition"):
        params = {p["name"]: p["schema"] for p in spec["paths"][path]["get"]["parameters"]}
        assert (params["page"]["minimum"], params["page"]["maximum"]) == (1, MAX_PAGE)
        assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, MAX_LIMIT)


def test_405_lists_every_method_of_the_path(client: TestClient, tenant: Tenant) -> None:
    for method, url, allow in [
        ("DELETE", "/api/v1/external/workflows/some-id", "GET, PATCH"),
        ("OPTIONS", "/api/v1/external/workflows/some-id", "GET, PATCH"),
        ("OPTIONS", "/api/v1/external/workflows/run", "POST"),
        ("PUT", "/api/v1/external/webhooks", "GET, POST"),
        ("DELETE", "/api/v1/workflow-definition", "GET, POST"),
    ]:
        resp = client.request(method, url, headers=tenant.headers)
        assert resp.status_code == 405, (method, url)
        assert resp.headers["allow"] == allow, (method, url)
        assert resp.json() == {"statusCode": 405, "message": "Method Not Allowed"}


def test_the_documented_run_example_runs_and_links_lead_to_the_runtime(client: TestClient, tenant: Tenant) -> None:
    spec = client.get("/openapi.json").json()
    example = spec["components"]["schemas"]["RunRequest"]["examples"][0]
    resp = client.post("/api/v1/external/workflows/run", json=example, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    link = spec["paths"]["/api/v1/external/workflows/run"]["post"]["responses"]["200"]["links"]["get_resource"]
    assert link == {
        "operationRef": "#/paths/~1api~1v1~1external~1workflows~1{runtime_id}/get",
        "parameters": {"runtime_id": "$response.body#/workflowRuntimeId"},
    }
    runtime = resp.json()["workflowRuntimeId"]
    assert client.get(f"/api/v1/external/workflows/{runtime}", headers=tenant.headers).status_code == 200
