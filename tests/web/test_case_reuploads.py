""" "Ask for all re-uploads (N)" through TestClient (SQLite and PostgreSQL): shown when a document is marked
for re-upload and the workflow allows `revision`; only the assignee (or an admin) may send it."""

from __future__ import annotations

from starlette.testclient import TestClient
from web_helpers import seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.app.workflows.send_event import send_event
from arabesque.store import Database, WorkflowRuntime


def _kyb_case_with_documents(db: Database, project_id: str) -> tuple[str, list[str]]:
    docs = [
        {"id": f"doc-{n}", "category": "registration", "type": typ, "issuer": {"country": "GB"}, "pages": []}
        for n, typ in enumerate(("certificate_of_incorporation", "bank_statement"))
    ]
    entity = {
        "type": "business",
        "id": "kyb-1",
        "data": {"companyName": "Docs Ltd", "country": "GB", "registrationNumber": "D-1"},
    }
    body = {"workflowId": "till_basic_kyb_demo", "context": {"entity": entity, "documents": docs}}
    out = run_workflow(db, Principal(project_id, "api-key:test"), body)
    with db.read() as s:
        rt = s.get(WorkflowRuntime, out["workflowRuntimeId"])
        assert rt is not None and rt.state == "manual_review"
        ids = [d["id"] for d in rt.context["documents"]]
    return out["workflowRuntimeId"], ids


def test_ask_for_all_reuploads(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    case_id, doc_ids = _kyb_case_with_documents(db, site.project_id)
    token = sign_in(client, site.reviewer)
    assert client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": "me"}).status_code == 200
    page = client.get(f"/cases/{case_id}").text
    assert "Ask for all re-uploads" not in page  # no document marked yet

    decided = client.post(
        f"/cases/{case_id}/documents/{doc_ids[1]}/decision",
        data={"csrf_token": token, "decision": "revision", "reason": "Expired", "comment": "Send a recent one"},
    )
    assert decided.status_code == 200
    page = client.get(f"/cases/{case_id}").text
    assert "Ask for all re-uploads (1)" in page and 'action="/cases/' + case_id + '/event"' in page
    assert 'id="blocked-approve"' in page and "Bank statement (Registration): awaiting re-upload" in page

    client.cookies.clear()
    other = sign_in(client, site.other_reviewer)  # not the assignee: no button, and the server refuses
    assert "Ask for all re-uploads" not in client.get(f"/cases/{case_id}").text
    assert client.post(f"/cases/{case_id}/reuploads", data={"csrf_token": other}).status_code == 403
    client.cookies.clear()

    token = sign_in(client, site.reviewer)
    assert client.post(f"/cases/{case_id}/reuploads", data={}).status_code == 403  # no CSRF token
    sent = client.post(f"/cases/{case_id}/reuploads", data={"csrf_token": token}, follow_redirects=False)
    assert sent.status_code == 303
    page = client.get(sent.headers["location"]).text
    assert "Ask for re-uploads: Manual review → Revisions" in page
    with db.read() as s:
        rt = s.get(WorkflowRuntime, case_id)
        assert rt is not None and rt.state == "revision"
    assert "Ask for all re-uploads" not in page  # `revision` is no longer allowed


def test_child_workflow_actions_from_the_parent_case(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    case_id, _docs = _kyb_case_with_documents(db, site.project_id)
    who = Principal(site.project_id, "api-key:test")
    ubo = {"type": "individual", "id": "ubo-1", "data": {"firstName": "Una", "lastName": "Bo"}}
    child_id = run_workflow(db, who, {"workflowId": "kyc_ubo_child", "context": {"entity": ubo}})["workflowRuntimeId"]
    send_event(db, who, child_id, "START")  # the definition has no initialEvent
    with db.write() as s:
        child = s.get(WorkflowRuntime, child_id)
        assert child is not None and child.state == "kyc_review"
        child.parent_runtime_id = case_id  # as the parent's child-workflow plugin would have linked it

    token = sign_in(client, site.reviewer)
    page = client.get(f"/cases/{case_id}?activeTab=ubos").text
    assert f'action="/cases/{child_id}/event"' not in page  # not the assignee yet
    client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": "me"})
    assert f'action="/cases/{child_id}/event"' not in client.get(f"/cases/{case_id}").text  # on the UBOs tab
    page = client.get(f"/cases/{case_id}?activeTab=ubos").text
    assert f'action="/cases/{child_id}/event"' in page and "Approve: Una Bo?" in page

    sent = client.post(
        f"/cases/{child_id}/event",
        data={"csrf_token": token, "event": "approve", "parent": case_id, "queue": "q1", "tab": "ubos"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/cases/{case_id}?queue=q1&activeTab=ubos"
    with db.read() as s:
        child = s.get(WorkflowRuntime, child_id)
        assert child is not None and child.state == "approved"
    odd = client.post(
        f"/cases/{child_id}/notes",
        data={"csrf_token": token, "text": "ok", "parent": "//evil.example"},
        follow_redirects=False,
    )
    assert odd.headers["location"] == f"/cases/{child_id}#timeline"  # not a case id: back to the child itself
