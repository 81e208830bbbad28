"""The project's secrets through Ballerine's routes: names and timestamps listed, never a value; `POST {key, value}`
creates or replaces; `DELETE` is idempotent; the existing `PUT /{name}` stays (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from arabesque.app.secrets.project_secrets import project_secret
from arabesque.store import Database, ProjectSecret
from service_fixtures import Tenant

SECRETS = "/api/v1/external/secrets"


def test_post_lists_by_name_and_never_returns_a_value(client: TestClient, tenant: Tenant, db: Database) -> None:
    for key, value in (("VENDOR_TOKEN", "tok-1"), ("APP_API_URL", "https://app.example")):
        resp = client.post(SECRETS, json={"key": key, "value": value}, headers=tenant.headers)
        assert resp.status_code == 204 and resp.content == b""
    listed = client.get(SECRETS, headers=tenant.headers)
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()] == ["APP_API_URL", "VENDOR_TOKEN"]
    assert all(set(s) == {"name", "updatedAt"} and s["updatedAt"] for s in listed.json())
    assert "tok-1" not in listed.text and "app.example" not in listed.text
    with db.read() as s:
        stored = s.scalars(select(ProjectSecret.value).where(ProjectSecret.name == "VENDOR_TOKEN")).one()
    assert "tok-1" not in stored and stored not in listed.text  # sealed at rest, and not even that is shown
    assert project_secret(db, tenant.project_id, "VENDOR_TOKEN") == "tok-1"


def test_post_replaces_and_put_is_the_same_store(client: TestClient, tenant: Tenant, db: Database) -> None:
    client.post(SECRETS, json={"key": "T", "value": "one"}, headers=tenant.headers)
    before = client.get(SECRETS, headers=tenant.headers).json()[0]["updatedAt"]
    assert client.post(SECRETS, json={"key": "T", "value": "two"}, headers=tenant.headers).status_code == 204
    assert project_secret(db, tenant.project_id, "T") == "two"
    assert client.put(f"{SECRETS}/T", json={"value": "three"}, headers=tenant.headers).status_code == 204
    assert project_secret(db, tenant.project_id, "T") == "three"
    listed = client.get(SECRETS, headers=tenant.headers).json()
    assert len(listed) == 1 and listed[0]["updatedAt"] >= before


def test_delete_is_idempotent(client: TestClient, tenant: Tenant, db: Database) -> None:
    client.post(SECRETS, json={"key": "GONE", "value": "x"}, headers=tenant.headers)
    for _ in range(2):
        resp = client.delete(f"{SECRETS}/GONE", headers=tenant.headers)
        assert resp.status_code == 204 and resp.content == b""
    assert project_secret(db, tenant.project_id, "GONE") is None
    assert client.get(SECRETS, headers=tenant.headers).json() == []


def test_a_bad_body_is_400_naming_each_field(client: TestClient, tenant: Tenant) -> None:
    resp = client.post(SECRETS, json={"key": "k" * 201, "value": 5, "extra": 1}, headers=tenant.headers)
    assert resp.status_code == 400
    assert sorted(e["path"] for e in resp.json()["errors"]) == ["extra", "key", "value"]
    resp = client.post(SECRETS, json={"value": "v"}, headers=tenant.headers)
    assert resp.status_code == 400 and [e["path"] for e in resp.json()["errors"]] == ["key"]


def test_another_projects_secrets_are_neither_seen_nor_removed(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    client.post(SECRETS, json={"key": "MINE", "value": "x"}, headers=tenant.headers)
    assert client.get(SECRETS, headers=other_tenant.headers).json() == []
    assert client.delete(f"{SECRETS}/MINE", headers=other_tenant.headers).status_code == 204
    assert project_secret(db, tenant.project_id, "MINE") == "x"
