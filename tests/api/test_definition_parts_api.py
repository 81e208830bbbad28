"""A definition's parts on Ballerine's routes: the definition with its UI definitions, its plugins, its input
context schema and custom data schema, its documents schema, the statechart, the plugins replaced whole, and a
copy. Every change adds a version through the upload's validation and limits; running workflows keep theirs
(SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from arabesque.app.definitions.create_definition import insert_definition
from arabesque.app.limits import ServiceLimits
from arabesque.store import Database
from service_fixtures import SEED, Tenant

EXTERNAL = "/api/v1/external/workflows/workflow-definition"
DEFS = "/api/v1/workflow-definition"
RUN = "/api/v1/external/workflows/run"
WF = "/api/v1/external/workflows"
KYB = "till_basic_kyb_demo"
HOOK = {
    "name": "notify",
    "pluginKind": "api",
    "url": "https://vendor.example/notify",
    "method": "POST",
    "stateNames": ["approved"],
}


def latest(client: TestClient, tenant: Tenant, name: str = KYB) -> dict[str, Any]:
    items = client.get(DEFS, params={"limit": 100}, headers=tenant.headers).json()["items"]
    return max((d for d in items if d["name"] == name), key=lambda d: d["version"])


def test_the_definition_with_its_ui_definitions(client: TestClient, tenant: Tenant) -> None:
    resp = client.get(f"{EXTERNAL}/{KYB}", headers=tenant.headers)
    assert resp.status_code == 200
    body = resp.json()
    assert body == {**client.get(f"{DEFS}/{KYB}", headers=tenant.headers).json(), "uiDefinitions": []}


def test_plugins_groups_given_replace_those_of_a_new_version(client: TestClient, tenant: Tenant) -> None:
    running = client.post(RUN, json=SEED, headers=tenant.headers).json()["workflowRuntimeId"]
    assert client.get(f"{EXTERNAL}/{KYB}/plugins", headers=tenant.headers).json() == {}
    first = client.put(f"{EXTERNAL}/{KYB}/plugins", json={"apiPlugins": [HOOK]}, headers=tenant.headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"apiPlugins": [HOOK]}
    second = client.put(
        f"{EXTERNAL}/{KYB}/plugins", json={"commonPlugins": [], "custom": {"kept": True}}, headers=tenant.headers
    )
    assert second.json() == {"apiPlugins": [HOOK], "commonPlugins": [], "custom": {"kept": True}}
    # a group given replaces that group (Ballerine merges arrays index by index: nothing can be removed)
    third = client.put(f"{EXTERNAL}/{KYB}/plugins", json={"apiPlugins": []}, headers=tenant.headers)
    assert third.json()["apiPlugins"] == []
    assert client.get(f"{EXTERNAL}/{KYB}/plugins", headers=tenant.headers).json() == third.json()
    assert latest(client, tenant)["version"] == 4
    assert client.get(f"{DEFS}/{KYB}", headers=tenant.headers).json()["extensions"] is None  # v1 unchanged
    got = client.get(f"{WF}/{running}", headers=tenant.headers).json()
    assert got["workflowDefinitionVersion"] == 1  # the running workflow keeps its version


def test_plugins_are_validated_as_an_upload_with_paths_in_the_body(client: TestClient, tenant: Tenant) -> None:
    bad = {**HOOK, "successAction": "NO_SUCH_EVENT"}
    bad.pop("url")
    resp = client.put(f"{EXTERNAL}/{KYB}/plugins", json={"apiPlugins": [bad]}, headers=tenant.headers)
    assert resp.status_code == 400
    assert "apiPlugins[0].url" in {e["path"] for e in resp.json()["errors"]}
    resp = client.put(
        f"{EXTERNAL}/{KYB}/plugins", json={"apiPlugins": [1], "commonPlugins": None}, headers=tenant.headers
    )
    assert resp.status_code == 400
    assert sorted(e["path"] for e in resp.json()["errors"]) == ["apiPlugins.0", "commonPlugins"]
    assert latest(client, tenant)["version"] == 1  # nothing stored


def test_the_input_context_schema_and_its_custom_data_schema(client: TestClient, tenant: Tenant) -> None:
    schema = client.get(f"{DEFS}/{KYB}/input-context-schema", headers=tenant.headers)
    assert schema.status_code == 200 and schema.json()["required"] == ["entity"]
    custom = f"{DEFS}/{KYB}/input-context-schema/custom-data-schema"
    assert client.get(custom, headers=tenant.headers).json() == {}
    body = {"type": "object", "properties": {"riskScore": {"type": "number"}}, "required": ["riskScore"]}
    put = client.put(custom, json=body, headers=tenant.headers)
    assert put.status_code == 200 and put.json() == body
    assert client.get(custom, headers=tenant.headers).json() == body
    after = client.get(f"{DEFS}/{KYB}/input-context-schema", headers=tenant.headers).json()
    assert after["properties"]["customData"] == body and after["required"] == ["entity"]  # the rest kept
    # a new run is checked against it; the old version is unchanged
    run = copy.deepcopy(SEED)
    run["context"]["customData"] = {"riskScore": "high"}
    resp = client.post(RUN, json=run, headers=tenant.headers)
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "context.customData.riskScore"
    assert client.get(f"{DEFS}/{KYB}", headers=tenant.headers).json()["contextSchema"]["schema"] == schema.json()


def test_a_custom_data_schema_must_be_an_object_schema(client: TestClient, tenant: Tenant) -> None:
    custom = f"{DEFS}/{KYB}/input-context-schema/custom-data-schema"
    resp = client.put(custom, json={"type": "array"}, headers=tenant.headers)
    assert resp.status_code == 400 and [e["path"] for e in resp.json()["errors"]] == ["type"]
    resp = client.put(custom, json={"type": "object", "properties": {"x": {"type": 5}}}, headers=tenant.headers)
    assert resp.status_code == 400 and [e["path"] for e in resp.json()["errors"]] == ["properties.x.type"]


def test_a_definition_without_a_context_schema_has_an_empty_one(
    client: TestClient, tenant: Tenant, db: Database
) -> None:
    record = {"name": "bare", "definition": {"id": "bare", "initial": "a", "states": {"a": {}}}}
    with db.write() as s:
        insert_definition(s, tenant.project_id, record, created_by="test")
    assert client.get(f"{DEFS}/bare/input-context-schema", headers=tenant.headers).json() == {}  # Ballerine: 500
    custom = f"{DEFS}/bare/input-context-schema/custom-data-schema"
    assert client.get(custom, headers=tenant.headers).json() == {}
    client.put(custom, json={"type": "object"}, headers=tenant.headers)
    schema = client.get(f"{DEFS}/bare/input-context-schema", headers=tenant.headers).json()
    assert schema == {"type": "object", "properties": {"customData": {"type": "object"}}}


def test_the_documents_schema_is_replaced_in_a_new_version(client: TestClient, tenant: Tenant) -> None:
    url = f"{DEFS}/{KYB}/documents-schema"
    assert client.get(url, headers=tenant.headers).json() == []  # Ballerine: {}
    templates = [
        {
            "category": "proof_of_registration",
            "type": "certificate_of_incorporation",
            "issuer": {"country": "GB", "ignored": "dropped, as Ballerine drops it"},
            "version": "1",
            "propertiesSchema": {"type": "object", "properties": {"registrationNumber": {"type": "string"}}},
        }
    ]
    put = client.put(url, json=templates, headers=tenant.headers)
    assert put.status_code == 200, put.text
    stored = [{**templates[0], "issuer": {"country": "GB"}, "version": 1}]
    assert put.json() == stored and client.get(url, headers=tenant.headers).json() == stored  # Ballerine: {}
    assert latest(client, tenant)["documentsSchema"] == stored


def test_a_documents_schema_is_checked_with_paths(client: TestClient, tenant: Tenant) -> None:
    bad = [
        {"category": "a", "type": "b", "issuer": {"country": "gb"}, "propertiesSchema": {"type": "object"}},
        {
            "category": "a",
            "type": "b",
            "issuer": {"country": "GB"},
            "propertiesSchema": {"type": "object", "properties": {"x": {"type": "text"}}},
        },
    ]
    resp = client.put(f"{DEFS}/{KYB}/documents-schema", json=bad, headers=tenant.headers)
    assert resp.status_code == 400
    assert sorted(e["path"] for e in resp.json()["errors"]) == ["0.issuer.country", "0.propertiesSchema.properties"]
    resp = client.put(f"{DEFS}/{KYB}/documents-schema", json=bad[1:], headers=tenant.headers)
    assert [e["path"] for e in resp.json()["errors"]] == ["0.propertiesSchema.properties.x.type"]


def test_the_statechart_is_replaced_in_a_new_version_running_workflows_keep_theirs(
    client: TestClient, tenant: Tenant
) -> None:
    running = client.post(RUN, json=SEED, headers=tenant.headers).json()["workflowRuntimeId"]
    chart = client.get(f"{DEFS}/{KYB}", headers=tenant.headers).json()["definition"]
    chart["states"]["manual_review"]["on"]["escalate"] = "manual_review"
    resp = client.put(f"{DEFS}/{KYB}/definition", json={"definition": chart}, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    change = resp.json()
    assert change == {"count": 1, "id": change["id"], "name": KYB, "version": 2}
    assert client.get(f"{DEFS}/{change['id']}", headers=tenant.headers).json()["definition"] == chart
    old = client.get(f"{WF}/{running}", headers=tenant.headers).json()
    assert old["workflowDefinitionVersion"] == 1 and "escalate" not in old["nextEvents"]
    # validated as an upload (Ballerine skips validation here)
    resp = client.put(f"{DEFS}/{KYB}/definition", json={"definition": {"initial": "x"}}, headers=tenant.headers)
    assert resp.status_code == 400 and "definition.states" in {e["path"] for e in resp.json()["errors"]}
    resp = client.put(f"{DEFS}/{KYB}/definition", json={"definition": {}}, headers=tenant.headers)
    assert resp.status_code == 400 and [e["path"] for e in resp.json()["errors"]] == ["definition"]


def test_the_extensions_are_replaced_whole(client: TestClient, tenant: Tenant) -> None:
    client.put(f"{EXTERNAL}/{KYB}/plugins", json={"apiPlugins": [HOOK], "commonPlugins": []}, headers=tenant.headers)
    resp = client.put(f"{DEFS}/{KYB}/extensions", json={"extensions": {"apiPlugins": []}}, headers=tenant.headers)
    assert resp.status_code == 200 and resp.json()["version"] == 3
    assert client.get(f"{EXTERNAL}/{KYB}/plugins", headers=tenant.headers).json() == {"apiPlugins": []}
    resp = client.put(f"{DEFS}/{KYB}/extensions", json={"extensions": {"apiPlugins": "x"}}, headers=tenant.headers)
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "extensions.apiPlugins"


def test_changes_are_bounded_by_the_definition_limits(
    client: TestClient, tenant: Tenant, limits: Callable[..., ServiceLimits]
) -> None:
    limits(max_definition_plugins=2)
    resp = client.put(f"{EXTERNAL}/{KYB}/plugins", json={"apiPlugins": [HOOK] * 3}, headers=tenant.headers)
    assert resp.status_code == 413 and resp.json()["errors"][0]["path"] == "body"
    assert "ARABESQUE_MAX_DEFINITION_PLUGINS" in resp.json()["errors"][0]["message"]


def test_a_copy_is_version_1_of_a_new_name_in_the_callers_project(
    client: TestClient, tenant: Tenant, db: Database
) -> None:
    resp = client.post(f"{DEFS}/{KYB}/copy", json={"name": "kyb_copy", "displayName": "Copy"}, headers=tenant.headers)
    assert resp.status_code == 201, resp.text
    made = resp.json()
    source = client.get(f"{DEFS}/{KYB}", headers=tenant.headers).json()
    assert (made["name"], made["version"], made["displayName"], made["projectId"]) == (
        "kyb_copy",
        1,
        "Copy",
        tenant.project_id,
    )
    assert made["definition"] == source["definition"] and made["id"] != source["id"]
    again = client.post(f"{DEFS}/{KYB}/copy", json={"name": "kyb_copy"}, headers=tenant.headers)
    assert again.status_code == 409
    assert client.post(f"{DEFS}/{KYB}/copy", json={}, headers=tenant.headers).status_code == 400  # a name is needed


def test_a_public_template_is_read_and_copied_never_changed(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    template = {"name": "template", "definition": {"id": "t", "initial": "a", "states": {"a": {}}}}
    with db.write() as s:
        insert_definition(s, None, template, created_by="test")
    assert client.get(f"{EXTERNAL}/template", headers=tenant.headers).json()["isPublic"] is True
    for method, url, body in [
        ("PUT", f"{EXTERNAL}/template/plugins", {"apiPlugins": []}),
        ("PUT", f"{DEFS}/template/definition", {"definition": template["definition"]}),
        ("PUT", f"{DEFS}/template/documents-schema", []),
    ]:
        assert client.request(method, url, json=body, headers=tenant.headers).status_code == 404, url
    copied = client.post(f"{DEFS}/template/copy", json={"name": "mine"}, headers=tenant.headers).json()
    assert (copied["isPublic"], copied["projectId"]) == (False, tenant.project_id)  # Ballerine: a new template
    assert client.get(f"{DEFS}/mine", headers=other_tenant.headers).status_code == 404
