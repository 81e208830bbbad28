"""Every JSON route answers through a response model (so `/docs` shows it) that keeps exactly what the use case
returns: no key dropped, none added, no value changed (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from arabesque.app.definitions.queries import get_definition, list_definitions
from arabesque.app.entities.queries import get_business
from arabesque.app.webhooks.subscriptions import list_deliveries, list_subscriptions
from arabesque.app.workflows.queries import get_context, get_workflow, list_workflows
from arabesque.store import Database
from service_fixtures import SEED, Tenant

WF = "/api/v1/external/workflows"


def _json_route_schemas(client: TestClient) -> dict[str, dict[str, Any]]:
    spec = client.get("/openapi.json").json()
    out = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if status < "300" and status != "204":
                    out[f"{method.upper()} {path} {status}"] = response.get("content", {})
    return out


def test_every_json_answer_has_a_model(client: TestClient) -> None:
    for label, content in _json_route_schemas(client).items():
        if "/files/{file_id}" in label or "/storage/content/{file_id}" in label:
            continue  # the file's bytes
        schema = content["application/json"]["schema"]
        assert "$ref" in schema or (schema.get("type") == "array" and "$ref" in schema["items"]), label


def test_answers_keep_what_the_use_cases_return(client: TestClient, tenant: Tenant, db: Database) -> None:
    who, headers = tenant.who, tenant.headers
    hooks = "/api/v1/external/webhooks"
    created = client.post(hooks, json={"url": "https://example.com/hook", "events": ["*"]}, headers=headers).json()
    assert {k: v for k, v in created.items() if k != "secret"} == list_subscriptions(db, who)[0]
    assert client.get(hooks, headers=headers).json() == list_subscriptions(db, who)
    run = client.post(f"{WF}/run", json=SEED, headers=headers).json()
    runtime = run["workflowRuntimeId"]
    assert client.get(f"{WF}/{runtime}", headers=headers).json() == get_workflow(db, who, runtime)
    assert client.get(f"{WF}/{runtime}/context", headers=headers).json() == get_context(db, who, runtime)
    assert client.get(WF, headers=headers).json() == list_workflows(db, who)
    patched = client.patch(f"{WF}/{runtime}", json={"tags": ["x"]}, headers=headers).json()
    assert patched == get_workflow(db, who, runtime)
    event = client.post(f"{WF}/{runtime}/event", json={"name": "approve"}, headers=headers).json()
    assert event == get_workflow(db, who, runtime)

    definitions = "/api/v1/workflow-definition"
    assert client.get(definitions, headers=headers).json() == list_definitions(db, who, 1, 20)
    one = client.get(f"{definitions}/till_basic_kyb_demo", headers=headers).json()
    assert one == get_definition(db, who, "till_basic_kyb_demo")

    entity = SEED["context"]["entity"]["id"]
    business = client.get(f"/api/v1/external/businesses/{entity}", headers=headers).json()
    assert business == get_business(db, who, entity)

    deliveries = client.get(f"{hooks}/{created['id']}/deliveries", headers=headers).json()
    assert deliveries and deliveries == list_deliveries(db, who, created["id"])
