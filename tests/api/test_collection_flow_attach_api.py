"""The `attach-ui-definition` common plugin (reference §1.3d): the engine asks for a token, the host issues it in the
step's transaction, merges the flow's address and the customer into `metadata` (never the token) and sends the
plugin's successAction; an unknown UI definition or a missing end user is the plugin's error (SQLite and
PostgreSQL)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from service_fixtures import Tenant

DEFS = "/api/v1/workflow-definition"
WORKFLOWS = "/api/v1/external/workflows"
FLOW = "/api/v1/collection-flow"


def _definition(name: str, ui_definition: str) -> dict[str, Any]:
    return {
        "name": name,
        "definition": {
            "initial": "idle",
            "states": {
                "idle": {"on": {"START": "attaching"}},
                "attaching": {"on": {"ATTACHED": "collection_flow", "NOT_ATTACHED": "failed"}},
                "collection_flow": {"on": {"COLLECTION_FLOW_FINISHED": "manual_review"}},
                "manual_review": {"on": {"approve": "approved"}},
                "failed": {"type": "final"},
                "approved": {"type": "final"},
            },
        },
        "extensions": {
            "commonPlugins": [
                {
                    "pluginKind": "attach-ui-definition",
                    "name": "attach_flow",
                    "stateNames": ["attaching"],
                    "uiDefinitionId": ui_definition,
                    "successAction": "ATTACHED",
                    "errorAction": "NOT_ATTACHED",
                }
            ]
        },
        "config": {"initialEvent": "START"},
    }


def _run(client: TestClient, tenant: Tenant, workflow: str, entity_id: str) -> dict[str, Any]:
    body = {
        "workflowId": workflow,
        "context": {"entity": {"type": "individual", "id": entity_id, "data": {"firstName": "Ada", "lastName": "L"}}},
    }
    resp = client.post(f"{WORKFLOWS}/run", json=body, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    got = client.get(f"{WORKFLOWS}/{resp.json()['workflowRuntimeId']}", headers=tenant.headers).json()
    return dict(got)


def test_attach_ui_definition_issues_a_token_with_that_ui_definition(client: TestClient, tenant: Tenant) -> None:
    assert (
        client.post(DEFS, json=_definition("attached", "kyb_collection_flow_demo"), headers=tenant.headers).status_code
        == 201
    )
    workflow = _run(client, tenant, "attached", "ada")
    assert workflow["state"] == "collection_flow", workflow
    metadata = workflow["context"]["metadata"]
    assert metadata == {
        "collectionFlowUrl": "http://127.0.0.1:3000/collection-flow",
        "customerName": "acme",
        "customerNormalizedName": "acme",
    }
    # a token made for the runtime later shows the UI definition the plugin attached
    body = {"workflowRuntimeDataId": workflow["id"], "endUserId": workflow["endUserId"]}
    token = client.post(f"{WORKFLOWS}/create-token", json=body, headers=tenant.headers).json()["token"]
    configuration = client.get(f"{FLOW}/configuration/en", headers={"Authorization": f"Bearer {token}"})
    assert configuration.status_code == 200, configuration.text
    assert configuration.json()["uiSchema"]["elements"][0]["stateName"] == "personal_details"


def test_an_unknown_ui_definition_is_the_plugins_error(client: TestClient, tenant: Tenant) -> None:
    assert client.post(DEFS, json=_definition("unattached", "no-such-ui"), headers=tenant.headers).status_code == 201
    workflow = _run(client, tenant, "unattached", "bob")
    assert workflow["state"] == "failed"
    assert "no-such-ui" in workflow["context"]["pluginsOutput"]["attach_flow"]["error"]


def test_the_plugin_needs_a_ui_definition_id(client: TestClient, tenant: Tenant) -> None:
    record = _definition("no_id", "x")
    del record["extensions"]["commonPlugins"][0]["uiDefinitionId"]
    resp = client.post(DEFS, json=record, headers=tenant.headers)
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["path"].endswith("commonPlugins[0].uiDefinitionId")
