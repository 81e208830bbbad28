"""`GET /external/customers/me`: the customer and the project of the calling key (SQLite and PostgreSQL)."""

from __future__ import annotations

from starlette.testclient import TestClient

from service_fixtures import Tenant

ME = "/api/v1/external/customers/me"


def test_me_is_the_keys_customer_and_project(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    mine = client.get(ME, headers=tenant.headers)
    assert mine.status_code == 200
    body = mine.json()
    assert (body["name"], body["displayName"]) == ("acme", "acme")
    assert body["project"]["id"] == tenant.project_id and body["createdAt"]
    theirs = client.get(ME, headers=other_tenant.headers).json()
    assert theirs["name"] == "globex" and theirs["project"]["id"] == other_tenant.project_id
    assert client.get(ME).status_code == 401
