"""Issue 11, Ballerine API parity: the contract of every new route.

- The example requests of Ballerine's reference (`external-api.md`; the section is named on each), sent as they
  are: the status and the shape of the answer (the keys a Ballerine client reads are there).
- Tenant isolation: every new route with an id answers 404 to another project's key, and changes nothing; the lists
  show another project nothing.
- The OpenAPI lists every new route with its response model and its error statuses.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from starlette.testclient import TestClient

from arabesque.store import Database
from service_fixtures import SEED, Tenant

API = "/api/v1"
EXTERNAL = f"{API}/external/workflows/workflow-definition"
DEFS = f"{API}/workflow-definition"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# §14.1 `putPluginsExampleResponse`: the example request and response of PUT .../plugins
PLUGINS_EXAMPLE: dict[str, Any] = {
    "apiPlugins": [
        {
            "name": "invitation-email",
            "pluginKind": "template-email",
            "template": "invitation",
            "successAction": "INVITATION_SENT",
            "errorAction": "INVITATION_FAILURE",
            "stateNames": ["collection_invite"],
        },
        {
            "name": "businessInformation",
            "vendor": "asia-verify",
            "pluginKind": "registry-information",
            "stateNames": ["get_vendor_data"],
            "displayName": "Registry Information",
            "errorAction": "VENDOR_FAILED",
            "successAction": "VENDOR_DONE",
        },
        {
            "name": "companySanctions",
            "vendor": "asia-verify",
            "pluginKind": "company-sanctions",
            "stateNames": ["get_vendor_data"],
            "displayName": "Company Sanctions",
            "errorAction": "VENDOR_FAILED",
            "successAction": "VENDOR_DONE",
        },
        {
            "name": "ubo",
            "vendor": "asia-verify",
            "pluginKind": "ubo",
            "stateNames": ["get_vendor_data"],
            "displayName": "UBO Check",
            "errorAction": "VENDOR_FAILED",
            "successAction": "VENDOR_DONE",
        },
        {
            "name": "resubmission-email",
            "pluginKind": "template-email",
            "template": "resubmission",
            "stateNames": ["pending_resubmission"],
            "errorAction": "EMAIL_FAILURE",
            "successAction": "EMAIL_SENT",
        },
        {
            "name": "merchantMonitoring",
            "pluginKind": "merchant-monitoring",
            "vendor": "ballerine",
            "stateNames": ["run_merchant_monitoring"],
            "successAction": "MERCHANT_MONITORING_SUCCESS",
            "errorAction": "MERCHANT_MONITORING_FAILED",
            "reportType": "MERCHANT_REPORT_T1",
            "merchantMonitoringQualityControl": False,
            "dataMapping": "\n        countryCode: entity.data.country,\n"
            "        websiteUrl: entity.data.additionalInfo.store.website.mainWebsite,\n      ",
        },
    ],
    "commonPlugins": [
        {
            "name": "riskEvaluation",
            "pluginKind": "riskRules",
            "stateNames": ["manual_review"],
            "rulesSource": {"source": "notion", "databaseId": "aaaaaaaaaaaaaa"},
        }
    ],
    "childWorkflowPlugins": [],
    "dispatchEventPlugins": [],
}


def _vendor_flow(name: str) -> dict[str, Any]:
    """A definition with the states and events §14.1's plugins name, and no plugins (`extensions` null)."""

    def waits(*events: str) -> dict[str, Any]:
        return {"on": {event: "manual_review" for event in events}}

    states = {
        "collection_invite": waits("INVITATION_SENT", "INVITATION_FAILURE"),
        "get_vendor_data": waits("VENDOR_DONE", "VENDOR_FAILED"),
        "pending_resubmission": waits("EMAIL_SENT", "EMAIL_FAILURE"),
        "run_merchant_monitoring": waits("MERCHANT_MONITORING_SUCCESS", "MERCHANT_MONITORING_FAILED"),
        "manual_review": {"on": {"approve": "approved"}},
        "approved": {"type": "final"},
    }
    return {"name": name, "definition": {"id": name, "initial": "collection_invite", "states": states}}


def _errors(resp: Any) -> list[str]:
    return sorted(e["path"] for e in resp.json()["errors"])


# --- the reference's examples -------------------------------------------------------------------------------


def test_put_plugins_example_adds_a_version_and_answers_the_same_object(client: TestClient, tenant: Tenant) -> None:
    """§14.1 / §8.3: on a definition whose latest `extensions` is null, PUT the example: 200 with the same object,
    version +1, the previous version unchanged. Ballerine's vendor kinds (`template-email`, `registry-information`,
    ...) need no `url`: the e-mails are e-mail effects, the vendor calls go to the project's `UNIFIED_API_URL`."""
    created = client.post(DEFS, json=_vendor_flow("vendor_flow"), headers=tenant.headers).json()
    assert created["extensions"] is None
    resp = client.put(f"{EXTERNAL}/vendor_flow/plugins", json=PLUGINS_EXAMPLE, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == PLUGINS_EXAMPLE
    assert client.get(f"{EXTERNAL}/vendor_flow/plugins", headers=tenant.headers).json() == PLUGINS_EXAMPLE  # §8.2
    versions = client.get(DEFS, params={"limit": 100}, headers=tenant.headers).json()["items"]
    assert sorted(d["version"] for d in versions if d["name"] == "vendor_flow") == [1, 2]
    assert client.get(f"{DEFS}/{created['id']}", headers=tenant.headers).json() == created


def test_a_vendor_kind_without_a_vendor_is_refused_with_its_path(client: TestClient, tenant: Tenant) -> None:
    client.post(DEFS, json=_vendor_flow("vendor_flow"), headers=tenant.headers)
    body = copy.deepcopy(PLUGINS_EXAMPLE)
    del body["apiPlugins"][1]["vendor"]
    body["apiPlugins"][4]["template"] = "nope"
    resp = client.put(f"{EXTERNAL}/vendor_flow/plugins", json=body, headers=tenant.headers)
    assert resp.status_code == 400
    assert _errors(resp) == ["apiPlugins[1].vendor", "apiPlugins[4].template"]


def test_storage_examples(client: TestClient, tenant: Tenant) -> None:
    """§5.1-5.3: a multipart `file` → 201 `{id, mimeType}`; its metadata; its bytes with the stored type."""
    resp = client.post(
        f"{API}/external/storage", files={"file": ("report.pdf", PDF, "application/pdf")}, headers=tenant.headers
    )
    assert resp.status_code == 201 and {"id", "mimeType"} <= set(resp.json())
    file_id = resp.json()["id"]
    meta = client.get(f"{API}/external/storage/{file_id}", headers=tenant.headers).json()
    assert {"id", "mimeType", "fileName", "createdAt", "createdBy", "projectId"} <= set(meta)
    content = client.get(f"{API}/external/storage/content/{file_id}", headers=tenant.headers)
    assert (content.status_code, content.content, content.headers["content-type"]) == (200, PDF, "application/pdf")


def test_end_user_examples(client: TestClient, tenant: Tenant) -> None:
    """§6.1, §6.2, §6.4."""
    resp = client.post(
        f"{API}/external/end-users",
        json={"firstName": "Jane", "lastName": "Doe", "correlationId": "jane-doe"},
        headers=tenant.headers,
    )
    assert resp.status_code == 201 and {"id", "firstName", "lastName"} <= set(resp.json())
    resp = client.post(
        f"{API}/external/end-users/create-with-business",
        json={"firstName": "Jo", "lastName": "Bloggs", "correlationId": "jo", "companyName": "Bloggs Ltd"},
        headers=tenant.headers,
    )
    assert resp.status_code == 201 and set(resp.json()) == {"endUserId", "businessId"}  # Ballerine: always 400
    kyc = {
        "workflowId": "kyc_document_review",
        "context": {
            "entity": {"type": "individual", "id": "jane-doe", "data": {"firstName": "Jane", "lastName": "Doe"}},
            "documents": [],
        },
    }
    assert client.post(f"{API}/external/workflows/run", json=kyc, headers=tenant.headers).status_code == 200
    [item] = client.get(f"{API}/external/end-users/jane-doe/workflows", headers=tenant.headers).json()
    runtime_keys = {"id", "endUserId", "businessId", "assigneeId", "workflowDefinitionId", "workflowDefinitionVersion"}
    runtime_keys |= {"context", "config", "state", "tags", "status", "createdAt", "updatedAt", "createdBy"}
    runtime_keys |= {"resolvedAt", "assignedAt", "parentRuntimeDataId", "projectId"}
    assert runtime_keys <= set(item["workflowRuntimeData"])
    definition_keys = {"id", "name", "version", "definitionType", "definition", "extensions", "config"}
    assert definition_keys <= set(item["workflowDefinition"])


def test_business_examples(client: TestClient, tenant: Tenant) -> None:
    """§7.1 (with the fields Ballerine requires as strings), §7.2, §7.4, §7.5."""
    body = {
        "companyName": "Acme Ltd",
        "correlationId": "acme",
        "registrationNumber": "123",
        "businessType": "private",
        "mccCode": "5411",
    }
    resp = client.post(f"{API}/external/businesses", json=body, headers=tenant.headers)
    assert resp.status_code == 201 and {"id", "companyName"} <= set(resp.json())
    update = {
        "companyName": "Acme Group",
        "registrationNumber": "456",
        "address": {"street": "1 High St"},
        "website": "https://acme.example",
        "documents": {"registrationDocument": "reg.pdf", "financialStatement": "fs.pdf"},
        "shareholderStructure": [{"name": "A", "percentage": 100}],
    }
    resp = client.put(f"{API}/external/businesses/acme", json=update, headers=tenant.headers)
    assert resp.status_code == 200
    assert resp.json()["companyName"] == "Acme Group"
    assert resp.json()["data"]["documents"] == update["documents"]  # JSON as JSON (Ballerine: an encoded string)
    listed = client.get(f"{API}/external/businesses", headers=tenant.headers).json()
    assert [b["id"] for b in listed["items"]] == [resp.json()["id"]]
    assert client.get(f"{API}/external/businesses/acme/workflows", headers=tenant.headers).json() == []


def test_definition_examples(client: TestClient, tenant: Tenant) -> None:
    """§8.1, §8.4-8.9, §8.11, §8.12: each request as the reference gives it."""
    kyb = "till_basic_kyb_demo"
    got = client.get(f"{EXTERNAL}/{kyb}", headers=tenant.headers)
    assert got.status_code == 200 and got.json()["uiDefinitions"] == []
    assert client.get(f"{DEFS}/{kyb}/input-context-schema", headers=tenant.headers).json()["type"] == "object"
    body = {"type": "object", "properties": {"additionalProperties": True}}  # §8.6's TypeBox shape
    resp = client.put(f"{DEFS}/{kyb}/input-context-schema/custom-data-schema", json=body, headers=tenant.headers)
    assert (resp.status_code, resp.json()) == (200, body)
    templates = [
        {
            "category": "proof_of_address",
            "type": "utility_bill",
            "issuer": {"country": "ZZ"},
            "issuingVersion": 1,
            "propertiesSchema": {
                "type": "object",
                "properties": {"issueDate": {"type": "string", "format": "date"}},
            },
            "required": ["issueDate"],
        }
    ]
    resp = client.put(f"{DEFS}/{kyb}/documents-schema", json=templates, headers=tenant.headers)
    assert (resp.status_code, resp.json()) == (200, templates)  # Ballerine answers {}
    copied = client.post(f"{DEFS}/{kyb}/copy", json={"name": "kyb_v2", "displayName": "KYB v2"}, headers=tenant.headers)
    assert copied.status_code == 201 and copied.json()["version"] == 1
    chart = client.get(f"{DEFS}/{kyb}", headers=tenant.headers).json()["definition"]
    resp = client.put(f"{DEFS}/{kyb}/definition", json={"definition": chart}, headers=tenant.headers)
    assert resp.status_code == 200 and resp.json()["count"] == 1
    resp = client.put(f"{DEFS}/{kyb}/extensions", json={"extensions": {"commonPlugins": []}}, headers=tenant.headers)
    assert resp.status_code == 200 and resp.json()["count"] == 1


def test_secrets_examples(client: TestClient, tenant: Tenant) -> None:
    """§9: POST `{key, value}` → 204; GET → the names (never the values, D11); DELETE → 204, also when absent."""
    resp = client.post(
        f"{API}/external/secrets", json={"key": "UNIFIED_API_TOKEN", "value": "abc"}, headers=tenant.headers
    )
    assert (resp.status_code, resp.content) == (204, b"")
    listed = client.get(f"{API}/external/secrets", headers=tenant.headers)
    assert [s["name"] for s in listed.json()] == ["UNIFIED_API_TOKEN"] and "abc" not in listed.text
    for _ in range(2):
        assert client.delete(f"{API}/external/secrets/UNIFIED_API_TOKEN", headers=tenant.headers).status_code == 204


def test_customer_example(client: TestClient, tenant: Tenant) -> None:
    """§10.1: the key's customer (with `displayName`, `createdAt` as Ballerine's) and its project."""
    me = client.get(f"{API}/external/customers/me", headers=tenant.headers)
    assert me.status_code == 200 and {"displayName", "createdAt", "project"} <= set(me.json())


# --- tenant isolation -----------------------------------------------------------------------------------------


def _resources(client: TestClient, t: Tenant) -> dict[str, str]:
    """One of each resource in `t`'s project: a file, an end user, a business, a definition."""
    file_id = client.post(
        f"{API}/external/storage", files={"file": ("a.pdf", PDF, "application/pdf")}, headers=t.headers
    ).json()["id"]
    user = client.post(
        f"{API}/external/end-users", json={"firstName": "A", "lastName": "B", "correlationId": "u"}, headers=t.headers
    ).json()["id"]
    run = client.post(f"{API}/external/workflows/run", json=SEED, headers=t.headers).json()
    own = client.post(DEFS, json=_vendor_flow("private_flow"), headers=t.headers).json()["id"]
    return {"file": file_id, "user": user, "business": run["ballerineEntityId"], "definition": own}


def _by_id(r: dict[str, str]) -> list[tuple[str, str, Any]]:
    """(method, url, json body) of every new route that names a resource."""
    chart = _vendor_flow("x")["definition"]
    return [
        ("GET", f"{API}/external/storage/{r['file']}", None),
        ("GET", f"{API}/external/storage/content/{r['file']}", None),
        ("GET", f"{API}/external/end-users/{r['user']}", None),
        ("GET", f"{API}/external/end-users/u", None),  # by correlation id too
        ("PUT", f"{API}/external/end-users/{r['user']}", {"firstName": "Mallory"}),
        ("GET", f"{API}/external/end-users/{r['user']}/workflows", None),
        ("GET", f"{API}/external/businesses/{r['business']}", None),
        ("PUT", f"{API}/external/businesses/{r['business']}", {"companyName": "Mallory Ltd"}),
        ("GET", f"{API}/external/businesses/{r['business']}/workflows", None),
        ("GET", f"{EXTERNAL}/{r['definition']}", None),
        ("GET", f"{EXTERNAL}/{r['definition']}/plugins", None),
        ("PUT", f"{EXTERNAL}/{r['definition']}/plugins", {"commonPlugins": []}),
        ("GET", f"{DEFS}/{r['definition']}/input-context-schema", None),
        ("GET", f"{DEFS}/{r['definition']}/input-context-schema/custom-data-schema", None),
        ("PUT", f"{DEFS}/{r['definition']}/input-context-schema/custom-data-schema", {"type": "object"}),
        ("GET", f"{DEFS}/{r['definition']}/documents-schema", None),
        ("PUT", f"{DEFS}/{r['definition']}/documents-schema", []),
        ("PUT", f"{DEFS}/{r['definition']}/definition", {"definition": chart}),
        ("PUT", f"{DEFS}/{r['definition']}/extensions", {"extensions": {"commonPlugins": []}}),
        ("POST", f"{DEFS}/{r['definition']}/copy", {"name": "stolen"}),
    ]


def test_another_projects_key_gets_404_on_every_new_route_and_changes_nothing(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    mine = _resources(client, tenant)
    calls = _by_id(mine)
    for method, url, body in calls:  # each works for the owner
        resp = client.request(method, url, json=body, headers=tenant.headers)
        assert resp.status_code < 300, (method, url, resp.text)
    before = {url: client.get(url, headers=tenant.headers).content for method, url, _ in calls if method == "GET"}
    for method, url, body in calls:
        resp = client.request(method, url, json=body, headers=other_tenant.headers)
        assert resp.status_code == 404, (method, url, resp.text)
        assert resp.json()["statusCode"] == 404
    after = {url: client.get(url, headers=tenant.headers).content for url in before}
    assert after == before
    assert client.get(f"{DEFS}/stolen", headers=other_tenant.headers).status_code == 404


@pytest.mark.parametrize("url", [f"{API}/external/end-users", f"{API}/external/businesses", f"{API}/external/secrets"])
def test_the_lists_show_another_project_nothing(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, url: str
) -> None:
    _resources(client, tenant)
    client.post(f"{API}/external/secrets", json={"key": "K", "value": "v"}, headers=tenant.headers)
    mine, theirs = (client.get(url, headers=t.headers).json() for t in (tenant, other_tenant))
    assert mine and (mine["items"] if isinstance(mine, dict) else mine)
    assert theirs in ([], {"items": [], "meta": {"total": 0, "pages": 0}})


# --- the OpenAPI ----------------------------------------------------------------------------------------------

NEW_ROUTES: dict[tuple[str, str], tuple[str, str | None, set[str]]] = {
    # (method, path): (success status, its response model, the error statuses documented beyond 400/401/503)
    ("post", "/api/v1/external/storage"): ("201", "StoredFile", {"413"}),
    ("get", "/api/v1/external/storage/{file_id}"): ("200", "FileMetadata", {"404"}),
    ("get", "/api/v1/external/storage/content/{file_id}"): ("200", None, {"404"}),
    ("post", "/api/v1/external/end-users"): ("201", "EndUser", {"409", "413"}),
    ("post", "/api/v1/external/end-users/create-with-business"): ("201", "EndUserWithBusiness", {"409", "413"}),
    ("get", "/api/v1/external/end-users"): ("200", "EndUserPage", set()),
    ("get", "/api/v1/external/end-users/{key}"): ("200", "EndUser", {"404"}),
    ("put", "/api/v1/external/end-users/{key}"): ("200", "EndUser", {"404", "413"}),
    ("get", "/api/v1/external/end-users/{key}/workflows"): ("200", "EntityWorkflow[]", {"404"}),
    ("post", "/api/v1/external/businesses"): ("201", "Business", {"409", "413"}),
    ("get", "/api/v1/external/businesses"): ("200", "BusinessPage", set()),
    ("get", "/api/v1/external/businesses/{key}"): ("200", "Business", {"404"}),
    ("put", "/api/v1/external/businesses/{key}"): ("200", "Business", {"404", "413"}),
    ("get", "/api/v1/external/businesses/{key}/workflows"): ("200", "EntityWorkflow[]", {"404"}),
    ("get", "/api/v1/external/businesses/business-information"): (
        "200",
        "BusinessInformation",
        {"404", "501", "502"},
    ),
    ("get", "/api/v1/external/secrets"): ("200", "SecretName[]", set()),
    ("post", "/api/v1/external/secrets"): ("204", None, {"413"}),
    ("put", "/api/v1/external/secrets/{name}"): ("204", None, {"413"}),
    ("delete", "/api/v1/external/secrets/{name}"): ("204", None, set()),
    ("get", f"{EXTERNAL}/{{definition_id}}"): ("200", "DefinitionWithUi", {"404"}),
    ("get", f"{EXTERNAL}/{{definition_id}}/plugins"): ("200", "Extensions", {"404"}),
    ("put", f"{EXTERNAL}/{{definition_id}}/plugins"): ("200", "Extensions", {"404", "409", "413"}),
    ("get", f"{DEFS}/{{definition_id}}/input-context-schema"): ("200", "JsonSchema", {"404"}),
    ("get", f"{DEFS}/{{definition_id}}/input-context-schema/custom-data-schema"): ("200", "JsonSchema", {"404"}),
    ("put", f"{DEFS}/{{definition_id}}/input-context-schema/custom-data-schema"): (
        "200",
        "JsonSchema",
        {"404", "409", "413"},
    ),
    ("get", f"{DEFS}/{{definition_id}}/documents-schema"): ("200", "DocumentsSchema", {"404"}),
    ("put", f"{DEFS}/{{definition_id}}/documents-schema"): ("200", "DocumentsSchema", {"404", "409", "413"}),
    ("put", f"{DEFS}/{{definition_id}}/definition"): ("200", "DefinitionChange", {"404", "409", "413"}),
    ("put", f"{DEFS}/{{definition_id}}/extensions"): ("200", "DefinitionChange", {"404", "409", "413"}),
    ("post", f"{DEFS}/{{definition_id}}/copy"): ("201", "Definition", {"404", "409", "413"}),
    ("get", "/api/v1/external/customers/me"): ("200", "CurrentCustomer", {"404"}),
}


def _model(response: dict[str, Any]) -> str | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    if schema.get("type") == "array":
        return str(schema["items"]["$ref"]).rsplit("/", 1)[-1] + "[]"
    return str(schema["$ref"]).rsplit("/", 1)[-1]


def test_the_openapi_lists_every_new_route_with_its_model_and_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for (method, path), (status, model, errors) in NEW_ROUTES.items():
        operation = spec["paths"].get(path, {}).get(method)
        assert operation is not None, f"{method.upper()} {path} is not in the OpenAPI"
        responses = operation["responses"]
        assert status in responses, (method, path)
        assert _model(responses[status]) == model, (method, path)
        assert {"400", "401", "503"} | errors <= set(responses), (method, path, sorted(responses))
    content = spec["paths"]["/api/v1/external/storage/content/{file_id}"]["get"]["responses"]["200"]["content"]
    assert {"application/pdf", "image/png", "image/jpeg"} <= set(content)
