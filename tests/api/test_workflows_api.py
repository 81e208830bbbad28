"""The external workflow API: run, events, reads, PATCH — success and error paths, on both databases."""

from __future__ import annotations

import copy
from itertools import pairwise
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from arabesque.store import Database, RuntimeEvent, WorkflowRuntime
from service_fixtures import SEED, Tenant, make_tenant

RUN = "/api/v1/external/workflows/run"
WF = "/api/v1/external/workflows"


def run(client: TestClient, t: Tenant, body: dict[str, Any], **headers: str) -> Any:
    return client.post(RUN, json=body, headers={**t.headers, **headers})


def seed_with(**data: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED)
    body["context"]["entity"]["data"].update(data)
    return body


def assert_error_shape(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["statusCode"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"statusCode", "message", "errors"}
    for err in body.get("errors", []):
        assert set(err) == {"path", "message"}
    return body


def test_seed_payload_runs_verbatim_and_starts_from_the_initial_state(client: TestClient, tenant: Tenant) -> None:
    resp = run(client, tenant, SEED)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert set(out) == {"workflowDefinitionId", "workflowRuntimeId", "ballerineEntityId", "entities"}
    assert out["workflowDefinitionId"] == "till_basic_kyb_demo"
    got = client.get(f"{WF}/{out['workflowRuntimeId']}", headers=tenant.headers).json()
    # initialEvent START ran the rules: a US company with a registration number goes to manual review
    assert got["state"] == "manual_review"
    assert got["status"] == "active"
    assert got["tags"] == ["manual_review"]
    assert sorted(got["nextEvents"]) == sorted(
        ["approve", "reject", "revision", "UPDATE_CONTEXT", "DEEP_MERGE_CONTEXT"]
    )
    assert got["workflowDefinitionVersion"] == 1
    assert got["createdAt"].endswith("+00:00") and got["updatedAt"].endswith("+00:00")
    assert got["context"]["entity"]["ballerineEntityId"] == out["ballerineEntityId"]
    assert got["context"]["entity"]["data"]["companyName"] == "TILL COMPANY LIMITED"
    ctx = client.get(f"{WF}/{out['workflowRuntimeId']}/context", headers=tenant.headers).json()
    assert ctx == {"context": got["context"]}


def test_rules_on_entity_data_route_the_case(client: TestClient, tenant: Tenant) -> None:
    sanctioned = run(client, tenant, seed_with(country="IR")).json()
    got = client.get(f"{WF}/{sanctioned['workflowRuntimeId']}", headers=tenant.headers).json()
    assert (got["state"], got["status"], got["nextEvents"]) == ("rejected", "completed", [])
    assert got["resolvedAt"] is not None
    body = copy.deepcopy(SEED)
    body["context"]["entity"]["id"] = "no-registration"
    del body["context"]["entity"]["data"]["registrationNumber"]
    missing = run(client, tenant, body).json()
    assert client.get(f"{WF}/{missing['workflowRuntimeId']}", headers=tenant.headers).json()["state"] == "revision"


def test_events_advance_the_runtime_until_it_completes(client: TestClient, tenant: Tenant, db: Database) -> None:
    rid = run(client, tenant, SEED).json()["workflowRuntimeId"]
    resp = client.post(f"{WF}/{rid}/event", json={"name": "approve"}, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["state"], body["status"], body["tags"]) == ("approved", "completed", ["approved"])
    assert body["resolvedAt"] is not None
    again = client.post(f"{WF}/{rid}/event", json={"name": "approve"}, headers=tenant.headers)
    assert "completed" in assert_error_shape(again, 409)["message"]
    with db.read() as s:
        log = s.execute(
            select(
                RuntimeEvent.seq,
                RuntimeEvent.kind,
                RuntimeEvent.event,
                RuntimeEvent.from_state,
                RuntimeEvent.to_state,
            )
            .where(RuntimeEvent.runtime_id == rid)
            .order_by(RuntimeEvent.seq)
        ).all()
    assert tuple(log[0]) == (1, "created", None, None, "idle")
    assert [r.seq for r in log] == list(range(1, len(log) + 1))
    assert log[-1].event == "approve" and (log[-1].from_state, log[-1].to_state) == (
        "manual_review",
        "approved",
    )
    # each record starts where the previous one ended: the log is one linear history
    assert all(a.to_state == b.from_state for a, b in pairwise(log))


def test_send_event_is_an_alias_of_event(client: TestClient, tenant: Tenant) -> None:
    rid = run(client, tenant, SEED).json()["workflowRuntimeId"]
    resp = client.post(f"{WF}/{rid}/send-event", json={"name": "reject"}, headers=tenant.headers)
    assert resp.status_code == 200 and resp.json()["state"] == "rejected"


def test_event_the_state_does_not_accept_is_400_naming_event_state_and_allowed(
    client: TestClient, tenant: Tenant
) -> None:
    rid = run(client, tenant, SEED).json()["workflowRuntimeId"]
    body = assert_error_shape(
        client.post(f"{WF}/{rid}/event", json={"name": "RESUBMITTED"}, headers=tenant.headers), 400
    )
    assert "RESUBMITTED" in body["message"] and "manual_review" in body["message"]
    assert "approve" in body["message"]
    assert client.get(f"{WF}/{rid}", headers=tenant.headers).json()["state"] == "manual_review"


def test_event_body_is_validated(client: TestClient, tenant: Tenant) -> None:
    rid = run(client, tenant, SEED).json()["workflowRuntimeId"]
    body = assert_error_shape(client.post(f"{WF}/{rid}/event", json={"payload": []}, headers=tenant.headers), 400)
    assert {e["path"] for e in body["errors"]} == {"name", "payload"}


def test_built_in_context_events(client: TestClient, tenant: Tenant) -> None:
    rid = run(client, tenant, SEED).json()["workflowRuntimeId"]
    r = client.post(
        f"{WF}/{rid}/event",
        json={"name": "UPDATE_CONTEXT", "payload": {"context": {"note": "x"}}},
        headers=tenant.headers,
    )
    assert r.status_code == 200 and r.json()["context"]["note"] == "x"
    r = client.post(
        f"{WF}/{rid}/event",
        json={
            "name": "DEEP_MERGE_CONTEXT",
            "payload": {"newContext": {"entity": {"data": {"website": "w"}}}},
        },
        headers=tenant.headers,
    )
    data = r.json()["context"]["entity"]["data"]
    assert data["website"] == "w" and data["companyName"] == "TILL COMPANY LIMITED"


def test_unknown_runtime_is_404(client: TestClient, tenant: Tenant) -> None:
    for resp in (
        client.get(f"{WF}/nope", headers=tenant.headers),
        client.get(f"{WF}/nope/context", headers=tenant.headers),
        client.post(f"{WF}/nope/event", json={"name": "approve"}, headers=tenant.headers),
        client.patch(f"{WF}/nope", json={"tags": []}, headers=tenant.headers),
    ):
        assert_error_shape(resp, 404)


def test_unknown_definition_is_404(client: TestClient, tenant: Tenant) -> None:
    assert_error_shape(run(client, tenant, {**SEED, "workflowId": "nope"}), 404)


def test_context_schema_rejection_lists_every_error(client: TestClient, tenant: Tenant) -> None:
    body = copy.deepcopy(SEED)
    data = body["context"]["entity"]["data"]
    del data["companyName"]
    data["country"] = "usa"
    del data["additionalInfo"]["mainRepresentative"]["email"]
    body["context"]["documents"] = "none"
    resp = run(client, tenant, body)
    errors = assert_error_shape(resp, 400)["errors"]
    assert {e["path"] for e in errors} == {
        "context.entity.data.companyName",
        "context.entity.data.country",
        "context.entity.data.additionalInfo.mainRepresentative.email",
        "context.documents",
    }
    assert client.get(WF, headers=tenant.headers).json()["meta"]["total"] == 0


def test_run_without_an_entity_is_400_with_paths(client: TestClient, tenant: Tenant) -> None:
    no_schema = make_tenant_definition(client, tenant)
    resp = run(client, tenant, {"workflowId": no_schema, "context": {"entity": {"type": "robot"}}})
    assert {e["path"] for e in assert_error_shape(resp, 400)["errors"]} == {
        "context.entity.type",
        "context.entity.id",
    }
    resp = run(client, tenant, {"workflowId": no_schema, "context": {}})
    assert [e["path"] for e in assert_error_shape(resp, 400)["errors"]] == ["context.entity"]
    resp = client.post(RUN, json={"context": {}}, headers=tenant.headers)
    assert [e["path"] for e in assert_error_shape(resp, 400)["errors"]] == ["workflowId"]


def make_tenant_definition(client: TestClient, tenant: Tenant) -> str:
    record = {
        "name": "plain",
        "definition": {
            "id": "plain",
            "initial": "open",
            "states": {"open": {"on": {"close": "closed"}}, "closed": {"type": "final"}},
        },
    }
    resp = client.post("/api/v1/workflow-definition", json=record, headers=tenant.headers)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def test_run_upserts_the_entity_and_reuses_the_active_runtime(client: TestClient, tenant: Tenant) -> None:
    first = run(client, tenant, SEED).json()
    body = seed_with(companyName="TILL RENAMED LTD")
    body["context"]["customData"] = {"source": "second run"}
    second = run(client, tenant, body).json()
    assert second["ballerineEntityId"] == first["ballerineEntityId"]
    assert second["workflowRuntimeId"] == first["workflowRuntimeId"]  # one active workflow per entity
    business = client.get(f"/api/v1/external/businesses/{SEED['context']['entity']['id']}", headers=tenant.headers)
    assert business.status_code == 200
    assert business.json()["companyName"] == "TILL RENAMED LTD"
    assert business.json()["id"] == first["ballerineEntityId"]
    ctx = client.get(f"{WF}/{first['workflowRuntimeId']}/context", headers=tenant.headers).json()["context"]
    assert ctx["customData"] == {"source": "second run"}  # merged in ...
    assert ctx["entity"]["data"]["companyName"] == "TILL RENAMED LTD"
    assert ctx["entity"]["data"]["registrationNumber"] == "756OPOPOP08238"  # ... and nothing lost
    assert client.get(WF, headers=tenant.headers).json()["meta"]["total"] == 1


def test_allow_multiple_active_workflows_creates_another_runtime(client: TestClient, tenant: Tenant) -> None:
    first = run(client, tenant, SEED).json()
    second = run(client, tenant, {**SEED, "config": {"allowMultipleActiveWorkflows": True}}).json()
    assert second["workflowRuntimeId"] != first["workflowRuntimeId"]
    assert second["ballerineEntityId"] == first["ballerineEntityId"]


def test_a_completed_runtime_is_not_reused(client: TestClient, tenant: Tenant) -> None:
    first = run(client, tenant, SEED).json()
    client.post(f"{WF}/{first['workflowRuntimeId']}/event", json={"name": "approve"}, headers=tenant.headers)
    second = run(client, tenant, SEED).json()
    assert second["workflowRuntimeId"] != first["workflowRuntimeId"]


def test_request_config_is_merged_over_the_definition_config(client: TestClient, tenant: Tenant) -> None:
    out = run(client, tenant, {**SEED, "config": {"language": "de"}}).json()
    config = client.get(f"{WF}/{out['workflowRuntimeId']}", headers=tenant.headers).json()["config"]
    assert config["language"] == "de" and config["initialEvent"] == "START"


def test_list_filters_and_pages(client: TestClient, tenant: Tenant) -> None:
    ids = []
    for i in range(3):
        body = copy.deepcopy(SEED)
        body["context"]["entity"]["id"] = f"company-{i}"
        ids.append(run(client, tenant, body).json())
    client.post(f"{WF}/{ids[0]['workflowRuntimeId']}/event", json={"name": "approve"}, headers=tenant.headers)
    page = client.get(WF, params={"limit": 2, "page": 1}, headers=tenant.headers).json()
    assert page["meta"] == {"total": 3, "pages": 2} and len(page["results"]) == 2
    page2 = client.get(WF, params={"limit": 2, "page": 2}, headers=tenant.headers).json()
    assert len(page2["results"]) == 1
    seen = {r["id"] for r in page["results"] + page2["results"]}
    assert seen == {i["workflowRuntimeId"] for i in ids}
    done = client.get(WF, params={"status": "completed"}, headers=tenant.headers).json()
    assert [r["id"] for r in done["results"]] == [ids[0]["workflowRuntimeId"]]
    both = client.get(WF, params=[("status", "completed"), ("status", "active")], headers=tenant.headers).json()
    assert both["meta"]["total"] == 3
    by_entity = client.get(WF, params={"entityId": ids[1]["ballerineEntityId"]}, headers=tenant.headers).json()
    assert [r["id"] for r in by_entity["results"]] == [ids[1]["workflowRuntimeId"]]
    by_def = client.get(WF, params={"workflowDefinitionId": "kyc_document_review"}, headers=tenant.headers).json()
    assert by_def["meta"]["total"] == 0
    asc = client.get(WF, params={"orderBy": "createdAt", "orderDirection": "asc"}, headers=tenant.headers).json()
    times = [r["createdAt"] for r in asc["results"]]
    assert times == sorted(times)
    bad = client.get(WF, params={"orderBy": "secret", "limit": 0, "status": "x"}, headers=tenant.headers)
    assert {e["path"] for e in assert_error_shape(bad, 400)["errors"]} == {
        "query.orderBy",
        "query.limit",
        "query.status.0",
    }


def test_patch_sets_tags_and_merges_context(client: TestClient, tenant: Tenant, db: Database) -> None:
    rid = run(client, tenant, SEED).json()["workflowRuntimeId"]
    resp = client.patch(
        f"{WF}/{rid}",
        json={"tags": ["vip"], "context": {"entity": {"data": {"website": "x.io"}}}},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["tags"] == ["vip"]
    assert out["context"]["entity"]["data"]["website"] == "x.io"
    assert out["context"]["entity"]["data"]["companyName"] == "TILL COMPANY LIMITED"
    assert out["state"] == "manual_review"
    bad = client.patch(f"{WF}/{rid}", json={"assigneeId": "someone-else", "status": "x"}, headers=tenant.headers)
    assert_error_shape(bad, 400)
    bad = client.patch(f"{WF}/{rid}", json={"assigneeId": "nobody"}, headers=tenant.headers)
    assert [e["path"] for e in assert_error_shape(bad, 400)["errors"]] == ["assigneeId"]
    with db.read() as s:
        kinds = s.scalars(select(RuntimeEvent.kind).where(RuntimeEvent.runtime_id == rid)).all()
    assert kinds.count("patch") == 1


def test_idempotency_key_on_run(client: TestClient, tenant: Tenant, db: Database) -> None:
    body = {**SEED, "config": {"allowMultipleActiveWorkflows": True}}
    first = run(client, tenant, body, **{"Idempotency-Key": "k-1"})
    second = run(client, tenant, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    with db.read() as s:
        assert len(s.scalars(select(WorkflowRuntime.id)).all()) == 1
    other = run(
        client,
        tenant,
        {**body, "config": {"allowMultipleActiveWorkflows": True, "x": 1}},
        **{"Idempotency-Key": "k-1"},
    )
    assert_error_shape(other, 422)
    third = run(client, tenant, body, **{"Idempotency-Key": "k-2"})
    assert third.json()["workflowRuntimeId"] != first.json()["workflowRuntimeId"]


def test_idempotency_key_on_event(client: TestClient, tenant: Tenant) -> None:
    rid = run(client, tenant, SEED).json()["workflowRuntimeId"]
    url = f"{WF}/{rid}/event"
    a = client.post(url, json={"name": "approve"}, headers={**tenant.headers, "Idempotency-Key": "e-1"})
    b = client.post(url, json={"name": "approve"}, headers={**tenant.headers, "Idempotency-Key": "e-1"})
    assert a.status_code == b.status_code == 200  # not 409: the first response is replayed
    assert a.json() == b.json()
    c = client.post(url, json={"name": "reject"}, headers={**tenant.headers, "Idempotency-Key": "e-1"})
    assert_error_shape(c, 422)


def test_idempotency_keys_are_per_project(client: TestClient, tenant: Tenant, db: Database) -> None:
    other = make_tenant(db, "initech")
    a = run(client, tenant, SEED, **{"Idempotency-Key": "same"})
    b = run(client, other, SEED, **{"Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 200
    assert a.json()["workflowRuntimeId"] != b.json()["workflowRuntimeId"]


def test_a_second_project_sees_nothing_of_the_first(client: TestClient, tenant: Tenant, db: Database) -> None:
    out = run(client, tenant, SEED).json()
    rid = out["workflowRuntimeId"]
    other = make_tenant(db, "umbrella", with_examples=False)
    h = other.headers
    assert_error_shape(client.get(f"{WF}/{rid}", headers=h), 404)
    assert_error_shape(client.get(f"{WF}/{rid}/context", headers=h), 404)
    assert_error_shape(client.post(f"{WF}/{rid}/event", json={"name": "approve"}, headers=h), 404)
    assert_error_shape(client.patch(f"{WF}/{rid}", json={"tags": ["x"]}, headers=h), 404)
    assert client.get(WF, headers=h).json() == {"results": [], "meta": {"total": 0, "pages": 0}}
    assert_error_shape(client.post(RUN, json=SEED, headers=h), 404)  # the definition is not theirs either
    assert_error_shape(client.get("/api/v1/workflow-definition/till_basic_kyb_demo", headers=h), 404)
    assert client.get("/api/v1/workflow-definition", headers=h).json()["meta"]["total"] == 0
    assert_error_shape(client.get(f"/api/v1/external/businesses/{out['ballerineEntityId']}", headers=h), 404)
    assert_error_shape(client.get("/api/v1/external/businesses/my-enduser-id111", headers=h), 404)
    # and nothing changed for the owner
    assert client.get(f"{WF}/{rid}", headers=tenant.headers).json()["state"] == "manual_review"
