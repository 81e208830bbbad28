"""Document files (upload, download, tenant check) and per-document decisions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from arabesque.store import Database, RuntimeEvent
from service_fixtures import Tenant

FILES = "/api/v1/external/files"
WF = "/api/v1/external/workflows"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client: TestClient, t: Tenant, content: bytes = PDF, mime: str = "application/pdf") -> Any:
    return client.post(FILES, files={"file": ("passport.pdf", content, mime)}, headers=t.headers)


def test_upload_and_download(client: TestClient, tenant: Tenant) -> None:
    resp = upload(client, tenant)
    assert resp.status_code == 201, resp.text
    meta = resp.json()
    assert meta["mimeType"] == "application/pdf" and meta["size"] == len(PDF) and meta["fileName"] == "passport.pdf"
    got = client.get(f"{FILES}/{meta['id']}", headers=tenant.headers)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"


def test_upload_checks_type_and_size(client: TestClient, tenant: Tenant) -> None:
    resp = upload(client, tenant, b"MZ\x90\x00", "application/x-msdownload")
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "file"
    resp = upload(client, tenant, b"not a pdf", "application/pdf")  # declared type does not match the content
    assert resp.status_code == 400
    resp = upload(client, tenant, PDF + b"0" * (10 * 1024 * 1024), "application/pdf")
    assert resp.status_code == 413 and resp.json()["statusCode"] == 413
    resp = client.post(FILES, headers=tenant.headers)
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "file"


def test_files_of_another_project_are_404(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    file_id = upload(client, tenant).json()["id"]
    resp = client.get(f"{FILES}/{file_id}", headers=other_tenant.headers)
    assert resp.status_code == 404 and resp.json()["statusCode"] == 404
    assert client.get(f"{FILES}/{file_id}").status_code == 401


def kyc_run(client: TestClient, t: Tenant, file_id: str) -> str:
    body = {
        "workflowId": "kyc_document_review",
        "context": {
            "entity": {"type": "individual", "id": "person-1", "data": {"firstName": "Ada", "lastName": "L"}},
            "documents": [
                {
                    "id": "passport",
                    "category": "identification",
                    "type": "passport",
                    "issuer": {"country": "GB"},
                    "pages": [{"ballerineFileId": file_id}],
                },
                {
                    "category": "proof_of_address",
                    "type": "utility_bill",
                    "issuer": {"country": "GB"},
                    "pages": [],
                },
            ],
        },
    }
    resp = client.post(f"{WF}/run", json=body, headers=t.headers)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["workflowRuntimeId"])


def test_document_decisions_are_recorded_and_audited(client: TestClient, tenant: Tenant, db: Database) -> None:
    rid = kyc_run(client, tenant, upload(client, tenant).json()["id"])
    resp = client.patch(
        f"{WF}/{rid}/decision/passport",
        json={"decision": "revision", "reason": "Blurry image"},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.text
    doc = resp.json()["context"]["documents"][0]
    assert doc["decision"] == {
        "status": "revision",
        "rejectionReason": None,
        "revisionReason": "Blurry image",
        "comment": None,
    }
    assert doc["category"] == "identification" and doc["pages"]  # merged by id, nothing else lost
    with db.read() as s:
        rows = s.scalars(
            select(RuntimeEvent).where(RuntimeEvent.runtime_id == rid, RuntimeEvent.kind == "decision")
        ).all()
    assert [(r.details["payload"]["documentId"], r.details["payload"]["decision"]["status"]) for r in rows] == [
        ("passport", "revision")
    ]
    assert rows[0].actor == tenant.who.actor


def test_document_decisions_drive_the_case(client: TestClient, tenant: Tenant, db: Database) -> None:
    rid = kyc_run(client, tenant, upload(client, tenant).json()["id"])
    runtime = client.get(f"{WF}/{rid}", headers=tenant.headers).json()
    assert runtime["state"] == "document_review"
    docs = runtime["context"]["documents"]
    assert docs[0]["pages"][0]["ballerineFileId"]
    second_id = docs[1]["id"]  # assigned by the service
    assert second_id
    resp = client.patch(f"{WF}/{rid}/decision/passport", json={"decision": "approve"}, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["state"] == "document_review"
    assert out["context"]["documents"][0]["decision"] == {
        "status": "approved",
        "rejectionReason": None,
        "revisionReason": None,
        "comment": None,
    }
    resp = client.patch(
        f"{WF}/{rid}/decision/{second_id}",
        json={"decision": "approve", "comment": "ok"},
        headers=tenant.headers,
    )
    out = resp.json()
    assert (out["state"], out["status"]) == ("approved", "completed")
    late = client.patch(f"{WF}/{rid}/decision/passport", json={"decision": "reject"}, headers=tenant.headers)
    assert late.status_code == 409
    with db.read() as s:
        kinds = s.scalars(select(RuntimeEvent.kind).where(RuntimeEvent.runtime_id == rid)).all()
    assert kinds.count("decision") == 2


def test_rejecting_a_document_rejects_the_case_with_the_reason(client: TestClient, tenant: Tenant) -> None:
    rid = kyc_run(client, tenant, upload(client, tenant).json()["id"])
    resp = client.patch(
        f"{WF}/{rid}/decision/passport",
        json={"decision": "reject", "reason": "Fake or altered document"},
        headers=tenant.headers,
    )
    out = resp.json()
    assert out["state"] == "rejected"
    assert out["context"]["documents"][0]["decision"]["rejectionReason"] == "Fake or altered document"


def test_decision_errors(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    rid = kyc_run(client, tenant, upload(client, tenant).json()["id"])
    resp = client.patch(f"{WF}/{rid}/decision/nope", json={"decision": "approve"}, headers=tenant.headers)
    assert resp.status_code == 404
    resp = client.patch(f"{WF}/{rid}/decision/passport", json={"decision": "maybe"}, headers=tenant.headers)
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "decision"
    resp = client.patch(f"{WF}/{rid}/decision/passport", json={"decision": "approve"}, headers=other_tenant.headers)
    assert resp.status_code == 404
