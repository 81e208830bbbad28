"""Admin → Webhooks through TestClient (SQLite and PostgreSQL): subscriptions, the delivery log, redelivery,
admin-only and CSRF enforcement; webhook deliveries in the case timeline; the list's search fields."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient
from web_helpers import first_queue, seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database, OutboxEffect, Queue, WebhookAttempt, utcnow


def _queue(client: TestClient) -> str:
    return first_queue(client)


def _new_case(client: TestClient, token: str, queue: str, company: str, registration: str) -> str:
    data = {
        "csrf_token": token,
        "entity.type": "business",
        "entity.data.companyName": company,
        "entity.data.country": "GB",
        "entity.data.registrationNumber": registration,
    }
    response = client.post(f"{queue}/new?definition=till_basic_kyb_demo", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text[:400]
    return response.headers["location"].split("?")[0]


def test_webhook_admin_pages_subscriptions_deliveries_and_redelivery(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    assert client.get("/admin/webhooks").status_code == 403
    forged = client.post("/admin/webhooks", data={"csrf_token": token, "url": "https://x.test/", "events": "*"})
    assert forged.status_code == 403
    client.cookies.clear()

    token = sign_in(client, site.admin)
    page = client.get("/admin/webhooks")
    assert page.status_code == 200 and "No webhook subscriptions." in page.text
    assert 'href="/admin/webhooks"' in page.text  # in the sidebar
    no_csrf = client.post("/admin/webhooks", data={"url": "https://hooks.example.com/a", "events": "*"})
    assert no_csrf.status_code == 403

    bad = client.post("/admin/webhooks", data={"csrf_token": token, "url": "ftp://nope", "description": "kept"})
    assert bad.status_code == 400
    assert "an http(s) URL is required" in bad.text and 'value="kept"' in bad.text

    created = client.post(
        "/admin/webhooks",
        data={"csrf_token": token, "url": "https://hooks.example.com/a", "events": ["*"], "description": "CRM"},
    )
    assert created.status_code == 200
    secret = re.search(r'id="new-secret">(whsec_[^<]+)<', created.text)
    assert secret is not None
    assert client.get("/admin/webhooks").text.count(secret.group(1)) == 0  # shown once
    link = re.search(r'href="/admin/webhooks/([^"]+)"', created.text)
    assert link is not None
    sub_id = link.group(1)

    case = _new_case(client, token, _queue(client), "Hooked Ltd", "HK-1")
    case_id = case.rsplit("/", 1)[1]
    log = client.get(f"/admin/webhooks/{sub_id}")
    assert log.status_code == 200 and "workflow.created" in log.text and case_id[:8] in log.text

    # The worker is not running here: play one failed attempt at the first delivery, as the worker would.
    with db.write() as s:
        delivery = s.scalars(
            select(OutboxEffect)
            .where(OutboxEffect.subscription_id == sub_id, OutboxEffect.plugin == "workflow.created")
            .order_by(OutboxEffect.pk)
        ).first()
        assert delivery is not None and delivery.runtime_id == case_id
        delivery.status, delivery.attempts, delivery.last_error = "dead", 1, "HTTP 500"
        delivery.finished_at = utcnow()
        s.add(
            WebhookAttempt(
                project_id=site.project_id,
                outbox_pk=delivery.pk,
                subscription_id=sub_id,
                attempt=1,
                status_code=500,
                latency_ms=12,
            )
        )
        delivery_id = delivery.effect_id
    log = client.get(f"/admin/webhooks/{sub_id}").text
    assert "failed" in log and "HTTP 500" in log and "12 ms" in log

    timeline = client.get(f"/cases/{case_id}/timeline").text
    assert "Webhook workflow.created to hooks.example.com: failed" in timeline and "HTTP 500" in timeline

    redelivered = client.post(
        f"/admin/webhooks/{sub_id}/deliveries/{delivery_id}/redeliver",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert redelivered.status_code == 303
    with db.read() as s:
        row = s.scalars(select(OutboxEffect).where(OutboxEffect.effect_id == delivery_id)).one()
        assert row.status == "pending"
    assert "Webhook workflow.created to hooks.example.com: pending" in client.get(f"/cases/{case_id}/timeline").text
    missing = client.post(f"/admin/webhooks/{sub_id}/deliveries/nope/redeliver", data={"csrf_token": token})
    assert missing.status_code == 404

    deleted = client.post(f"/admin/webhooks/{sub_id}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert deleted.status_code == 303
    assert "No webhook subscriptions." in client.get("/admin/webhooks").text
    assert client.get(f"/admin/webhooks/{sub_id}").status_code == 404


def test_another_projects_subscription_is_not_found(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    other = seed_site(db, "globex", prefix="g-")
    token = sign_in(client, other.admin)
    created = client.post(
        "/admin/webhooks", data={"csrf_token": token, "url": "https://globex.example/h", "events": ["*"]}
    )
    link = re.search(r'href="/admin/webhooks/([^"]+)"', created.text)
    assert link is not None
    client.cookies.clear()
    token = sign_in(client, site.admin)
    assert client.get(f"/admin/webhooks/{link.group(1)}").status_code == 404
    assert client.post(f"/admin/webhooks/{link.group(1)}/delete", data={"csrf_token": token}).status_code == 404


def test_search_finds_registration_numbers_and_takes_percent_literally(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    queue = _queue(client)
    _new_case(client, token, queue, "Alpha Trading", "REG-555-A")
    _new_case(client, token, queue, "Beta 100% Foods", "REG-777-B")
    assert "<strong>1</strong> case" in client.get(f"{queue}?q=555-a").text
    assert "<strong>1</strong> case" in client.get(f"{queue}?q=100%25").text  # % is a literal, not a wildcard
    assert "<strong>2</strong> cases" in client.get(f"{queue}?q=reg-").text
    past_the_end = client.get(f"{queue}?q=reg-&page=9").text  # the last page, with the same total
    assert "<strong>2</strong> cases" in past_the_end and "Alpha Trading" in past_the_end
    assert "<strong>0</strong> cases" in client.get(f"{queue}?q=nothing-like-it").text

    entity = {
        "type": "individual",
        "id": "kyc-42",
        "data": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
    }
    body = {"workflowId": "kyc_document_review", "context": {"entity": entity, "documents": []}}
    run_workflow(db, Principal(site.project_id, "api-key:test"), body)
    with db.read() as s:
        individuals = s.scalars(
            select(Queue.id).where(Queue.project_id == site.project_id, Queue.entity == "individuals")
        ).one()
    for term, found in (("ada lovelace", 1), ("DA@EXAMPLE", 1), ("kyc-4", 1), ("alpha", 0)):
        page = client.get(f"/queues/{individuals}?q={term}").text
        assert f"<strong>{found}</strong> case" in page, term
