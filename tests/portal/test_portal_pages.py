"""The end-user pages over HTTP (SQLite and PostgreSQL): the demo flow from the link to manual review, validation
errors next to their fields with the values kept, uploads into context.documents, revision, bad tokens, limits."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from starlette.testclient import TestClient

from arabesque.app.collection_flow.tokens import hash_token
from arabesque.store import CollectionFlowToken, Database, utcnow
from collection_flow_helpers import DOCUMENTS, OWNERS, PAGES, PDF, PNG, REP, WORKFLOWS, run_demo
from service_fixtures import Tenant

FLOW = "/collection-flow"


def _errors(html: str) -> list[str]:
    return re.findall(r'class="error-text"[^>]*>([^<]*)<', html)


def _post(client: TestClient, token: str, data: dict[str, Any], lng: str = "en") -> Any:
    return client.post(f"{FLOW}/page?token={token}&lng={lng}", data=data, follow_redirects=False)


def _upload(
    client: TestClient, token: str, field: str, name: str = "scan.png", content: bytes = PNG, mime: str = "image/png"
) -> Any:
    return client.post(
        f"{FLOW}/upload?token={token}&page=company_documents",
        data={"_state": "company_documents", "_field": field},
        files={"file": (name, content, mime)},
        follow_redirects=False,
    )


def _fill_to_documents(client: TestClient, token: str) -> None:
    for state, data in PAGES.items():
        resp = _post(client, token, {"_state": state, **data})
        assert resp.status_code == 303, _errors(resp.text)
    for form in ("ubos-form", "directors-form"):
        assert _post(client, token, {"_state": "company_ownership", "__add": form, "_go": "save"}).status_code == 303
    resp = _post(client, token, {"_state": "company_ownership", **OWNERS})
    assert resp.status_code == 303, _errors(resp.text)


def _submit_all(client: TestClient, token: str) -> None:
    _fill_to_documents(client, token)
    for document in DOCUMENTS:
        assert _upload(client, token, document).status_code == 303
    resp = _post(client, token, {"_state": "company_documents"})
    assert resp.status_code == 303


def _workflow(client: TestClient, tenant: Tenant, runtime_id: str) -> dict[str, Any]:
    resp = client.get(f"{WORKFLOWS}/{runtime_id}", headers=tenant.headers)
    assert resp.status_code == 200
    out: dict[str, Any] = resp.json()
    return out


def test_the_demo_flow_from_the_link_to_manual_review(client: TestClient, tenant: Tenant) -> None:
    runtime_id, token = run_demo(client, tenant.headers)
    first = client.get(f"{FLOW}?token={token}")
    assert first.status_code == 200
    assert "Step 1 of 5" in first.text and "Personal Information" in first.text
    assert 'value="Ada"' in first.text  # prefilled from the context

    # one validation error on the way: the message under the phone field, every typed value kept
    bad = _post(client, token, {"_state": "personal_details", **PAGES["personal_details"], f"{REP}.phone": "12"})
    assert bad.status_code == 422
    assert _errors(bad.text) == ["Phone number must be 10 to 15 digits long and may start with a +."]
    assert 'value="12"' in bad.text and 'value="CFO"' in bad.text
    assert 'aria-invalid=true aria-describedby="f-entity-data-additionalInfo-mainRepresentative-phone-msg"' in bad.text
    assert (
        _workflow(client, tenant, runtime_id)["context"]["flowConfig"]["stepsProgress"]["personal_details"][
            "isCompleted"
        ]
        is False
    )

    _fill_to_documents(client, token)
    saved = _workflow(client, tenant, runtime_id)["context"]
    assert saved["flowConfig"]["appState"] == "company_documents"
    assert saved["flowConfig"]["stepsProgress"]["company_ownership"] == {"number": 4, "isCompleted": True}
    assert saved["entity"]["data"]["additionalInfo"]["headquarters"]["streetNumber"] == 12
    assert saved["entity"]["data"]["additionalInfo"]["ubos"][0]["email"] == "grace@acme.test"

    # the documents page refuses to finish without the required documents
    early = _post(client, token, {"_state": "company_documents"})
    assert early.status_code == 422 and len(_errors(early.text)) == 4
    for document in DOCUMENTS:
        assert _upload(client, token, document, "../../etc/passwd.pdf", PDF, "application/pdf").status_code == 303
    page = client.get(f"{FLOW}?token={token}&page=company_documents")
    assert page.text.count("Uploaded: passwd.pdf") == 4  # the forged path is reduced to a plain name

    done = _post(client, token, {"_state": "company_documents"})
    assert done.status_code == 303
    workflow = _workflow(client, tenant, runtime_id)
    assert workflow["state"] == "manual_review"
    context = workflow["context"]
    assert all(step["isCompleted"] for step in context["flowConfig"]["stepsProgress"].values())
    assert context["entity"]["data"]["companyName"] == "Acme GmbH"
    bank = next(d for d in context["documents"] if d["id"] == "document-bank-statement")
    assert bank["category"] == "proof_of_address" and bank["type"] == "bank_statement" and bank["decision"] == {}
    assert bank["pages"][0]["fileName"] == "passwd.pdf" and bank["pages"][0]["type"] == "application/pdf"
    thanks = client.get(f"{FLOW}?token={token}")
    assert thanks.status_code == 200 and "Thank you" in thanks.text


def test_revision_reopens_the_document_page_with_the_reason_and_goes_back_to_review(
    client: TestClient, tenant: Tenant
) -> None:
    runtime_id, token = run_demo(client, tenant.headers)
    _submit_all(client, token)
    reason = "The statement is older than 6 months"
    decision = {"decision": "revision", "reason": reason}
    url = f"{WORKFLOWS}/{runtime_id}/decision/document-bank-statement"
    assert client.patch(url, json=decision, headers=tenant.headers).status_code == 200
    client.post(f"{WORKFLOWS}/{runtime_id}/event", json={"name": "revision"}, headers=tenant.headers)

    page = client.get(f"{FLOW}?token={token}")
    assert page.status_code == 200
    assert "Company Documents" in page.text and reason in page.text and "Step 5 of 5" in page.text
    # only the flagged document can be replaced; data fields are shown disabled
    assert page.text.count('type="file"') == 1
    other = _upload(client, token, "document-company-structure")
    assert other.status_code == 403
    assert _upload(client, token, "document-bank-statement", "fresh.png").status_code == 303
    assert _post(client, token, {"_state": "company_documents"}).status_code == 303

    workflow = _workflow(client, tenant, runtime_id)
    assert workflow["state"] == "manual_review"
    bank = next(d for d in workflow["context"]["documents"] if d["id"] == "document-bank-statement")
    assert bank["decision"] == {} and bank["pages"][0]["fileName"] == "fresh.png"


def test_a_bad_expired_or_closed_link_is_a_401_page_that_shows_nothing(
    client: TestClient, tenant: Tenant, db: Database
) -> None:
    runtime_id, token = run_demo(client, tenant.headers)
    assert _post(client, token, {"_state": "personal_details", **PAGES["personal_details"]}).status_code == 303
    for bad in ("", "nope", "x" * 500, token[:-1] + ("A" if token[-1] != "A" else "B")):
        resp = client.get(f"{FLOW}?token={bad}")
        assert resp.status_code in (401, 422), bad
        assert "Lovelace" not in resp.text and "acme" not in resp.text.lower()
    with db.engine.begin() as conn:
        conn.execute(
            update(CollectionFlowToken)
            .where(CollectionFlowToken.token_hash == hash_token(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    for resp in (
        client.get(f"{FLOW}?token={token}"),
        _post(client, token, {"_state": "personal_details", f"{REP}.firstName": "Eve"}),
        _upload(client, token, "document-bank-statement"),
    ):
        assert resp.status_code == 401
        assert "This link cannot be opened" in resp.text and "Lovelace" not in resp.text
    assert (
        _workflow(client, tenant, runtime_id)["context"]["entity"]["data"]["additionalInfo"]["mainRepresentative"][
            "firstName"
        ]
        == "Ada"
    )


def test_a_token_opens_its_own_runtime_only(client: TestClient, tenant: Tenant) -> None:
    first_id, first = run_demo(client, tenant.headers, "first-company")
    second_id, second = run_demo(client, tenant.headers, "second-company")
    assert (
        _post(
            client, first, {"_state": "personal_details", **PAGES["personal_details"], f"{REP}.lastName": "Babbage"}
        ).status_code
        == 303
    )
    assert "Babbage" not in client.get(f"{FLOW}?token={second}").text
    assert (
        _post(
            client, second, {"_state": "personal_details", **PAGES["personal_details"], f"{REP}.lastName": "Byron"}
        ).status_code
        == 303
    )
    names = [
        _workflow(client, tenant, rid)["context"]["entity"]["data"]["additionalInfo"]["mainRepresentative"]["lastName"]
        for rid in (first_id, second_id)
    ]
    assert names == ["Babbage", "Byron"]


def test_a_form_cannot_write_outside_its_fields(client: TestClient, tenant: Tenant) -> None:
    runtime_id, token = run_demo(client, tenant.headers)
    forged = {"pluginsOutput.kyc.result": "clear", "metadata.token": "x", "entity.id": "other", "state": "approved"}
    assert (
        _post(client, token, {"_state": "personal_details", **PAGES["personal_details"], **forged}).status_code == 303
    )
    workflow = _workflow(client, tenant, runtime_id)
    assert "kyc" not in (workflow["context"].get("pluginsOutput") or {})
    assert workflow["context"]["entity"]["id"] == "acme-gmbh" and workflow["state"] != "approved"
    too_many = {f"f{i}": "x" for i in range(3000)}
    resp = _post(client, token, {"_state": "personal_details", **too_many})
    assert resp.status_code == 400 and "<html" in resp.text


def test_uploads_over_the_limit_are_refused_with_the_limit_named(client: TestClient, tenant: Tenant) -> None:
    _, token = run_demo(client, tenant.headers)
    _fill_to_documents(client, token)
    just_over = _upload(client, token, "document-bank-statement", "big.png", PNG + b"0" * (10 * 1024 * 1024))
    assert just_over.status_code == 413 and "File size exceeds 10 MB" in _errors(just_over.text)
    huge = _upload(client, token, "document-bank-statement", "huge.png", PNG + b"0" * (20 * 1024 * 1024))
    assert huge.status_code == 413 and "File size exceeds 10 MB" in huge.text and "<html" in huge.text
    wrong = _upload(client, token, "document-bank-statement", "notes.txt", b"hello", "text/plain")
    assert wrong.status_code == 422 and "Unsupported file type" in wrong.text
    nowhere = _upload(client, token, "no-such-field")
    assert nowhere.status_code == 400


def test_german_and_the_language_switch(client: TestClient, tenant: Tenant) -> None:
    runtime_id, token = run_demo(client, tenant.headers)
    page = client.get(f"{FLOW}?token={token}&lng=de")
    assert page.status_code == 200 and 'lang="de"' in page.text
    assert "Schritt 1 von 5" in page.text and "Weiter" in page.text
    bad = _post(
        client, token, {"_state": "personal_details", **PAGES["personal_details"], f"{REP}.phone": "12"}, lng="de"
    )
    assert bad.status_code == 422 and "Bitte korrigieren" in bad.text
    switched = client.post(f"{FLOW}/language?token={token}", data={"lng": "de"}, follow_redirects=False)
    assert switched.status_code == 303 and "lng=de" in switched.headers["location"]
    assert _workflow(client, tenant, runtime_id)["config"]["language"] == "de"


def test_pages_carry_no_cookie_and_a_strict_policy(client: TestClient, tenant: Tenant) -> None:
    _, token = run_demo(client, tenant.headers)
    page = client.get(f"{FLOW}?token={token}")
    assert "set-cookie" not in page.headers
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'nonce="{nonce.group(1)}"' in page.text and "script-src 'self'" in policy
    assert client.get(f"{FLOW}/static/portal.css").status_code == 200
