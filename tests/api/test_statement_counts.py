"""SQL statements per run and per event (no N+1): the hot paths of issue 3's benchmark, pinned.

A behaviour test, not a timing: the API's `POST /run` and `POST /{id}/event` must issue a fixed number of
statements, whatever the number of webhook subscriptions or earlier events. bench/service_bench.py's
pgbench scripts mirror exactly these statements; when a count here changes, update them too.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from arabesque.store import Database, WebhookSubscription
from service_fixtures import SEED, Tenant, statements

RUN = "/api/v1/external/workflows/run"


def run(client: TestClient, tenant: Tenant, entity_id: str) -> str:
    body = {**SEED, "context": {**SEED["context"], "entity": {**SEED["context"]["entity"], "id": entity_id}}}
    resp = client.post(RUN, json=body, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["workflowRuntimeId"])


def send(client: TestClient, tenant: Tenant, runtime_id: str, n: int) -> None:
    resp = client.post(
        f"/api/v1/external/workflows/{runtime_id}/event",
        json={"name": "UPDATE_CONTEXT", "payload": {"context": {"review": {"n": n}}}},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.text


def test_a_run_and_an_event_issue_a_fixed_number_of_statements(
    client: TestClient, tenant: Tenant, db: Database
) -> None:
    run(client, tenant, "warm-up")  # the compiled-definition cache and the pool are warm from here on
    with statements(db) as seen:
        runtime_id = run(client, tenant, "new-entity")
    # key, definition, entity upsert, webhook subscriptions, runtime (final state), audit rows
    assert len(seen) == 6, seen
    with statements(db) as seen:
        run(client, tenant, "new-entity")
    # the entity exists: + its active runtime (locked), which is updated instead of inserted
    assert len(seen) == 6, seen
    assert [s.split()[2] for s in seen if s.startswith("INSERT")] == ["business", "runtime_event"]
    for n in range(3):
        with statements(db) as seen:
            send(client, tenant, runtime_id, n)
        # key, runtime (locked), its update, the audit row: the definition comes from the cache
        assert len(seen) == 4, seen


def test_webhook_subscriptions_are_looked_up_once_per_transaction(
    client: TestClient, tenant: Tenant, db: Database
) -> None:
    counts: list[int] = []
    run(client, tenant, "warm-up")
    for subscriptions in (1, 4):
        with db.write() as s:
            for i in range(subscriptions - len(counts)):
                s.add(
                    WebhookSubscription(
                        id=f"sub-{subscriptions}-{i}",
                        project_id=tenant.project_id,
                        url=f"https://example.com/hook/{i}",
                        events=["*"],
                        secret="whsec_test",
                    )
                )
        with statements(db) as seen:
            run(client, tenant, f"entity-{subscriptions}")
        # one outbox row per delivery (batched by the ORM where the driver allows): not counted here
        counts.append(len([s for s in seen if not s.startswith("INSERT INTO outbox_effect")]))
        assert sum(1 for s in seen if s.startswith("SELECT webhook_subscription.id,")) == 1
    assert counts[0] == counts[1], counts  # 1 or 4 subscriptions: the same lookups
