"""The case page's tabs (Ballerine's DefaultBlocks, §5.4) through TestClient (SQLite and PostgreSQL):
server-rendered, chosen by `?activeTab=`, disabled when empty, and kept across the actions taken on them."""

from __future__ import annotations

import re

from starlette.testclient import TestClient
from web_helpers import seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database, WorkflowRuntime


def _tabs(html: str) -> dict[str, str]:
    """Each tab's state: active, enabled or disabled."""
    out = {}
    for tag, attrs in re.findall(r'<(a|span) ([^>]*data-tab="[^"]+"[^>]*)>', html):
        tab = re.search(r'data-tab="([^"]+)"', attrs)
        assert tab
        out[tab.group(1)] = "active" if 'aria-current="page"' in attrs else ("disabled" if tag == "span" else "enabled")
    return out


def test_tabs_by_theme(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    who = Principal(site.project_id, "api-key:test")
    docs = [{"id": "doc-1", "category": "registration", "type": "certificate", "pages": []}]
    plain = {"type": "business", "id": "kyb-1", "data": {"companyName": "Plain Ltd", "country": "GB"}}
    plain_id = run_workflow(
        db, who, {"workflowId": "till_basic_kyb_demo", "context": {"entity": plain, "documents": docs}}
    )["workflowRuntimeId"]
    rich = {
        "type": "business",
        "id": "kyb-2",
        "data": {
            "companyName": "Rich Ltd",
            "additionalInfo": {
                "ubos": [{"id": "u1", "firstName": "Una", "lastName": "Bo", "email": "una@example.com"}],
                "directors": [{"id": "d1", "firstName": "Dirk", "lastName": "Tor"}],
            },
        },
    }
    context = {"entity": rich, "documents": [], "customData": {"segment": "gold-tier"}}
    rich_id = run_workflow(db, who, {"workflowId": "kyb_with_ubos_demo", "context": context})["workflowRuntimeId"]
    token = sign_in(client, site.reviewer)

    page = client.get(f"/cases/{plain_id}").text
    assert _tabs(page) == {
        "summary": "active",
        "companyInformation": "disabled",
        "associatedCompanies": "disabled",
        "documents": "enabled",
        "ubos": "disabled",
        "directors": "disabled",
        "kyc": "disabled",
        "pluginsOutput": "disabled",
        "customData": "disabled",
    }
    assert "Documents (1)" in page and 'id="entity"' in page and 'id="doc-doc-1"' not in page
    docs_page = client.get(f"/cases/{plain_id}?activeTab=documents&queue=q1").text
    assert _tabs(docs_page)["documents"] == "active" and 'id="doc-doc-1"' in docs_page
    assert 'id="entity"' not in docs_page
    assert 'href="?queue=q1&amp;activeTab=summary"' in docs_page  # the tab links keep the queue
    for odd in ("directors", "nope", ""):  # a disabled or unknown tab: the first tab with content
        assert _tabs(client.get(f"/cases/{plain_id}?activeTab={odd}").text)["summary"] == "active", odd

    client.post(f"/cases/{plain_id}/assign", data={"csrf_token": token, "assignee": "me", "tab": "documents"})
    decided = client.post(
        f"/cases/{plain_id}/documents/doc-1/decision",
        data={"csrf_token": token, "decision": "approve", "queue": "q1", "tab": "documents"},
        follow_redirects=False,
    )
    assert decided.headers["location"] == f"/cases/{plain_id}?queue=q1&activeTab=documents#doc-doc-1"
    assert 'name="tab" value="documents"' in client.get(f"/cases/{plain_id}?activeTab=documents").text

    page = client.get(f"/cases/{rich_id}").text
    assert _tabs(page) == {
        "summary": "active",
        "companyInformation": "disabled",
        "associatedCompanies": "disabled",
        "documents": "disabled",
        "ubos": "enabled",
        "directors": "enabled",
        "kyc": "disabled",
        "pluginsOutput": "disabled",
        "customData": "enabled",
    }
    assert "una@example.com" not in page and "Dirk" not in page  # UBOs and directors have their own tabs
    ubos = client.get(f"/cases/{rich_id}?activeTab=ubos").text
    assert "UBOs (user-provided)" in ubos and "una@example.com" in ubos and "Dirk" not in ubos
    directors = client.get(f"/cases/{rich_id}?activeTab=directors").text
    assert "Directors (user-provided)" in directors and "Dirk" in directors
    custom = client.get(f"/cases/{rich_id}?activeTab=customData").text
    assert "Segment" in custom and "gold-tier" in custom


def _director_case(db: Database, project_id: str, with_ids: bool) -> str:
    def doc(n: str) -> dict:
        return {"id": n, "category": "proof_of_address", "type": "utility_bill", "pages": []}

    directors = [
        {"firstName": "Ann", "lastName": "First", "additionalInfo": {"documents": [doc("a-1")]}},
        {"firstName": "Dirk", "lastName": "Tor", "additionalInfo": {"documents": [doc("d-1"), doc("d-2")]}},
    ]
    if with_ids:
        for i, d in enumerate(directors):
            d["id"] = f"dir-{i}"
    entity = {
        "type": "business",
        "id": f"kyb-d{with_ids}",
        "data": {"companyName": "Board Ltd", "additionalInfo": {"directors": directors}},
    }
    body = {"workflowId": "kyb_with_ubos_demo", "context": {"entity": entity, "documents": []}}
    return run_workflow(db, Principal(project_id, "api-key:test"), body)["workflowRuntimeId"]


def _directors(db: Database, case_id: str) -> list[dict]:
    with db.read() as s:
        rt = s.get(WorkflowRuntime, case_id)
        assert rt is not None
        return rt.context["entity"]["data"]["additionalInfo"]["directors"]


def test_director_documents(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    for with_ids in (True, False):  # merged by id, or by position when the directors carry no ids
        case_id = _director_case(db, site.project_id, with_ids)
        url = f"/cases/{case_id}/documents/d-2/decision"
        page = client.get(f"/cases/{case_id}?activeTab=directors").text
        assert "Director - Dirk Tor" in page and 'id="doc-d-2"' in page and 'value="director"' not in page
        assert (
            client.post(
                url, data={"csrf_token": token, "decision": "approve", "contextUpdateMethod": "director"}
            ).status_code
            == 403
        )  # not the assignee
        client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": "me"})
        page = client.get(f"/cases/{case_id}?activeTab=directors").text
        assert page.count('name="contextUpdateMethod" value="director"') >= 3
        missing = {"csrf_token": token, "decision": "revision", "contextUpdateMethod": "director", "tab": "directors"}
        client.post(url, data=missing)  # a revision needs a reason: refused, nothing written
        assert all("decision" not in d for d in _directors(db, case_id)[1]["additionalInfo"]["documents"])
        done = client.post(url, data={**missing, "reason": "Too old", "comment": "2024 please"}, follow_redirects=False)
        assert done.headers["location"] == f"/cases/{case_id}?activeTab=directors#doc-d-2"
        directors = _directors(db, case_id)
        assert [d["firstName"] for d in directors] == ["Ann", "Dirk"]
        assert "decision" not in directors[0]["additionalInfo"]["documents"][0]
        first, second = directors[1]["additionalInfo"]["documents"]
        assert "decision" not in first and second["decision"]["status"] == "revision"
        assert second["decision"]["revisionReason"] == "Too old" and second["pages"] == []
        page = client.get(f"/cases/{case_id}?activeTab=directors").text
        assert 'data-decision="revision"' in page and "Asked to re-upload the document" in page  # card, trail
        undo = {"csrf_token": token, "decision": "", "contextUpdateMethod": "director"}
        client.post(url, data=undo)
        assert _directors(db, case_id)[1]["additionalInfo"]["documents"][1]["decision"]["status"] is None
        assert client.post(f"/cases/{case_id}/documents/nope/decision", data=undo).status_code == 404
        plain = {"csrf_token": token, "decision": "approve"}  # a director document is not a case document
        assert client.post(url, data=plain).status_code == 404
