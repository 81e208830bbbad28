"""Guarded case decisions and the readable, exportable audit trail, through TestClient (SQLite and PostgreSQL):
approve refused (409) and disabled while a document is undecided or awaiting re-upload; only reviewer events;
reasons required and bounded; the trail names who did what to which document, keeps the decisions of documents
a PATCH replaced, and exports as CSV (formula-safe) and JSON to members of the case's project only."""

from __future__ import annotations

import csv
import io
import re

from starlette.testclient import TestClient
from web_helpers import seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.workflows.patch_workflow import patch_workflow
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database, RuntimeEvent, WorkflowRuntime


def _case(db: Database, project_id: str) -> tuple[str, list[str]]:
    docs = [
        {"id": f"doc-{n}", "category": "registration", "type": typ, "issuer": {"country": "GB"}, "pages": []}
        for n, typ in enumerate(("certificate_of_incorporation", "bank_statement"))
    ]
    entity = {
        "type": "business",
        "id": "kyb-9",
        "data": {"companyName": "Guarded Ltd", "country": "GB", "registrationNumber": "G-1"},
    }
    body = {"workflowId": "till_basic_kyb_demo", "context": {"entity": entity, "documents": docs}}
    out = run_workflow(db, Principal(project_id, "api-key:test"), body)
    return out["workflowRuntimeId"], [d["id"] for d in docs]


def _state(db: Database, case_id: str) -> str:
    with db.read() as s:
        rt = s.get(WorkflowRuntime, case_id)
        assert rt is not None
        return rt.state


def test_approve_waits_for_every_document(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    case_id, docs = _case(db, site.project_id)
    token = sign_in(client, site.reviewer)
    client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": "me"})
    page = client.get(f"/cases/{case_id}").text
    assert 'id="blocked-approve"' in page and "Certificate of incorporation (Registration): undecided" in page

    forged = client.post(f"/cases/{case_id}/event", data={"csrf_token": token, "event": "approve"})
    assert forged.status_code == 409 and "Decide every document before approving" in forged.text
    assert _state(db, case_id) == "manual_review"

    decide = f"/cases/{case_id}/documents/{{}}/decision"
    client.post(decide.format(docs[0]), data={"csrf_token": token, "decision": "approve"})
    client.post(decide.format(docs[1]), data={"csrf_token": token, "decision": "revision", "reason": "Blurry"})
    assert client.post(f"/cases/{case_id}/event", data={"csrf_token": token, "event": "approve"}).status_code == 409
    assert "Bank statement (Registration): awaiting re-upload" in client.get(f"/cases/{case_id}").text

    client.post(decide.format(docs[1]), data={"csrf_token": token, "decision": "approve"})
    done = client.post(
        f"/cases/{case_id}/event", data={"csrf_token": token, "event": "approve"}, follow_redirects=False
    )
    assert done.status_code == 303 and _state(db, case_id) == "approved"
    assert "Approve: Manual review → Approved" in client.get(done.headers["location"]).text  # no raw names


def test_only_reviewer_events_and_reasons_required(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    case_id, _ = _case(db, site.project_id)
    token = sign_in(client, site.reviewer)
    client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": "me"})
    page = client.get(f"/cases/{case_id}").text
    assert 'data-event="UPDATE_CONTEXT"' not in page and 'data-event="RESUBMITTED"' not in page
    for internal in ("UPDATE_CONTEXT", "DEEP_MERGE_CONTEXT", "START"):
        refused = client.post(f"/cases/{case_id}/event", data={"csrf_token": token, "event": internal})
        assert refused.status_code == 403, internal

    no_reason = client.post(f"/cases/{case_id}/event", data={"csrf_token": token, "event": "reject"})
    assert "A reason is required." in no_reason.text and _state(db, case_id) == "manual_review"
    too_long = client.post(
        f"/cases/{case_id}/event", data={"csrf_token": token, "event": "reject", "reason": "x" * 1001}
    )
    assert "At most 1000 characters." in too_long.text and _state(db, case_id) == "manual_review"
    client.post(f"/cases/{case_id}/event", data={"csrf_token": token, "event": "reject", "reason": "Shell company"})
    assert _state(db, case_id) == "rejected"
    page = client.get(f"/cases/{case_id}").text
    assert "Shell company" in page and "Manual review → Rejected" in page


def test_trail_names_documents_keeps_replaced_decisions_and_exports(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    other = seed_site(db, "globex", prefix="g-")
    case_id, docs = _case(db, site.project_id)
    token = sign_in(client, site.reviewer)
    client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": "me"})
    client.post(
        f"/cases/{case_id}/documents/{docs[0]}/decision",
        data={"csrf_token": token, "decision": "reject", "reason": "Forged stamp"},
    )
    client.post(f"/cases/{case_id}/notes", data={"csrf_token": token, "text": '=HYPERLINK("http://evil")'})
    # An integration replaces the documents array: the rejected certificate disappears from the context...
    replaced = [{"id": "doc-new", "category": "registration", "type": "certificate_of_incorporation", "pages": []}]
    patch_workflow(db, Principal(site.project_id, "api-key:test"), case_id, {"context": {"documents": replaced}})

    page = client.get(f"/cases/{case_id}").text
    assert "Rejected the document" in page and "Certificate of incorporation (Registration)" in page
    assert "Rita Test" in page and "None" not in page.split('id="timeline"')[1]
    # ...but the trail still says it was rejected, and why
    assert "Removed Certificate of incorporation (Registration) (it was rejected: Forged stamp)" in page
    assert "Added Certificate of incorporation (Registration)" in page

    exported = client.get(f"/cases/{case_id}/trail.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {"Rejected the document", "Added a note", "Updated the case data"} <= {r["action"] for r in rows}
    note = next(r for r in rows if r["action"] == "Added a note")
    assert note["detail"].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    assert all(not r[c].startswith(("=", "+", "-", "@")) for r in rows for c in r)
    as_json = client.get(f"/cases/{case_id}/trail.json").json()
    assert as_json["caseId"] == case_id and any(e["object"].startswith("Certificate") for e in as_json["entries"])
    assert client.get(f"/cases/{case_id}/trail.xml").status_code == 404

    client.cookies.clear()
    sign_in(client, other.reviewer)
    assert client.get(f"/cases/{case_id}/trail.csv").status_code == 404  # another project's case
    client.cookies.clear()
    assert client.get(f"/cases/{case_id}/trail.json", follow_redirects=False).status_code == 303  # signed out


def test_a_child_case_with_an_undecided_document_blocks_the_parents_approval(client: TestClient, db: Database) -> None:
    from arabesque.app.workflows.send_event import send_event

    site = seed_site(db)
    case_id, docs = _case(db, site.project_id)
    who = Principal(site.project_id, "api-key:test")
    ubo = {"type": "individual", "id": "ubo-7", "data": {"firstName": "Una", "lastName": "Bo"}}
    child_docs = [{"id": "c-1", "category": "identification", "type": "passport", "pages": []}]
    child_id = run_workflow(
        db, who, {"workflowId": "kyc_ubo_child", "context": {"entity": ubo, "documents": child_docs}}
    )["workflowRuntimeId"]
    send_event(db, who, child_id, "START")
    with db.write() as s:
        child = s.get(WorkflowRuntime, child_id)
        assert child is not None
        child.parent_runtime_id = case_id
    token = sign_in(client, site.reviewer)
    client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": "me"})
    for doc in docs:
        client.post(f"/cases/{case_id}/documents/{doc}/decision", data={"csrf_token": token, "decision": "approve"})
    page = client.get(f"/cases/{case_id}").text
    assert "Una Bo&#39;s Passport (Identification): undecided" in page  # the parent's approve names it
    assert client.post(f"/cases/{case_id}/event", data={"csrf_token": token, "event": "approve"}).status_code == 409
    ubos = client.get(f"/cases/{case_id}?activeTab=ubos").text
    assert re.search(
        r'<button type="button" class="button ev-approve" disabled title="[^"]+" data-event="approve">', ubos
    )
    forged = client.post(f"/cases/{child_id}/event", data={"csrf_token": token, "event": "approve", "parent": case_id})
    assert forged.status_code == 409


def test_the_trail_names_api_keys_and_groups_system_work(client: TestClient, db: Database) -> None:
    from arabesque.app.access.api_keys import create_api_key

    site = seed_site(db)
    key = create_api_key(db, site.project_id, "Onboarding backend")
    case_id, _ = _case_by(db, Principal(site.project_id, f"api-key:{key.prefix}"))
    with db.write() as s:  # what a worker writes for a failed plugin call
        s.add(
            RuntimeEvent(
                runtime_id=case_id,
                project_id=site.project_id,
                seq=999,
                kind="plugin attempt",
                actor="worker:vm:19268:ecbb9c",
                event="registry_check",
                from_state=None,
                to_state=None,
                details={"status": 503},
            )
        )
    sign_in(client, site.reviewer)
    page = client.get(f"/cases/{case_id}").text
    trail, system = page.split('id="trail"')[1].split('id="system-trail"')
    assert "API key Onboarding backend" in trail and "Created the case" in trail
    assert "worker:" not in page and "Attempt of Registry check failed; retrying" in system and "HTTP 503" in system
    assert "registry_check" not in trail


def _case_by(db: Database, who: Principal) -> tuple[str, list[str]]:
    entity = {
        "type": "business",
        "id": "kyb-k",
        "data": {"companyName": "Keyed Ltd", "country": "GB", "registrationNumber": "K-1"},
    }
    out = run_workflow(db, who, {"workflowId": "till_basic_kyb_demo", "context": {"entity": entity}})
    return out["workflowRuntimeId"], []


def test_an_action_from_a_stale_page_is_explained_in_words(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    case_id, _ = _case(db, site.project_id)
    token = sign_in(client, site.reviewer)
    client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": "me"})
    client.post(f"/cases/{case_id}/event", data={"csrf_token": token, "event": "reject", "reason": "Fraud"})
    again = client.post(f"/cases/{case_id}/event", data={"csrf_token": token, "event": "revision", "reason": "x"})
    assert again.status_code == 409  # a finished case accepts nothing
    case_id, _ = _case(db, site.project_id)
    client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": "me"})
    client.post(f"/cases/{case_id}/event", data={"csrf_token": token, "event": "revision", "reason": "Docs"})
    stale = client.post(f"/cases/{case_id}/event", data={"csrf_token": token, "event": "reject", "reason": "Late"})
    assert "Reject is not possible now: the case is in Revisions. Reload the page." in stale.text
    assert "manual_review" not in stale.text.split("<main")[1].split("</header>")[0]
