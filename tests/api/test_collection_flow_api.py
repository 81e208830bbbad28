"""The collection flow over the API (SQLite and PostgreSQL): tokens from `/run` and `create-token`, token auth on
`/api/v1/collection-flow/...` (401 with no data for a bad, expired or revoked token), what a sync may write, the
events a token holder may send, revision and resubmission, files, and the OpenAPI of the routes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select, update
from starlette.testclient import TestClient

from arabesque.store import CollectionFlowToken, Database, RuntimeEvent, WorkflowRuntime, utcnow
from service_fixtures import Tenant

RUN = "/api/v1/external/workflows/run"
WORKFLOWS = "/api/v1/external/workflows"
FLOW = "/api/v1/collection-flow"
DEMO = "kyb_collection_flow_demo"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
STEPS = {
    "personal_details": {"number": 1, "isCompleted": False},
    "company_information": {"number": 2, "isCompleted": False},
    "business_address_information": {"number": 3, "isCompleted": False},
    "company_ownership": {"number": 4, "isCompleted": False},
    "company_documents": {"number": 5, "isCompleted": False},
}


def _body(entity_id: str = "acme-gmbh") -> dict[str, Any]:
    return {
        "workflowId": DEMO,
        "context": {
            "entity": {
                "type": "business",
                "id": entity_id,
                "data": {
                    "companyName": "Acme GmbH",
                    "additionalInfo": {
                        "mainRepresentative": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@acme.test"}
                    },
                },
            },
            "documents": [],
        },
    }


def _run(client: TestClient, tenant: Tenant, entity_id: str = "acme-gmbh") -> tuple[str, str, dict[str, Any]]:
    """(runtime id, token, /run's answer) of a new demo run."""
    resp = client.post(RUN, json=_body(entity_id), headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    token = parse_qs(urlparse(out["collectionFlowUrl"]).query)["token"][0]
    return out["workflowRuntimeId"], token, out


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_run_creates_a_token_that_is_in_the_answer_and_never_in_the_context(client: TestClient, tenant: Tenant) -> None:
    runtime_id, token, out = _run(client, tenant)
    assert out["collectionFlowUrl"] == f"http://127.0.0.1:3000/collection-flow?token={token}"
    assert len(token) >= 43  # 256 bits
    kinds = sorted(e["type"] for e in out["entities"])
    assert kinds == ["business", "individual"]
    workflow = client.get(f"{WORKFLOWS}/{runtime_id}", headers=tenant.headers).json()
    context = workflow["context"]
    assert context["flowConfig"] == {"stepsProgress": STEPS}
    assert context["metadata"]["collectionFlowUrl"] == "http://127.0.0.1:3000/collection-flow"
    representative = context["entity"]["data"]["additionalInfo"]["mainRepresentative"]
    assert representative["ballerineEntityId"] == next(e["id"] for e in out["entities"] if e["type"] == "individual")
    assert token not in json.dumps(workflow)  # nor in the audit trail or webhooks built from it

    user = client.get(f"{FLOW}/user", headers=_auth(token))
    assert user.status_code == 200 and user.json()["email"] == "ada@acme.test"
    got = client.get(f"{FLOW}/context", headers=_auth(token)).json()
    assert got["state"] == workflow["state"] and got["context"] == context
    assert got["revision"] == {"isRevision": False, "startPage": None, "pages": []}


def test_a_business_without_representative_cannot_get_a_token(client: TestClient, tenant: Tenant) -> None:
    body = _body()
    del body["context"]["entity"]["data"]["additionalInfo"]
    resp = client.post(RUN, json=body, headers=tenant.headers)
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["path"] == "context.entity.data.additionalInfo.mainRepresentative"


def test_create_token_and_url_shapes_bounds_and_tenancy(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    runtime_id, _, out = _run(client, tenant)
    end_user = next(e["id"] for e in out["entities"] if e["type"] == "individual")
    body = {"workflowRuntimeDataId": runtime_id, "endUserId": end_user}
    token = client.post(f"{WORKFLOWS}/create-token", json=body, headers=tenant.headers)
    assert token.status_code == 200 and list(token.json()) == ["token"]
    url = client.post(f"{WORKFLOWS}/create-collection-flow-url", json={**body, "expiry": 7}, headers=tenant.headers)
    assert url.status_code == 200 and sorted(url.json()) == ["collectionFlowUrl", "token"]
    assert url.json()["collectionFlowUrl"].endswith(f"/collection-flow?token={url.json()['token']}")
    for t in (token.json()["token"], url.json()["token"]):
        assert client.get(f"{FLOW}/context", headers=_auth(t)).status_code == 200

    for expiry in (-1, 366, "soon"):
        resp = client.post(f"{WORKFLOWS}/create-token", json={**body, "expiry": expiry}, headers=tenant.headers)
        assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "expiry", expiry
    resp = client.post(f"{WORKFLOWS}/create-token", json={}, headers=tenant.headers)
    assert {e["path"] for e in resp.json()["errors"]} == {"workflowRuntimeDataId", "endUserId"}
    # another project's runtime (or end user) is a 404, not a token that 404s later
    assert client.post(f"{WORKFLOWS}/create-token", json=body, headers=other_tenant.headers).status_code == 404
    _, _, other_out = _run(client, other_tenant, "globex-gmbh")
    other_user = next(e["id"] for e in other_out["entities"] if e["type"] == "individual")
    resp = client.post(f"{WORKFLOWS}/create-token", json={**body, "endUserId": other_user}, headers=tenant.headers)
    assert resp.status_code == 404
    assert client.post(f"{WORKFLOWS}/create-token", json=body).status_code == 401


def test_bad_expired_and_revoked_tokens_get_401_and_no_data(client: TestClient, tenant: Tenant, db: Database) -> None:
    runtime_id, token, _ = _run(client, tenant)
    routes = [("GET", "/customer"), ("GET", "/user"), ("GET", "/context"), ("GET", "/configuration/en")]
    for header in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer nope"}, _auth("x" * 5000)):
        for method, path in routes:
            resp = client.request(method, f"{FLOW}{path}", headers=header)
            assert resp.status_code == 401, (header, path)
            assert "Acme" not in resp.text and "context" not in resp.json()
    # an API key is no collection-flow token
    assert client.get(f"{FLOW}/context", headers=tenant.headers).status_code == 401

    with db.write() as s:
        s.execute(update(CollectionFlowToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    resp = client.get(f"{FLOW}/context", headers=_auth(token))
    assert resp.status_code == 401 and "expired" in resp.json()["message"]

    runtime_id, token, _ = _run(client, tenant, "second")
    _finish(client, token)
    approve = client.post(f"{WORKFLOWS}/{runtime_id}/event", json={"name": "approve"}, headers=tenant.headers)
    assert approve.json()["status"] == "completed"
    with db.read() as s:  # revoked in the transaction that completed the case
        revoked = s.scalars(select(CollectionFlowToken.revoked_at).where(CollectionFlowToken.runtime_id == runtime_id))
        assert all(at is not None for at in revoked.all())
    for method, path in [*routes, ("PUT", "/sync")]:
        resp = client.request(method, f"{FLOW}{path}", headers=_auth(token), json={"data": {"context": {}}})
        assert resp.status_code == 401, path  # revoked in the transaction that completed the case
    # no new token for a finished case
    user = client.get(f"{WORKFLOWS}/{runtime_id}", headers=tenant.headers).json()["context"]["entity"]["data"]
    end_user = user["additionalInfo"]["mainRepresentative"]["ballerineEntityId"]
    body = {"workflowRuntimeDataId": runtime_id, "endUserId": end_user}
    assert client.post(f"{WORKFLOWS}/create-token", json=body, headers=tenant.headers).status_code == 409


def _finish(client: TestClient, token: str) -> dict[str, Any]:
    resp = client.post(f"{FLOW}/send-event", json={"eventName": "COLLECTION_FLOW_FINISHED"}, headers=_auth(token))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def test_a_finished_case_refuses_a_sync_even_with_a_token_left_open(
    client: TestClient, tenant: Tenant, db: Database
) -> None:
    runtime_id, token, _ = _run(client, tenant)
    _finish(client, token)
    client.post(f"{WORKFLOWS}/{runtime_id}/event", json={"name": "reject"}, headers=tenant.headers)
    with db.write() as s:  # as if the revocation had been lost: the finished case itself closes the link
        s.execute(update(CollectionFlowToken).values(revoked_at=None))
    resp = client.put(f"{FLOW}/sync", json={"data": {"context": {"flowConfig": {}}}}, headers=_auth(token))
    assert resp.status_code == 401 and "finished" in resp.json()["message"]
    workflow = client.get(f"{WORKFLOWS}/{runtime_id}", headers=tenant.headers).json()
    assert workflow["state"] == "rejected" and workflow["status"] == "completed"


def test_a_sync_in_a_final_state_is_a_conflict(client: TestClient, tenant: Tenant, db: Database) -> None:
    """Defence in depth: a runtime that rests in a final state while still marked active (as after a restore) is
    never moved back by a sync (Ballerine restarts it at its initial state, reference §7.3)."""
    runtime_id, token, _ = _run(client, tenant)
    _finish(client, token)
    with db.write() as s:
        s.execute(update(WorkflowRuntime).where(WorkflowRuntime.id == runtime_id).values(state="approved"))
    resp = client.put(f"{FLOW}/sync", json={"data": {"context": {"flowConfig": {}}}}, headers=_auth(token))
    assert resp.status_code == 409
    assert client.get(f"{WORKFLOWS}/{runtime_id}", headers=tenant.headers).json()["state"] == "approved"


def test_sync_writes_flow_config_and_entity_data_and_nothing_else(client: TestClient, tenant: Tenant) -> None:
    runtime_id, token, _ = _run(client, tenant)
    other_id, other_token, _ = _run(client, tenant, "other-company")
    before_other = client.get(f"{WORKFLOWS}/{other_id}", headers=tenant.headers).json()["context"]
    stored = client.get(f"{FLOW}/context", headers=_auth(token)).json()["context"]
    steps = {**STEPS, "personal_details": {"number": 1, "isCompleted": True}}
    context = {
        **stored,
        "entity": {**stored["entity"], "id": "hijacked", "data": {**stored["entity"]["data"], "website": "acme.test"}},
        "flowConfig": {"stepsProgress": steps, "appState": "company_information"},
        "pluginsOutput": {"kyb": {"verified": True}},
        "metadata": {"forged": True},
        "workflowRuntimeId": "1",
        "documents": [{"id": "doc-1", "pages": [], "decision": {"status": "approved"}}],
    }
    body = {
        "data": {
            "context": context,
            "endUser": {"firstName": "Augusta", "phone": "+441234567890", "approvalState": "APPROVED"},
            "business": {"website": "acme.test"},
            "ballerineEntityId": "someone-elses-business",
        }
    }
    resp = client.put(f"{FLOW}/sync", json=body, headers=_auth(token))
    assert resp.status_code == 200, resp.text
    after = client.get(f"{WORKFLOWS}/{runtime_id}", headers=tenant.headers).json()["context"]
    assert after["flowConfig"] == {"stepsProgress": steps, "appState": "company_information"}
    assert after["entity"]["data"]["website"] == "acme.test"
    assert after["entity"]["id"] == "acme-gmbh"  # identity stays
    assert after.get("pluginsOutput") == stored.get("pluginsOutput"), after.get("pluginsOutput")
    assert after["metadata"] == stored["metadata"] and "workflowRuntimeId" not in after
    assert after["documents"] == [{"id": "doc-1", "pages": [], "decision": {}}]  # decisions are the reviewer's
    assert client.get(f"{WORKFLOWS}/{other_id}", headers=tenant.headers).json()["context"] == before_other
    user = client.get(f"{FLOW}/user", headers=_auth(token)).json()
    assert user["firstName"] == "Augusta" and user["approvalState"] == "NEW"
    assert client.get(f"{FLOW}/user", headers=_auth(other_token)).json()["firstName"] == "Ada"

    patch = {"context": {"flowConfig": {"appState": "company_ownership"}, "pluginsOutput": {"x": 1}}}
    resp = client.patch(f"{FLOW}/sync/context", json=patch, headers=_auth(token))
    assert resp.status_code == 200, resp.text
    after = client.get(f"{WORKFLOWS}/{runtime_id}", headers=tenant.headers).json()["context"]
    assert after["flowConfig"] == {"stepsProgress": steps, "appState": "company_ownership"}
    assert after.get("pluginsOutput") == stored.get("pluginsOutput")

    for bad in ({"data": {}}, {"data": {"context": []}}, {}, {"data": {"context": {"documents": {}}}}):
        resp = client.put(f"{FLOW}/sync", json=bad, headers=_auth(token))
        assert resp.status_code == 400 and resp.json()["errors"], bad

    events = client.get(f"/api/v1/external/workflows/{runtime_id}", headers=tenant.headers)
    assert events.status_code == 200


def test_send_event_refuses_reviewer_events_and_events_the_flow_does_not_send(
    client: TestClient, tenant: Tenant
) -> None:
    runtime_id, token, _ = _run(client, tenant)
    done = _finish(client, token)
    assert done["state"] == "manual_review"
    for name in ("approve", "reject", "revision", "APPROVE"):
        resp = client.post(f"{FLOW}/send-event", json={"eventName": name}, headers=_auth(token))
        assert resp.status_code == 403, name
        assert "reviewer" in resp.json()["message"]
    resp = client.post(f"{FLOW}/send-event", json={"eventName": "INVITATION_SENT"}, headers=_auth(token))
    assert resp.status_code == 403 and "COLLECTION_FLOW_FINISHED" in resp.json()["message"]
    resp = client.post(f"{FLOW}/send-event", json={"eventName": "COLLECTION_FLOW_FINISHED"}, headers=_auth(token))
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "eventName"  # not in manual_review
    assert client.get(f"{WORKFLOWS}/{runtime_id}", headers=tenant.headers).json()["state"] == "manual_review"


def test_revision_reopens_the_document_page_and_resubmit_returns_to_review(client: TestClient, tenant: Tenant) -> None:
    runtime_id, token, _ = _run(client, tenant)
    upload = client.post(f"{FLOW}/files", files={"file": ("bank.png", PNG, "image/png")}, headers=_auth(token))
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["id"]
    document = {
        "id": "document-bank-statement",
        "category": "proof_of_address",
        "type": "bank_statement",
        "pages": [{"ballerineFileId": file_id, "fileName": "bank.png", "type": "image/png"}],
    }
    done = {name: {**step, "isCompleted": True} for name, step in STEPS.items()}
    flow_config = {"stepsProgress": done, "appState": "finish"}
    context = {"documents": [document], "flowConfig": flow_config}
    resp = client.put(f"{FLOW}/sync", json={"data": {"context": context}}, headers=_auth(token))
    assert resp.status_code == 200, resp.text
    _finish(client, token)
    decision = {"decision": "revision", "reason": "The statement is older than 6 months"}
    resp = client.patch(
        f"{WORKFLOWS}/{runtime_id}/decision/document-bank-statement", json=decision, headers=tenant.headers
    )
    assert resp.status_code == 200, resp.text
    resp = client.post(f"{WORKFLOWS}/{runtime_id}/event", json={"name": "revision"}, headers=tenant.headers)
    # pending_resubmission while the resubmission e-mail goes out, then revision (at once when it cannot be sent)
    assert resp.json()["state"] in ("pending_resubmission", "revision")

    # the document's page is open again, and the flow starts there (the tracker of the back office shows it)
    reopened = client.get(f"{WORKFLOWS}/{runtime_id}", headers=tenant.headers).json()["context"]["flowConfig"]
    assert reopened == {
        "stepsProgress": {**done, "company_documents": {"number": 5, "isCompleted": False}},
        "appState": "company_documents",
    }
    revision = client.get(f"{FLOW}/context", headers=_auth(token)).json()["revision"]
    assert revision == {
        "isRevision": True,
        "startPage": "company_documents",
        "pages": [
            {
                "stateName": "company_documents",
                "number": 5,
                "documents": {"document-bank-statement": "The statement is older than 6 months"},
            }
        ],
    }
    reupload = client.post(f"{FLOW}/files", files={"file": ("new.png", PNG, "image/png")}, headers=_auth(token))
    new_pages = [{"ballerineFileId": reupload.json()["id"], "fileName": "new.png", "type": "image/png"}]
    document = {**document, "pages": new_pages}
    client.put(f"{FLOW}/sync", json={"data": {"context": {"documents": [document]}}}, headers=_auth(token))
    assert client.get(f"{FLOW}/context", headers=_auth(token)).json()["revision"]["isRevision"] is False
    resp = client.post(f"{FLOW}/resubmit", headers=_auth(token))
    assert resp.status_code == 201, resp.text
    assert resp.json()["state"] == "manual_review"


def test_files_limits_forged_names_and_other_runtimes(client: TestClient, tenant: Tenant) -> None:
    _, token, _ = _run(client, tenant)
    _, other_token, _ = _run(client, tenant, "other-company")
    for forged, shown in (("../../etc/passwd.png", "passwd.png"), ("C:\\Users\\x\\scan.png", "scan.png")):
        resp = client.post(f"{FLOW}/files", files={"file": (forged, PNG, "image/png")}, headers=_auth(token))
        assert resp.status_code == 201, resp.text
        assert resp.json()["fileName"] == shown
    mine = resp.json()["id"]
    meta = client.get(f"{FLOW}/files/{mine}", headers=_auth(token))
    assert meta.status_code == 200 and meta.json()["fileName"] == "scan.png"
    assert client.get(f"{FLOW}/files/{mine}", headers=_auth(other_token)).status_code == 404
    assert client.get(f"{FLOW}/files/nope", headers=_auth(token)).status_code == 404

    big = PNG + b"0" * (20 * 1024 * 1024)
    resp = client.post(f"{FLOW}/files", files={"file": ("big.png", big, "image/png")}, headers=_auth(token))
    assert resp.status_code == 413 and "bytes" in resp.json()["message"]
    just_over = PNG + b"0" * (10 * 1024 * 1024)
    resp = client.post(f"{FLOW}/files", files={"file": ("big.png", just_over, "image/png")}, headers=_auth(token))
    assert resp.status_code == 413 and resp.json()["message"] == "File size exceeds 10 MB"
    resp = client.post(f"{FLOW}/files", files={"file": ("x.svg", b"<svg/>", "image/svg+xml")}, headers=_auth(token))
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "file"
    resp = client.post(f"{FLOW}/files", files={"file": ("x.png", PNG, "image/png")})
    assert resp.status_code == 401


def test_configuration_in_a_language_with_theme_and_fallback(client: TestClient, tenant: Tenant) -> None:
    _, token, _ = _run(client, tenant)
    de = client.get(f"{FLOW}/configuration/de", headers=_auth(token))
    assert de.status_code == 200, de.text
    body = de.json()
    assert body["language"] == "de" and body["languages"] == ["de", "en"]
    assert body["uiSchema"]["elements"][0]["name"] == "Persönliche Angaben"
    assert body["uiSchema"]["theme"]["palette"]["primary"]["color"].startswith("hsl(")
    assert body["config"]["supportedLanguages"] == ["en", "de"]
    assert body["definition"]["definition"]["initial"] == "personal_details"
    fr = client.get(f"{FLOW}/configuration/fr", headers=_auth(token)).json()
    assert fr["language"] == "en" and fr["uiSchema"]["elements"][0]["name"] == "Personal details"
    assert client.get(f"{FLOW}/configuration/..", headers=_auth(token)).status_code in (400, 404)
    lang = client.put(f"{FLOW}/language", json={"language": "de"}, headers=_auth(token))
    assert lang.status_code == 200 and lang.json()["config"]["language"] == "de"
    assert client.put(f"{FLOW}/language", json={"language": "<b>"}, headers=_auth(token)).status_code == 400
    customer = client.get(f"{FLOW}/customer", headers=_auth(token)).json()
    assert customer["displayName"] == "acme" and "subscriptions" not in customer and "config" not in customer


def test_ui_definitions_are_stored_per_version_and_validated(client: TestClient, tenant: Tenant) -> None:
    parts = client.get(f"{WORKFLOWS}/workflow-definition/{DEMO}", headers=tenant.headers).json()
    assert [u["name"] for u in parts["uiDefinitions"]] == [DEMO]
    assert "uiDefinition" not in client.get(f"/api/v1/workflow-definition/{DEMO}", headers=tenant.headers).text

    record = json.loads(client.get(f"/api/v1/workflow-definition/{DEMO}", headers=tenant.headers).text)
    bad = {
        "name": "bad_flow",
        "definition": {"initial": "a", "states": {"a": {}}},
        "uiDefinition": {"uiSchema": {"elements": [{"type": "page", "stateName": "p"}, "x", {"type": "page"}]}},
    }
    resp = client.post("/api/v1/workflow-definition", json=bad, headers=tenant.headers)
    assert resp.status_code == 400
    paths = {e["path"] for e in resp.json()["errors"]}
    assert {
        "uiDefinition.uiSchema.elements[0].number",
        "uiDefinition.uiSchema.elements[1]",
        "uiDefinition.uiSchema.elements[2].stateName",
    } <= paths
    # a new version without a uiDefinition keeps the latest's; with one, it gets its own
    up = client.post(f"/api/v1/workflow-definition/{DEMO}/upgrade", json={"displayName": "v2"}, headers=tenant.headers)
    assert up.status_code == 201, up.text
    v2 = client.get(f"{WORKFLOWS}/workflow-definition/{up.json()['id']}", headers=tenant.headers).json()
    assert [u["name"] for u in v2["uiDefinitions"]] == [DEMO]
    assert v2["uiDefinitions"][0]["id"] != parts["uiDefinitions"][0]["id"]
    assert record["name"] == DEMO


def test_openapi_lists_the_collection_flow_routes_with_models_and_401(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    expected = {
        f"{FLOW}/customer": "get",
        f"{FLOW}/user": "get",
        f"{FLOW}/active-flow": "get",
        f"{FLOW}/context": "get",
        f"{FLOW}/configuration/{{language}}": "get",
        f"{FLOW}/language": "put",
        f"{FLOW}/sync": "put",
        f"{FLOW}/sync/context": "patch",
        f"{FLOW}/send-event": "post",
        f"{FLOW}/resubmit": "post",
        f"{FLOW}/end-user": "post",
        f"{FLOW}/business/business-information": "get",
        f"{FLOW}/files": "post",
        f"{FLOW}/files/{{file_id}}": "get",
        f"{WORKFLOWS}/create-token": "post",
        f"{WORKFLOWS}/create-collection-flow-url": "post",
    }
    for path, method in expected.items():
        op = paths[path][method]
        assert "401" in op["responses"], path
        ok = op["responses"].get("200") or op["responses"].get("201")
        assert ok["content"]["application/json"]["schema"], path
    assert spec["components"]["securitySchemes"]["collectionFlowToken"]["scheme"] == "bearer"


def test_every_change_is_on_the_case_timeline_as_the_collection_flow(
    client: TestClient, tenant: Tenant, db: Database
) -> None:
    runtime_id, token, _ = _run(client, tenant)
    resp = client.post(f"{FLOW}/end-user", json={"firstName": "Ada", "lastName": "King"}, headers=_auth(token))
    assert resp.status_code == 201 and resp.json()["lastName"] == "King"
    client.post(f"{FLOW}/files", files={"file": ("a.png", PNG, "image/png")}, headers=_auth(token))
    client.put(f"{FLOW}/sync", json={"data": {"context": {"flowConfig": {"appState": "x"}}}}, headers=_auth(token))
    client.put(f"{FLOW}/language", json={"language": "de"}, headers=_auth(token))
    _finish(client, token)
    with db.read() as s:
        rows = s.scalars(
            select(RuntimeEvent).where(RuntimeEvent.runtime_id == runtime_id).order_by(RuntimeEvent.seq)
        ).all()
        mine = [(r.event, r.from_state, r.to_state) for r in rows if r.actor == "collection-flow"]
        synced = [r.details for r in rows if r.actor == "collection-flow" and r.event == "UPDATE_CONTEXT"]
    assert [m[0] for m in mine] == [
        "end user updated",
        "file uploaded",
        "UPDATE_CONTEXT",
        "language",
        "COLLECTION_FLOW_FINISHED",
    ]
    assert mine[-1][2] == "manual_review"
    assert synced == [{"contextChanged": True, "payload": {"keys": ["flowConfig"]}}]
    assert token not in json.dumps([r.details for r in rows])


def test_a_message_gets_a_link_of_its_own_for_the_same_end_user(
    client: TestClient, tenant: Tenant, db: Database
) -> None:
    from arabesque.app.collection_flow.tokens import link_for_runtime

    runtime_id, token, _ = _run(client, tenant)
    with db.transaction() as tx:
        link = link_for_runtime(tx.conn, project_id=tenant.project_id, runtime_id=runtime_id, language="de")
        tx.commit()
    query = parse_qs(urlparse(link).query)
    assert query["lng"] == ["de"] and query["token"][0] != token
    mine = client.get(f"{FLOW}/user", headers=_auth(token)).json()
    assert client.get(f"{FLOW}/user", headers=_auth(query["token"][0])).json() == mine


def test_an_individuals_token_is_the_individuals_own(client: TestClient, tenant: Tenant) -> None:
    record = {
        "name": "kyc_flow",
        "definition": {
            "initial": "collecting",
            "states": {"collecting": {"on": {"COLLECTION_FLOW_FINISHED": "done"}}, "done": {"type": "final"}},
        },
        "config": {"createCollectionFlowToken": True},
    }
    assert client.post("/api/v1/workflow-definition", json=record, headers=tenant.headers).status_code == 201
    entity = {"type": "individual", "id": "ada", "data": {"firstName": "Ada", "lastName": "Lovelace"}}
    resp = client.post(RUN, json={"workflowId": "kyc_flow", "context": {"entity": entity}}, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["entities"] == [{"type": "individual", "id": out["ballerineEntityId"]}]
    token = parse_qs(urlparse(out["collectionFlowUrl"]).query)["token"][0]
    assert client.get(f"{FLOW}/user", headers=_auth(token)).json()["id"] == out["ballerineEntityId"]
    # no UI definition: no steps to prepare, no configuration to serve, and the default event only
    assert "flowConfig" not in client.get(f"{FLOW}/context", headers=_auth(token)).json()["context"]
    assert client.get(f"{FLOW}/configuration/en", headers=_auth(token)).status_code == 404
    assert _finish(client, token)["status"] == "completed"
    assert client.get(f"{FLOW}/context", headers=_auth(token)).status_code == 401  # closed with the case
