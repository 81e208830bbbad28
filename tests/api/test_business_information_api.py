"""`GET /external/businesses/business-information`: proxied to the registry gateway the project's secrets configure
(`UNIFIED_API_URL`, `UNIFIED_API_TOKEN`), through the egress policy; 501 without one, 502 when it fails, never a
500. The registry is a real HTTP server on loopback, reachable through the project's allow-list
(SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from arabesque.api import create_api
from arabesque.api.deps import OutboundOptions
from arabesque.app.access.projects import EGRESS_HOSTS
from arabesque.asgi import create_app
from arabesque.store import Database, ProjectSetting
from registry_server import Registry, registry
from service_fixtures import Tenant

INFO = "/api/v1/external/businesses/business-information"
SECRETS = "/api/v1/external/secrets"
QUERY = {"registrationNumber": "123", "jurisdictionCode": "gb"}
# Ballerine's example answer (external-api.md §7.3)
ACME = {
    "name": "ACME LTD",
    "companyNumber": "123",
    "companyType": "Private",
    "jurisdictionCode": "gb",
    "incorporationDate": "2001-01-01",
    "currentStatus": "Active",
    "vat": "",
}


@pytest.fixture
def gateway() -> Iterator[Registry]:
    with registry() as reg:
        yield reg


def configure(client: TestClient, tenant: Tenant, url: str, token: str | None = "reg-token") -> None:
    client.post(SECRETS, json={"key": "UNIFIED_API_URL", "value": url}, headers=tenant.headers)
    if token:
        client.post(SECRETS, json={"key": "UNIFIED_API_TOKEN", "value": token}, headers=tenant.headers)


def allow_loopback(db: Database, tenant: Tenant) -> None:
    with db.write() as s:
        s.add(ProjectSetting(project_id=tenant.project_id, key=EGRESS_HOSTS, value=["127.0.0.1"]))


def test_without_a_registry_it_is_501_saying_what_to_set(client: TestClient, tenant: Tenant) -> None:
    resp = client.get(INFO, params=QUERY, headers=tenant.headers)
    assert resp.status_code == 501
    assert "UNIFIED_API_URL" in resp.json()["message"] and resp.json()["statusCode"] == 501


def test_the_registry_answer_is_passed_on(client: TestClient, tenant: Tenant, db: Database, gateway: Registry) -> None:
    configure(client, tenant, gateway.url + "/v1")
    allow_loopback(db, tenant)
    gateway.answer_json(200, ACME)
    resp = client.get(INFO, params={**QUERY, "vendor": "asia-verify"}, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == ACME
    [sent] = gateway.requests
    assert sent["path"] == "/v1/companies/gb/123?vendor=asia-verify"
    assert sent["headers"]["authorization"] == "Bearer reg-token"


def test_the_default_vendor_is_open_corporates(
    client: TestClient, tenant: Tenant, db: Database, gateway: Registry
) -> None:
    configure(client, tenant, gateway.url, token=None)
    allow_loopback(db, tenant)
    gateway.answer_json(200, ACME)
    assert client.get(INFO, params=QUERY, headers=tenant.headers).status_code == 200
    assert gateway.requests[0]["path"].endswith("?vendor=open-corporates")


def test_a_private_address_not_on_the_allow_list_is_refused_502(
    client: TestClient, tenant: Tenant, gateway: Registry
) -> None:
    configure(client, tenant, gateway.url)
    resp = client.get(INFO, params=QUERY, headers=tenant.headers)
    assert resp.status_code == 502 and "non-public address" in resp.json()["message"]
    assert gateway.requests == []


def test_allow_private_urls_lets_the_call_through(
    db: Database, tenant: Tenant, tmp_path: Path, gateway: Registry
) -> None:
    # through the whole application, as `serve` builds it from ARABESQUE_ALLOW_PRIVATE_URLS
    with TestClient(create_app(db, tmp_path / "files", allow_private_urls=True, metrics=False)) as client:
        configure(client, tenant, gateway.url)
        gateway.answer_json(200, ACME)
        assert client.get(INFO, params=QUERY, headers=tenant.headers).json() == ACME


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [(500, {"error": "down"}, "answered 500"), (200, ["not", "an", "object"], "not a JSON object")],
)
def test_an_upstream_failure_is_502(
    client: TestClient, tenant: Tenant, db: Database, gateway: Registry, status: int, body: object, message: str
) -> None:
    configure(client, tenant, gateway.url)
    allow_loopback(db, tenant)
    gateway.answer_json(status, body)
    resp = client.get(INFO, params=QUERY, headers=tenant.headers)
    assert resp.status_code == 502 and message in resp.json()["message"]


def test_a_lone_surrogate_in_the_answer_is_502_not_500(
    client: TestClient, tenant: Tenant, db: Database, gateway: Registry
) -> None:
    configure(client, tenant, gateway.url)
    allow_loopback(db, tenant)
    gateway.rule = lambda path: (200, b'{"name": "\\ud800"}', {"Content-Type": "application/json"})
    assert client.get(INFO, params=QUERY, headers=tenant.headers).status_code == 502


def test_a_registry_that_does_not_answer_in_time_is_502(
    db: Database, tenant: Tenant, tmp_path: Path, gateway: Registry
) -> None:
    allow_loopback(db, tenant)
    gateway.hold = True
    with TestClient(create_api(db, tmp_path / "files", outbound=OutboundOptions(registry_timeout=0.3))) as client:
        configure(client, tenant, gateway.url)
        resp = client.get(INFO, params=QUERY, headers=tenant.headers)
    assert resp.status_code == 502 and "did not answer within 0.3 s" in resp.json()["message"]


def test_no_such_company_is_404(client: TestClient, tenant: Tenant, db: Database, gateway: Registry) -> None:
    configure(client, tenant, gateway.url)
    allow_loopback(db, tenant)
    gateway.answer_json(404, {"message": "not found"})
    resp = client.get(INFO, params=QUERY, headers=tenant.headers)
    assert resp.status_code == 404 and "No company was found" in resp.json()["message"]


def test_the_query_is_validated(client: TestClient, tenant: Tenant) -> None:
    resp = client.get(INFO, params={"registrationNumber": "x" * 201}, headers=tenant.headers)
    assert resp.status_code == 400
    assert sorted(e["path"] for e in resp.json()["errors"]) == ["query.jurisdictionCode", "query.registrationNumber"]


def test_each_project_uses_its_own_registry(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Database, gateway: Registry
) -> None:
    configure(client, tenant, gateway.url)
    allow_loopback(db, tenant)
    gateway.answer_json(200, ACME)
    assert client.get(INFO, params=QUERY, headers=tenant.headers).status_code == 200
    assert client.get(INFO, params=QUERY, headers=other_tenant.headers).status_code == 501
