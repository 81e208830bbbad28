"""`GET /api/v1/statistics` (SQLite and PostgreSQL): exact numbers for seeded cases, the project's own only."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.testclient import TestClient

from arabesque.app.access.users import create_user
from arabesque.app.cases.queues import seed_queues
from arabesque.store import Database
from service_fixtures import Tenant
from stats_seed import seed_statistics


def test_statistics_of_the_callers_project(client: TestClient, db: Database, tenant: Tenant,
                                           other_tenant: Tenant) -> None:
    with db.write() as s:
        seed_queues(s, tenant.project_id)
    rita = create_user(db, "rita@example.com", "reviewer", tenant.project_id, "correct horse battery", "Rita Test")
    ids = seed_statistics(db, tenant.project_id, rita.id)
    seed_statistics(db, other_tenant.project_id)  # another project's cases count nowhere here
    assert client.get("/api/v1/statistics").status_code == 401
    body = client.get("/api/v1/statistics", headers=tenant.headers).json()
    assert body["windowDays"] == 30 and len(body["decidedPerDay"]) == 30
    today = datetime.now(UTC).date().isoformat()
    assert body["decidedPerDay"][-1] == {"date": today, "approved": 1, "rejected": 1, "revision": 1}
    assert all(d["approved"] + d["rejected"] + d["revision"] == 0 for d in body["decidedPerDay"][:-1])
    assert body["decided"] == {"approved": 1, "rejected": 1, "revision": 1}
    opened = body["openCases"]
    assert opened["total"] == 4
    assert opened["byState"] == [{"state": "manual_review", "count": 3}, {"state": "revision", "count": 1}]
    businesses = next(q for q in opened["byQueue"] if q["queue"] == "Businesses")
    assert businesses["total"] == 4
    assert body["medianHoursToDecision"] == 3.0 and body["resolvedCases"] == 2
    assert body["workload"] == [{"userId": body["workload"][0]["userId"], "name": "Rita Test", "open": 2,
                                 "overdue": 1}]
    assert body["unassigned"] == 2
    assert body["overdue"]["total"] == 1 and [c["id"] for c in body["overdue"]["cases"]] == [ids["late"]]
    assert body["overdue"]["cases"][0]["name"] == "Late Ltd"


def test_statistics_of_an_empty_project(client: TestClient, tenant: Tenant) -> None:
    body = client.get("/api/v1/statistics", headers=tenant.headers).json()
    assert body["openCases"] == {"total": 0, "byQueue": [], "byState": []}
    assert body["medianHoursToDecision"] is None and body["workload"] == [] and body["overdue"]["total"] == 0
