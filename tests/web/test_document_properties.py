"""Editing a document's type and properties from its card (§5.6.2) through TestClient (SQLite and
PostgreSQL): the form follows the definition's `documentsSchema`, errors are shown next to their fields, the
change goes through the engine's DEEP_MERGE_CONTEXT (a cleared field is removed) and is in the timeline;
only the assignee (or an admin) may save, and a decided document is locked."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient
from web_helpers import seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database, RuntimeEvent, WorkflowDefinition, WorkflowRuntime

DOCUMENTS_SCHEMA = [
    {
        "category": "registration",
        "type": "certificate_of_incorporation",
        "issuer": {"country": "GB"},
        "propertiesSchema": {
            "type": "object",
            "required": ["registrationNumber"],
            "properties": {
                "registrationNumber": {"type": "string", "minLength": 3},
                "issueDate": {"type": "string", "format": "date"},
                "pages": {"type": "integer", "minimum": 1},
                "certified": {"type": "boolean"},
                "form": {"type": "string", "enum": ["paper", "electronic"]},
            },
        },
    },
    {"category": "registration", "type": "extract", "propertiesSchema": {"type": "object", "properties": {}}},
    {"category": "financial", "type": "bank_statement", "propertiesSchema": {"type": "object", "properties": {}}},
]


def _case(db: Database, project_id: str) -> tuple[str, str]:
    with db.write() as s:
        for row in s.scalars(select(WorkflowDefinition).where(WorkflowDefinition.name == "till_basic_kyb_demo")):
            row.record = {**row.record, "documentsSchema": DOCUMENTS_SCHEMA}
    docs = [
        {
            "id": "doc-1",
            "category": "registration",
            "type": "certificate_of_incorporation",
            "issuer": {"country": "GB"},
            "pages": [],
            "properties": {"registrationNumber": "OLD-1"},
        },
        {"id": "doc-2", "category": "other", "type": "misc", "pages": []},
    ]
    entity = {"type": "business", "id": "kyb-9", "data": {"companyName": "Props Ltd", "country": "GB"}}
    body = {"workflowId": "till_basic_kyb_demo", "context": {"entity": entity, "documents": docs}}
    return run_workflow(db, Principal(project_id, "api-key:test"), body)["workflowRuntimeId"], "doc-1"


def _doc(db: Database, case_id: str, doc_id: str) -> dict:
    with db.read() as s:
        rt = s.get(WorkflowRuntime, case_id)
        assert rt is not None
        return next(d for d in rt.context["documents"] if d["id"] == doc_id)


def test_edit_document_properties(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    case_id, doc = _case(db, site.project_id)
    url = f"/cases/{case_id}/documents/{doc}/properties"
    token = sign_in(client, site.reviewer)
    page = client.get(f"/cases/{case_id}?activeTab=documents").text
    assert "Edit document details" not in page  # not the assignee yet: no form, and the server refuses
    assert client.post(url, data={"csrf_token": token, "prop.registrationNumber": "X-123"}).status_code == 403
    client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": "me"})
    page = client.get(f"/cases/{case_id}?activeTab=documents").text
    assert page.count("Edit document details") == 1  # doc-2's category is not in the documentsSchema
    assert 'name="prop.registrationNumber" value="OLD-1"' in page and 'type="date" name="prop.issueDate"' in page
    assert '<option value="extract"' in page and "bank_statement" not in page  # the category's types only

    bad = client.post(
        url,
        data={
            "csrf_token": token,
            "type": "certificate_of_incorporation",
            "prop.registrationNumber": "",
            "prop.pages": "0",
            "prop.form": "fax",
        },
    )
    assert bad.status_code == 400
    errors = dict(re.findall(r'<p class="error" data-for="([^"]+)">([^<]+)</p>', bad.text))
    assert errors["prop.registrationNumber"] == "This field is required."
    assert "prop.pages" in errors and "prop.form" in errors
    assert 'name="prop.pages" value="0"' in bad.text  # the entered values are kept
    assert _doc(db, case_id, doc)["properties"] == {"registrationNumber": "OLD-1"}
    assert client.post(url, data={"csrf_token": token, "type": "passport"}).status_code == 400
    assert client.post(url, data={"prop.registrationNumber": "NO-CSRF"}).status_code == 403

    ok = client.post(
        url,
        data={
            "csrf_token": token,
            "type": "certificate_of_incorporation",
            "prop.registrationNumber": "GB-12345",
            "prop.issueDate": "2024-02-29",
            "prop.pages": "3",
            "prop.certified": "on",
            "prop.form": "paper",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"].endswith(f"#doc-{doc}")
    saved = _doc(db, case_id, doc)
    assert saved["properties"] == {
        "registrationNumber": "GB-12345",
        "issueDate": "2024-02-29",
        "pages": 3,
        "certified": True,
        "form": "paper",
    }
    assert saved["category"] == "registration" and saved["pages"] == []  # the rest of the document kept
    with db.read() as s:
        kinds = s.scalars(select(RuntimeEvent.kind).where(RuntimeEvent.runtime_id == case_id)).all()
    assert "document" in kinds
    page = client.get(f"/cases/{case_id}?activeTab=documents").text
    assert "Edited the document" in page and "Registration number: OLD-1 → GB-12345" in page

    with db.write() as s:  # a property the schema does not describe (set by an integration, say)
        rt = s.get(WorkflowRuntime, case_id)
        assert rt is not None
        docs = [
            {**d, "properties": {**d["properties"], "legacyRef": "L-7"}} if d["id"] == doc else d
            for d in rt.context["documents"]
        ]
        rt.context = {**rt.context, "documents": docs}
    cleared = client.post(
        url,
        data={
            "csrf_token": token,
            "type": "certificate_of_incorporation",
            "prop.registrationNumber": "GB-12345",
            "prop.issueDate": "",
            "prop.pages": "",
            "prop.form": "",
        },
        follow_redirects=False,
    )
    assert cleared.status_code == 303  # the cleared fields are removed, not kept from before
    saved = _doc(db, case_id, doc)
    assert saved["properties"] == {"registrationNumber": "GB-12345", "certified": False, "legacyRef": "L-7"}
    assert saved["pages"] == [] and _doc(db, case_id, "doc-2")["type"] == "misc"  # the other document untouched

    client.post(f"/cases/{case_id}/documents/{doc}/decision", data={"csrf_token": token, "decision": "approve"})
    assert "Edit document details" not in client.get(f"/cases/{case_id}?activeTab=documents").text  # decided: locked
    assert client.post(url, data={"csrf_token": token, "prop.registrationNumber": "LATE-1"}).status_code == 409
