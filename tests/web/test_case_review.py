"""The KYB review views (SQLite and PostgreSQL through TestClient, plus the pure view model): the case
overview (risk, checks, "1 of 2 owners rejected"), the UBO rows with each owner's child-case decision and
screening hits, Company information, Associated companies, KYC, and plugin outputs as bounded nested tables."""

from __future__ import annotations

import re

from sqlalchemy import update
from starlette.testclient import TestClient
from web_helpers import seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.app.workflows.send_event import send_event
from arabesque.store import Database, WorkflowRuntime
from arabesque.web.case_review import MAX_DEPTH, MAX_NODES, MAX_ROWS, nested

UBOS = [
    {"id": "u-1", "firstName": "Una", "lastName": "Bo", "email": "una@example.com", "nationality": "GB",
     "ownershipPercentage": 60},
    {"id": "u-2", "firstName": "Otto", "lastName": "Wner", "email": "otto@example.com", "ownershipPercentage": 40},
]


def _set_context(db: Database, rid: str, **keys: object) -> None:
    with db.write() as s:
        rt = s.get(WorkflowRuntime, rid)
        assert rt is not None
        s.execute(update(WorkflowRuntime).where(WorkflowRuntime.id == rid).values(context={**rt.context, **keys}))


def seed_kyb_review(db: Database, project_id: str) -> dict[str, str]:
    """A KYB case with two UBOs (child KYC cases: Una approved with no hits, Otto rejected with 2 hits), a risk
    evaluation, registry data and sanctions results, and an associated company's child case."""
    who = Principal(project_id, "api-key:test")
    data = {"companyName": "Owners Ltd", "registrationNumber": "HRB-1", "country": "GB",
            "additionalInfo": {"headquarters": {"street": "1 Main St", "city": "London", "country": "GB"},
                               "associatedCompanies": [{"companyName": "Sister GmbH", "country": "DE"}]}}
    parent = run_workflow(db, who, {"workflowId": "till_basic_kyb_demo", "context": {
        "entity": {"type": "business", "id": "kyb-owners", "data": data}, "documents": []}})["workflowRuntimeId"]
    ids = {"parent": parent}
    two_hits = [{"name": "O. Wner"}, {"name": "Otto W"}]
    for ubo, verdict, hits in ((UBOS[0], "approve", []), (UBOS[1], "reject", two_hits)):
        names = {k: ubo[k] for k in ("firstName", "lastName", "email")}
        person = {"type": "individual", "id": ubo["id"], "data": names}
        child = run_workflow(db, who, {"workflowId": "kyc_ubo_child", "context": {"entity": person, "documents": []}})
        cid = child["workflowRuntimeId"]
        with db.write() as s:
            s.execute(update(WorkflowRuntime).where(WorkflowRuntime.id == cid).values(parent_runtime_id=parent))
        _set_context(db, cid, pluginsOutput={
            "kyc_session": {"vendor": "veriff", "result": {"decision": {"status": verdict + "d"
                                                                         if verdict == "approve" else "declined",
                                                                         "riskLabels": ["document_expired"]}}},
            "amlScreening": {"vendor": "dowjones", "hits": hits}})
        send_event(db, who, cid, "START")
        send_event(db, who, cid, verdict)
        ids[ubo["id"]] = cid
    sister = run_workflow(db, who, {"workflowId": "till_basic_kyb_demo", "context": {
        "entity": {"type": "business", "id": "kyb-sister", "data": {"companyName": "Sister GmbH", "country": "DE",
                                                                    "registrationNumber": "S-1"}}, "documents": []}})
    with db.write() as s:
        s.execute(update(WorkflowRuntime).where(WorkflowRuntime.id == sister["workflowRuntimeId"])
                  .values(parent_runtime_id=parent))
    ids["sister"] = sister["workflowRuntimeId"]
    with db.read() as s:
        rt = s.get(WorkflowRuntime, parent)
        assert rt is not None
        entity = rt.context["entity"]
    entity["data"]["additionalInfo"]["ubos"] = UBOS
    _set_context(db, parent, entity=entity, pluginsOutput={
        "riskEvaluation": {"riskScore": 75, "success": True, "riskIndicatorsByDomain": {
            "company": [{"name": "High-risk industry", "riskLevel": "high", "domain": "company"}],
            "ubo": [{"name": "PEP owner", "riskLevel": "medium", "domain": "ubo"}]}},
        "open_corporates": {"name": "OWNERS LTD", "officers": [{"name": "Una Bo", "position": "director"},
                                                                {"name": "Otto Wner", "position": "secretary"}],
                            "incorporation": {"date": "2001-02-03", "jurisdiction": {"code": "gb"}}},
        "companySanctions": {"status": "SUCCESS", "data": [{"primaryName": "Owners Ltd", "matchScore": 0.87}]},
        "broken": {"error": "timeout"}})
    return ids


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_kyb_review_tabs(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    ids = seed_kyb_review(db, site.project_id)
    sign_in(client, site.reviewer)
    summary = client.get(f"/cases/{ids['parent']}").text
    overview = _text(summary.split('id="overview"')[1].split("</section>")[0])
    assert "75" in overview and "High" in overview and "High-risk industry (high)" in overview
    assert "1 of 3 owners rejected" in overview and "1 approved, 1 rejected, 1 pending" in overview
    assert 'data-check="broken"' in summary and "Broken: error" in overview and "Open corporates: success" in overview

    ubos = client.get(f"/cases/{ids['parent']}?activeTab=ubos").text
    rows = {name: _text(row) for name, row in re.findall(r'<tr data-ubo="([^"]+)">(.*?)</tr>', ubos, re.S)}
    assert set(rows) == {"Una Bo", "Otto Wner"}
    assert "Approved" in rows["Una Bo"] and "No hits" in rows["Una Bo"] and "60 %" in rows["Una Bo"]
    assert "Rejected" in rows["Otto Wner"] and "2 hits" in rows["Otto Wner"] and "dowjones" in rows["Otto Wner"]
    assert f'href="/cases/{ids["u-2"]}"' in ubos

    company = client.get(f"/cases/{ids['parent']}?activeTab=companyInformation").text
    section = company.split('id="company-information"')[1].split('id="diagram"')[0]
    assert "Headquarters address" in section and "London" in section
    assert '<table class="nested grid"><thead><tr><th>Name</th><th>Position</th>' in section  # officers: a table
    assert "0.87" in section and "matchScore" not in section and "Match Score" in section  # not flattened JSON
    associated = client.get(f"/cases/{ids['parent']}?activeTab=associatedCompanies").text
    assert f'href="/cases/{ids["sister"]}"' in associated and "Sister GmbH" in associated
    kyc = client.get(f"/cases/{ids['parent']}?activeTab=kyc").text
    entries = re.findall(r'data-kyc="([^"]+)"', kyc)
    assert set(entries) == {ids["u-1"], ids["u-2"]} and "veriff" in kyc and "declined" in kyc
    plugins = client.get(f"/cases/{ids['parent']}?activeTab=pluginsOutput").text
    assert 'data-plugin="open_corporates"' in plugins and "OWNERS LTD" in plugins and "{&#34;" not in plugins

    other = seed_site(db, "globex", prefix="g-")
    client.cookies.clear()
    sign_in(client, other.reviewer)
    assert client.get(f"/cases/{ids['parent']}?activeTab=ubos").status_code == 404


def test_nested_is_bounded() -> None:
    deep: dict = {"v": 1}
    for _ in range(50):
        deep = {"d": deep}
    node = nested(deep)
    depth = 0
    while node["kind"] == "dict":
        node = node["rows"][0][1]
        depth += 1
    assert depth == MAX_DEPTH and node["kind"] == "more"
    wide = nested([{"a": i, "b": [i, i]} for i in range(1000)])
    assert wide["kind"] == "table" and len(wide["rows"]) == MAX_ROWS and wide["hidden"] == 1000 - MAX_ROWS
    assert wide["columns"] == ["A", "B"] and wide["rows"][3][1] == {
        "kind": "list", "items": [{"kind": "scalar", "text": "3"}] * 2, "hidden": 0}

    def count(n: dict) -> int:
        kids = [v for _, v in n.get("rows", [])] if n["kind"] == "dict" else (
            [c for r in n.get("rows", []) for c in r] if n["kind"] == "table" else n.get("items", []))
        return 1 + sum(count(k) for k in kids)

    huge = nested({f"k{i}": [{f"c{j}": {"x": j} for j in range(12)} for _ in range(50)] for i in range(50)})
    assert count(huge) <= MAX_NODES + 12 * MAX_DEPTH  # a row of a table is finished once begun
    assert nested("x" * 10_000)["text"].endswith("…") and nested(True)["text"] == "Yes"
