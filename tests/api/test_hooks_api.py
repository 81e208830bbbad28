"""`POST /external/workflows/{id}/hook/{event}`: a vendor's signed callback (external-api.md §3, §14.3-14.5).

The signature (hex HMAC-SHA256 of the raw body with the project secret `UNIFIED_API_SHARED_SECRET`) is the only
authentication: a forged, missing or repeated one, a project without the secret, an unknown runtime and another
project's runtime are all 401 with nothing changed. A valid one merges the body at `resultDestination` and sends
the event in one transaction (audited as `hook`, webhooks in the outbox); a replay is answered the same with no
second effect (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from arabesque.store import Database, File, OutboxEffect, RuntimeEvent
from service_fixtures import Tenant

SECRET = "vendor-shared-secret"
WF = "/api/v1/external/workflows"
DEFINITION = {
    "name": "vendor_flow",
    "definition": {
        "id": "vendor_flow",
        "initial": "get_vendor_data",
        "states": {
            "get_vendor_data": {"on": {"VENDOR_DONE": "manual_review", "VENDOR_FAILED": "failed"}},
            "manual_review": {"on": {"approve": "approved"}},
            "approved": {"type": "final"},
            "failed": {"type": "final"},
        },
    },
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def set_secret(client: TestClient, tenant: Tenant, value: str = SECRET) -> None:
    resp = client.post(
        "/api/v1/external/secrets", json={"key": "UNIFIED_API_SHARED_SECRET", "value": value}, headers=tenant.headers
    )
    assert resp.status_code < 300, resp.text


def start(client: TestClient, tenant: Tenant, context: dict[str, Any] | None = None) -> str:
    assert client.post("/api/v1/workflow-definition", json=DEFINITION, headers=tenant.headers).status_code == 201
    body = {
        "workflowId": "vendor_flow",
        "context": {"entity": {"type": "business", "id": "acme-1", "data": {}}, **(context or {})},
        "config": {
            "subscriptions": [
                {"type": "webhook", "url": "https://hooks.example/x", "events": ["workflow.state.changed"]}
            ]
        },
    }
    resp = client.post(f"{WF}/run", json=body, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["workflowRuntimeId"])


def hook(
    client: TestClient,
    runtime_id: str,
    event: str,
    payload: Any,
    signature: str | None = "sign",
    **params: str,
) -> Any:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-HMAC-Signature"] = sign(raw)
    elif signature is not None:
        headers["X-HMAC-Signature"] = signature
    return client.post(f"{WF}/{runtime_id}/hook/{event}", content=raw, headers=headers, params=params)


def runtime(client: TestClient, tenant: Tenant, runtime_id: str) -> dict[str, Any]:
    resp = client.get(f"{WF}/{runtime_id}", headers=tenant.headers)
    assert resp.status_code == 200
    out: dict[str, Any] = resp.json()
    return out


def audit(db: Database, runtime_id: str) -> list[tuple[str, str, str | None]]:
    with db.read() as s:
        rows = s.execute(
            select(RuntimeEvent.kind, RuntimeEvent.actor, RuntimeEvent.event)
            .where(RuntimeEvent.runtime_id == runtime_id)
            .order_by(RuntimeEvent.seq)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def webhooks(db: Database, runtime_id: str) -> int:
    with db.read() as s:
        count = s.scalar(
            select(func.count())
            .select_from(OutboxEffect)
            .where(OutboxEffect.runtime_id == runtime_id, OutboxEffect.effect_type == "webhook")
        )
    return int(count or 0)


UBO = {"pluginsOutput": {"ubo": {"name": "ubo", "status": "IN_PROGRESS"}}}
UBO_QUERY = {"resultDestination": "pluginsOutput.ubo.data", "processName": "ubo-unified-api"}


def test_the_end_to_end_scenario(client: TestClient, tenant: Tenant, db: Database) -> None:
    """external-api.md §14.5."""
    set_secret(client, tenant)
    rid = start(client, tenant, UBO)
    resp = hook(client, rid, "VENDOR_DONE", {"ubos": [{"name": "A"}]}, **UBO_QUERY)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "workflowRuntimeId": rid,
        "event": "VENDOR_DONE",
        "state": "manual_review",
        "status": "active",
    }
    after = runtime(client, tenant, rid)
    assert after["state"] == "manual_review"
    assert after["context"]["pluginsOutput"] == {
        "ubo": {"name": "ubo", "status": "SUCCESS", "data": {"ubos": [{"name": "A"}]}}
    }
    assert audit(db, rid)[-1] == ("hook", "hook", "VENDOR_DONE")
    assert webhooks(db, rid) == 1  # workflow.state.changed, in the same transaction


def test_an_event_the_state_does_not_accept_is_400_and_changes_nothing(
    client: TestClient, tenant: Tenant, db: Database
) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant, UBO)
    before = runtime(client, tenant, rid)
    resp = hook(client, rid, "NOT_AN_EVENT", {"ubos": [{"name": "A"}]}, **UBO_QUERY)
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["path"] == "path.event"
    assert runtime(client, tenant, rid) == before
    assert audit(db, rid) == [("created", audit(db, rid)[0][1], None)]


@pytest.mark.parametrize(
    "signature",
    [None, "", "0" * 64, sign(b'{"other": 1}'), sign(b'{"ubos": []}', "wrong-secret")],
    ids=["missing", "empty", "zeros", "other-body", "other-key"],
)
def test_a_forged_or_missing_signature_is_401_and_changes_nothing(
    client: TestClient, tenant: Tenant, db: Database, signature: str | None
) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant, UBO)
    before = runtime(client, tenant, rid)
    resp = hook(client, rid, "VENDOR_DONE", {"ubos": []}, signature=signature, **UBO_QUERY)
    assert resp.status_code == 401 and resp.json()["message"] == "Invalid signature"
    assert runtime(client, tenant, rid) == before
    assert len(audit(db, rid)) == 1 and webhooks(db, rid) == 0


def test_an_upper_case_signature_is_accepted(client: TestClient, tenant: Tenant) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    raw = b'{"a":1}'
    resp = client.post(f"{WF}/{rid}/hook/VENDOR_DONE", content=raw, headers={"X-HMAC-Signature": sign(raw).upper()})
    assert resp.status_code == 200, resp.text


def test_a_repeated_signature_header_is_401(client: TestClient, tenant: Tenant) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    raw = b'{"a":1}'
    headers = [("X-HMAC-Signature", sign(raw)), ("X-HMAC-Signature", sign(raw))]
    assert client.post(f"{WF}/{rid}/hook/VENDOR_DONE", content=raw, headers=headers).status_code == 401


def test_without_the_secret_every_callback_is_401(client: TestClient, tenant: Tenant) -> None:
    rid = start(client, tenant)
    # Ballerine would accept a signature made with an empty key (D7)
    raw = b"{}"
    for signature in (sign(raw, ""), ""):
        resp = client.post(f"{WF}/{rid}/hook/VENDOR_DONE", content=raw, headers={"X-HMAC-Signature": signature})
        assert resp.status_code == 401
    assert runtime(client, tenant, rid)["state"] == "get_vendor_data"


def test_an_unknown_runtime_is_the_same_401(client: TestClient, tenant: Tenant) -> None:
    set_secret(client, tenant)
    resp = hook(client, "no-such-runtime", "VENDOR_DONE", {})
    assert resp.status_code == 401 and resp.json()["message"] == "Invalid signature"


def test_another_projects_runtime_is_401_and_unchanged(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    set_secret(client, tenant)
    set_secret(client, other_tenant, "globex-secret")
    theirs = start(client, other_tenant)
    resp = hook(client, theirs, "VENDOR_DONE", {"a": 1})  # signed with the first project's secret
    assert resp.status_code == 401
    assert runtime(client, other_tenant, theirs)["state"] == "get_vendor_data"
    assert len(audit(db, theirs)) == 1


def test_a_replay_is_answered_the_same_with_no_second_effect(client: TestClient, tenant: Tenant, db: Database) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant, UBO)
    first = hook(client, rid, "VENDOR_DONE", {"ubos": [{"name": "A"}]}, **UBO_QUERY)
    # the query is not signed: a replay with another destination is still the same callback
    again = hook(client, rid, "VENDOR_DONE", {"ubos": [{"name": "A"}]}, resultDestination="elsewhere")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert [a for a in audit(db, rid) if a[0] == "hook"] == [("hook", "hook", "VENDOR_DONE")]
    assert webhooks(db, rid) == 1
    assert "elsewhere" not in runtime(client, tenant, rid)["context"]


def test_another_body_is_another_callback(client: TestClient, tenant: Tenant) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    assert hook(client, rid, "VENDOR_DONE", {"n": 1}).status_code == 200
    resp = hook(client, rid, "VENDOR_DONE", {"n": 2})  # now in manual_review: not accepted
    assert resp.status_code == 400


def test_the_default_destination_is_hook_response(client: TestClient, tenant: Tenant) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    assert hook(client, rid, "VENDOR_DONE", [{"a": 1}]).status_code == 200
    assert runtime(client, tenant, rid)["context"]["hookResponse"] == [{"a": 1}]


def test_an_array_index_in_the_destination_creates_an_array(client: TestClient, tenant: Tenant) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    assert hook(client, rid, "VENDOR_DONE", {"a": 1}, resultDestination="a.0.b").status_code == 200
    assert runtime(client, tenant, rid)["context"]["a"] == [{"b": {"a": 1}}]


@pytest.mark.parametrize("destination", ["", "a..b", ".a", "a.", "a.101", "x" * 301, ".".join("a" * 21)])
def test_a_bad_destination_is_400_naming_it(client: TestClient, tenant: Tenant, destination: str) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    resp = hook(client, rid, "VENDOR_DONE", {"a": 1}, resultDestination=destination)
    assert resp.status_code == 400, resp.text
    assert resp.json()["errors"][0]["path"] == "query.resultDestination"
    assert runtime(client, tenant, rid)["state"] == "get_vendor_data"


@pytest.mark.parametrize(
    ("raw", "path"),
    [(b"not json", "body"), (b'"a string"', "body"), (b"[" * 100_000 + b"]" * 100_000, "body")],
    ids=["not-json", "scalar", "deep"],
)
def test_a_body_that_is_not_an_object_or_array_is_400(
    client: TestClient, tenant: Tenant, raw: bytes, path: str
) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    resp = hook(client, rid, "VENDOR_DONE", raw)
    assert resp.status_code == 400, resp.text
    assert resp.json()["errors"][0]["path"] == path


def test_an_empty_body_is_an_empty_object(client: TestClient, tenant: Tenant) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    assert hook(client, rid, "VENDOR_DONE", b"").status_code == 200
    assert runtime(client, tenant, rid)["context"]["hookResponse"] == {}


def test_a_finished_runtime_is_409(client: TestClient, tenant: Tenant) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    assert hook(client, rid, "VENDOR_FAILED", {"n": 1}).status_code == 200
    assert hook(client, rid, "VENDOR_DONE", {"n": 2}).status_code == 409


def test_a_kyc_result_is_normalised_and_its_images_stored(
    client: TestClient, tenant: Tenant, db: Database, tmp_path: Path
) -> None:
    set_secret(client, tenant)
    rid = start(
        client, tenant, {"documents": [{"category": "other", "type": "x", "issuer": {"country": "GB"}, "pages": []}]}
    )
    body = {
        "id": "session-1",
        "decision": "approved",
        "reason": None,
        "decisionScore": 0.9,
        "insights": [{"label": "pep", "result": "yes"}, {"label": "fraud", "result": "no"}],
        "person": {"firstName": {"value": "Ada"}, "lastName": {"value": "Lovelace"}, "idNumber": {"value": "X1"}},
        "document": {"type": {"value": "PASSPORT"}, "country": {"value": "GB"}, "validUntil": {"value": "2030-01-01"}},
        "images": [{"context": "document-front", "content": "data:image/png;base64," + base64.b64encode(PNG).decode()}],
    }
    dest = "pluginsOutput.kyc_session.kyc_session_1.result"
    resp = hook(client, rid, "VENDOR_DONE", body, resultDestination=dest, processName="kyc-unified-api")
    assert resp.status_code == 200, resp.text
    ctx = runtime(client, tenant, rid)["context"]
    result = ctx["pluginsOutput"]["kyc_session"]["kyc_session_1"]["result"]
    assert result["entity"] == {
        "type": "individual",
        "data": {"firstName": "Ada", "lastName": "Lovelace", "additionalInfo": {}},
    }
    assert result["decision"] == {"status": "approved", "decisionScore": 0.9, "riskLabels": "pep"}
    other, kyc = ctx["documents"]  # the earlier document is kept (Ballerine drops it, D10)
    assert other["category"] == "other"
    assert (kyc["type"], kyc["category"], kyc["issuer"]["country"]) == ("identification_document", "passport", "GB")
    assert kyc["properties"] == {"expiryDate": "2030-01-01", "idNumber": "X1", "validUntil": "2030-01-01"}
    [page] = kyc["pages"]
    assert page["type"] == "image/png" and page["metadata"] == {"side": "front"}
    stored = client.get(f"/api/v1/external/storage/content/{page['ballerineFileId']}", headers=tenant.headers)
    assert stored.content == PNG


def test_a_malformed_kyc_result_is_400_and_stores_nothing(
    client: TestClient, tenant: Tenant, db: Database, tmp_path: Path
) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    body = {"person": {}, "document": "not an object", "images": [{"content": "data:image/png;base64,iVBORw0KGgo="}]}
    resp = hook(client, rid, "VENDOR_DONE", body, processName="kyc-unified-api")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["path"] == "body.document"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(File)) == 0
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]


def test_an_aml_result_is_merged_into_the_object_at_the_destination(client: TestClient, tenant: Tenant) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant, {"aml": {"previous": True}})
    body = {"vendor": "veriff", "data": {"id": "a1", "endUserId": "e1__", "hits": [{"name": "X"}]}}
    assert (
        hook(client, rid, "VENDOR_DONE", body, resultDestination="aml", processName="aml-unified-api").status_code
        == 200
    )
    assert runtime(client, tenant, rid)["context"]["aml"] == {
        "previous": True,
        "id": "a1",
        "endUserId": "e1__",
        "hits": [{"name": "X"}],
        "vendor": "veriff",
    }


def test_website_monitoring_needs_a_risk_score(client: TestClient, tenant: Tenant) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant, {"pluginsOutput": {"merchantMonitoring": {"status": "IN_PROGRESS"}}})
    query = {"resultDestination": "pluginsOutput.merchantMonitoring", "processName": "website-monitoring"}
    bad = hook(client, rid, "VENDOR_DONE", {"reportData": {"summary": {}}}, **query)
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "body.reportData.summary.riskScore"
    good = hook(client, rid, "VENDOR_DONE", {"reportData": {"summary": {"riskScore": 12}}}, **query)
    assert good.status_code == 200, good.text
    assert runtime(client, tenant, rid)["context"]["pluginsOutput"]["merchantMonitoring"] == {
        "status": "SUCCESS",
        "data": {"summary": {"riskScore": 12}},
    }


def test_kyc_images_of_a_refused_event_are_not_kept(
    client: TestClient, tenant: Tenant, db: Database, tmp_path: Path
) -> None:
    set_secret(client, tenant)
    rid = start(client, tenant)
    image = {"context": "document-front", "content": "data:image/png;base64," + base64.b64encode(PNG).decode()}
    body = {"person": {}, "document": {}, "images": [image]}
    resp = hook(client, rid, "NOT_AN_EVENT", body, processName="kyc-unified-api")
    assert resp.status_code == 400
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(File)) == 0
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
