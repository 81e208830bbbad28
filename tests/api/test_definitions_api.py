"""Workflow definitions: create (validated by the engine), list, get, upgrade."""

from __future__ import annotations

import copy
from typing import Any

from starlette.testclient import TestClient

from service_fixtures import SEED, Tenant

DEFS = "/api/v1/workflow-definition"
RECORD: dict[str, Any] = {
    "id": "simple_review",
    "name": "simple_review",
    "displayName": "Simple review",
    "definition": {
        "id": "simple_review",
        "initial": "review",
        "states": {"review": {"on": {"approve": "approved"}}, "approved": {"type": "final"}},
    },
}


def test_create_get_and_list(client: TestClient, tenant: Tenant) -> None:
    resp = client.post(DEFS, json=RECORD, headers=tenant.headers)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert (created["id"], created["name"], created["version"]) == ("simple_review", "simple_review", 1)
    assert created["projectId"] == tenant.project_id
    got = client.get(f"{DEFS}/simple_review", headers=tenant.headers).json()
    assert got["definition"] == RECORD["definition"] and got["displayName"] == "Simple review"
    listed = client.get(DEFS, params={"limit": 2}, headers=tenant.headers).json()
    assert listed["meta"]["total"] == 6  # 5 examples + this one
    assert listed["meta"]["pages"] == 3 and len(listed["items"]) == 2


def test_create_without_id_generates_one(client: TestClient, tenant: Tenant) -> None:
    record = {k: v for k, v in RECORD.items() if k != "id"}
    created = client.post(DEFS, json=record, headers=tenant.headers).json()
    assert created["id"] and created["id"] != "simple_review"
    assert client.get(f"{DEFS}/{created['id']}", headers=tenant.headers).status_code == 200


def test_invalid_definition_is_400_listing_problems(client: TestClient, tenant: Tenant) -> None:
    record = copy.deepcopy(RECORD)
    record["definition"]["initial"] = "nowhere"
    record["definition"]["states"]["review"]["on"]["approve"] = "missing_state"
    resp = client.post(DEFS, json=record, headers=tenant.headers)
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["statusCode"] == 400
    paths = [e["path"] for e in body["errors"]]
    assert len(paths) >= 2 and all(p.startswith("definition") for p in paths)
    resp = client.post(DEFS, json={"definition": {}}, headers=tenant.headers)
    assert resp.status_code == 400
    resp = client.post(DEFS, json=[1], headers=tenant.headers)
    assert resp.status_code == 400


def test_duplicate_id_or_name_is_409(client: TestClient, tenant: Tenant) -> None:
    assert client.post(DEFS, json=RECORD, headers=tenant.headers).status_code == 201
    assert client.post(DEFS, json=RECORD, headers=tenant.headers).json()["statusCode"] == 409
    again = {**RECORD, "id": "other_id"}
    assert client.post(DEFS, json=again, headers=tenant.headers).status_code == 409


def test_the_same_id_in_another_project_is_independent(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    assert client.post(DEFS, json=RECORD, headers=tenant.headers).status_code == 201
    assert client.post(DEFS, json=RECORD, headers=other_tenant.headers).status_code == 201


def test_upgrade_adds_a_version_and_running_instances_keep_theirs(client: TestClient, tenant: Tenant) -> None:
    old = client.post("/api/v1/external/workflows/run", json=SEED, headers=tenant.headers).json()
    definition = client.get(f"{DEFS}/till_basic_kyb_demo", headers=tenant.headers).json()["definition"]
    definition["states"]["manual_review"]["on"]["escalate"] = "manual_review"
    resp = client.post(f"{DEFS}/till_basic_kyb_demo/upgrade", json={"definition": definition}, headers=tenant.headers)
    assert resp.status_code == 201, resp.text
    v2 = resp.json()
    assert v2["version"] == 2 and v2["name"] == "till_basic_kyb_demo" and v2["id"] != "till_basic_kyb_demo"
    # the old runtime keeps version 1 (no escalate event there)
    got = client.get(f"/api/v1/external/workflows/{old['workflowRuntimeId']}", headers=tenant.headers).json()
    assert got["workflowDefinitionVersion"] == 1 and "escalate" not in got["nextEvents"]
    # a new run by name or by the old id resolves to the latest version
    body = copy.deepcopy(SEED)
    body["context"]["entity"]["id"] = "another-company"
    new = client.post("/api/v1/external/workflows/run", json=body, headers=tenant.headers).json()
    assert new["workflowDefinitionId"] == v2["id"]
    got = client.get(f"/api/v1/external/workflows/{new['workflowRuntimeId']}", headers=tenant.headers).json()
    assert got["workflowDefinitionVersion"] == 2 and "escalate" in got["nextEvents"]
    # the upgrade is validated too
    bad = client.post(
        f"{DEFS}/till_basic_kyb_demo/upgrade", json={"definition": {"initial": "x"}}, headers=tenant.headers
    )
    assert bad.status_code == 400
    unknown = client.post(f"{DEFS}/till_basic_kyb_demo/upgrade", json={"name": "x"}, headers=tenant.headers)
    assert unknown.status_code == 400
    assert client.post(f"{DEFS}/nope/upgrade", json={}, headers=tenant.headers).status_code == 404


def test_unknown_definition_is_404(client: TestClient, tenant: Tenant) -> None:
    resp = client.get(f"{DEFS}/nope", headers=tenant.headers)
    assert resp.status_code == 404 and resp.json()["statusCode"] == 404
