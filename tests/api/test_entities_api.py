"""End users and businesses: create (an end user alone or with its business), list, read, change, and their
workflows, in the caller's project only (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from arabesque.store import Database, EndUserBusiness
from service_fixtures import SEED, Tenant

END_USERS = "/api/v1/external/end-users"
BUSINESSES = "/api/v1/external/businesses"
RUN = "/api/v1/external/workflows/run"


def paths(resp: Any) -> list[str]:
    assert resp.status_code == 400, resp.text
    return sorted(e["path"] for e in resp.json()["errors"])


def test_an_end_user_is_created_read_by_either_id_and_changed(client: TestClient, tenant: Tenant) -> None:
    body = {
        "correlationId": "jane-1",
        "firstName": "Jane",
        "lastName": "Doe",
        "email": "jane@example.com",
        "phone": "+441234567890",
        "dateOfBirth": "1990-01-31",
        "additionalInfo": {"nationality": "GB"},
    }
    created = client.post(END_USERS, json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    user = created.json()
    assert (user["firstName"], user["lastName"], user["email"], user["approvalState"]) == (
        "Jane",
        "Doe",
        "jane@example.com",
        "NEW",
    )
    assert user["data"] == {k: v for k, v in body.items() if k != "correlationId"}  # nothing invented (D14)
    for key in (user["id"], "jane-1"):
        assert client.get(f"{END_USERS}/{key}", headers=tenant.headers).json() == user

    changed = client.put(f"{END_USERS}/jane-1", json={"lastName": "Roe", "phone": None}, headers=tenant.headers)
    assert changed.status_code == 200
    after = changed.json()
    assert after["lastName"] == "Roe" and after["data"]["lastName"] == "Roe" and "phone" not in after["data"]
    assert after["data"]["email"] == "jane@example.com" and after["correlationId"] == "jane-1"
    assert after["updatedAt"] >= user["updatedAt"]


def test_a_correlation_id_is_generated_when_absent_and_unique_when_given(client: TestClient, tenant: Tenant) -> None:
    first = client.post(END_USERS, json={"firstName": "A", "lastName": "B"}, headers=tenant.headers).json()
    assert len(first["correlationId"]) == 36  # a UUID
    again = {"firstName": "C", "lastName": "D", "correlationId": first["correlationId"]}
    resp = client.post(END_USERS, json=again, headers=tenant.headers)
    assert resp.status_code == 409 and resp.json()["errors"] == [
        {"path": "correlationId", "message": "already used in this project"}
    ]


def test_create_with_business_links_them(client: TestClient, tenant: Tenant, db: Database) -> None:
    body = {"firstName": "Ada", "lastName": "Lovelace", "companyName": "Analytical Engines Ltd"}
    resp = client.post(f"{END_USERS}/create-with-business", json=body, headers=tenant.headers)
    assert resp.status_code == 201, resp.text
    ids = resp.json()
    assert set(ids) == {"endUserId", "businessId"}
    business = client.get(f"{BUSINESSES}/{ids['businessId']}", headers=tenant.headers).json()
    assert business["companyName"] == "Analytical Engines Ltd"
    assert client.get(f"{END_USERS}/{ids['endUserId']}", headers=tenant.headers).json()["firstName"] == "Ada"
    with db.read() as s:
        link = s.scalars(select(EndUserBusiness)).one()
    assert (link.end_user_id, link.business_id, link.project_id) == (
        ids["endUserId"],
        ids["businessId"],
        tenant.project_id,
    )
    assert paths(client.post(f"{END_USERS}/create-with-business", json={}, headers=tenant.headers)) == [
        "companyName",
        "firstName",
        "lastName",
    ]


def test_a_business_is_created_with_only_what_was_sent_and_changed(client: TestClient, tenant: Tenant) -> None:
    body = {
        "correlationId": "acme-1",
        "companyName": "Acme Ltd",
        "registrationNumber": "12345678",
        "businessType": "private",
        "mccCode": "5411",  # Ballerine takes it as a string; stored as a number
        "address": {"street": "1 High St", "country": "GB"},
        "dateOfIncorporation": "2001-02-03T00:00:00Z",
    }
    created = client.post(BUSINESSES, json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    business = created.json()
    assert business["companyName"] == "Acme Ltd"
    # nothing hard-coded (Ballerine's D15: legalForm "name", address "addess", industry "telecom", ...)
    assert business["data"] == {**{k: v for k, v in body.items() if k != "correlationId"}, "mccCode": 5411}
    update = {"companyName": "Acme Group", "website": "https://acme.example", "shareholderStructure": []}
    changed = client.put(f"{BUSINESSES}/acme-1", json=update, headers=tenant.headers).json()
    assert changed["companyName"] == "Acme Group" and changed["data"]["website"] == "https://acme.example"
    assert changed["data"]["registrationNumber"] == "12345678" and changed["projectId"] == tenant.project_id


def test_bad_input_is_400_naming_every_field(client: TestClient, tenant: Tenant) -> None:
    bad_user = {
        "firstName": "",
        "lastName": "x" * 201,  # the column's size
        "email": "e" * 321,
        "dateOfBirth": "31/01/1990",
        "isContactPerson": "yes",
        "approvalState": "DONE",
        "unknown": 1,
        "correlationId": "c" * 201,
    }
    assert paths(client.post(END_USERS, json=bad_user, headers=tenant.headers)) == sorted(bad_user)
    bad_business = {"companyName": "n" * 501, "numberOfEmployees": "5", "mccCode": "abc", "shareholderStructure": "x"}
    assert paths(client.post(BUSINESSES, json=bad_business, headers=tenant.headers)) == sorted(bad_business)
    client.post(END_USERS, json={"firstName": "A", "lastName": "B", "correlationId": "u"}, headers=tenant.headers)
    resp = client.put(f"{END_USERS}/u", json={"firstName": None, "correlationId": "v"}, headers=tenant.headers)
    assert paths(resp) == ["correlationId", "firstName"]  # a name is not removed; the correlation id is not changed


def test_lists_are_paged_newest_first(client: TestClient, tenant: Tenant) -> None:
    for i in range(3):
        client.post(BUSINESSES, json={"companyName": f"B{i}", "correlationId": f"b{i}"}, headers=tenant.headers)
    page = client.get(BUSINESSES, params={"page": 1, "limit": 2}, headers=tenant.headers).json()
    assert [b["companyName"] for b in page["items"]] == ["B2", "B1"] and page["meta"] == {"total": 3, "pages": 2}
    page = client.get(BUSINESSES, params={"page": 2, "limit": 2}, headers=tenant.headers).json()
    assert [b["companyName"] for b in page["items"]] == ["B0"]
    assert client.get(END_USERS, headers=tenant.headers).json() == {"items": [], "meta": {"total": 0, "pages": 0}}
    assert paths(client.get(END_USERS, params={"limit": 101}, headers=tenant.headers)) == ["query.limit"]


def test_an_entitys_workflows_with_their_definitions(client: TestClient, tenant: Tenant) -> None:
    run = client.post(RUN, json=SEED, headers=tenant.headers).json()
    entity = SEED["context"]["entity"]["id"]
    for key in (entity, run["ballerineEntityId"]):
        resp = client.get(f"{BUSINESSES}/{key}/workflows", headers=tenant.headers)
        assert resp.status_code == 200
        [item] = resp.json()
        assert item["workflowRuntimeData"]["id"] == run["workflowRuntimeId"]
        assert item["workflowRuntimeData"]["businessId"] == run["ballerineEntityId"]
        assert item["workflowDefinition"]["id"] == run["workflowDefinitionId"]
        assert item["workflowDefinition"]["definition"]["states"]
    user = client.post(END_USERS, json={"firstName": "A", "lastName": "B"}, headers=tenant.headers).json()
    assert client.get(f"{END_USERS}/{user['id']}/workflows", headers=tenant.headers).json() == []
    resp = client.get(f"{END_USERS}/nobody/workflows", headers=tenant.headers)
    assert resp.status_code == 404  # Ballerine answers [] for an unknown id


def test_a_run_finds_an_end_user_created_through_the_api(client: TestClient, tenant: Tenant) -> None:
    client.post(
        END_USERS, json={"firstName": "Ada", "lastName": "L", "correlationId": "person-1"}, headers=tenant.headers
    )
    body = {
        "workflowId": "kyc_document_review",
        "context": {
            "entity": {"type": "individual", "id": "person-1", "data": {"firstName": "Ada", "lastName": "L"}},
            "documents": [],
        },
    }
    run = client.post(RUN, json=body, headers=tenant.headers)
    assert run.status_code == 200, run.text
    user = client.get(f"{END_USERS}/person-1", headers=tenant.headers).json()
    assert run.json()["ballerineEntityId"] == user["id"] and user["firstName"] == "Ada"
    [item] = client.get(f"{END_USERS}/person-1/workflows", headers=tenant.headers).json()
    assert item["workflowRuntimeData"]["endUserId"] == user["id"]
