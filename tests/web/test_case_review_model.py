"""The KYB review view model (web/case_review.py) on plain case data, no database: the overview's risk, checks
and owners' outcomes, and the UBO rows' matching of child cases and screening hits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from arabesque.app.cases.get_case import Case, CaseEffect, CasePermissions, ChildCase
from arabesque.engine import load_definition
from arabesque.web.case_review import case_overview, kyc_entries, ubo_rows

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "definitions"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _record() -> dict[str, Any]:
    record = json.loads((EXAMPLES / "kyb_with_ubos_demo.json").read_text())
    record["extensions"]["apiPlugins"] = [{"name": "companySanctions", "url": "https://vendor.example/s"}]
    record["extensions"]["commonPlugins"].append({"pluginKind": "riskRules", "name": "risk", "stateNames": [],
                                                  "rules": []})
    return record


def _child(cid: str, entity_id: str, name: str, state: str, tags: list[str], **extra: Any) -> ChildCase:
    return ChildCase(id=cid, name=name, workflow="kyc_ubo_child", state=state, status="completed" if state in (
        "approved", "rejected") else "active", tags=tags, documents=[], next_events=[],
        entity={"type": "individual", "id": entity_id}, **extra)


def _case(context: dict[str, Any], children: list[ChildCase], effects: list[CaseEffect] | None = None) -> Case:
    return Case(
        id="case-1", kind="business", entity_name="Owners Ltd", context=context, state="manual_review",
        status="active", tags=["manual_review"], created_at=NOW, updated_at=NOW, created_by="api-key:x",
        assignee_id=None, assigned_at=None, due_at=None, definition_id="d", definition_name="kyb_with_ubos_demo",
        display_name="KYB", definition_version=1, documents_schema=None, definition=load_definition(_record()),
        members=[], events=[], effects=effects or [], children=children, parent_id=None, next_events=[],
        path=[], reuploads=[], approve_blocked="", api_keys={}, permissions=CasePermissions(False, False, False, False),
        version="1",
    )


def test_overview_risk_checks_and_owner_outcomes() -> None:
    risk = {"riskScore": 40, "riskIndicatorsByDomain": {"company": [
        {"name": "Young company", "riskLevel": "medium", "domain": "company"},
        {"name": "Sanctioned owner", "riskLevel": "critical", "domain": "ubo"}]}}
    context = {"pluginsOutput": {"risk": risk, "companySanctions": {"error": "vendor down"}, "extra": {"ok": 1}}}
    children = [_child("c1", "u1", "Una Bo", "approved", ["approved"]),
                _child("c2", "u2", "Otto Wner", "rejected", ["rejected"])]
    pending = CaseEffect(at=NOW, effect_type="http", plugin="companySanctions", status="pending", attempts=1,
                         last_error=None, url="")
    view = case_overview(_case(context, children, [pending]))
    assert view["risk"]["score"] == 40 and view["risk"]["level"] == "critical" and view["risk"]["plugin"] == "risk"
    checks = {c["name"]: c["status"] for c in view["checks"]}
    # the call being retried wins over the error stored by the last attempt; iterative and child plugins are not
    # checks; an output no plugin declares is still shown
    assert checks == {"companySanctions": "IN_PROGRESS", "risk": "SUCCESS", "extra": "SUCCESS"}
    assert view["children"]["headline"] == "1 of 2 owners rejected"
    assert view["children"]["detail"] == "1 approved, 1 rejected"
    none = case_overview(_case({}, [_child("c1", "u1", "Una Bo", "kyc_review", ["manual_review"])]))
    assert none["risk"] is None and none["children"]["headline"] == "0 of 1 owner approved"
    assert {c["name"]: c["status"] for c in none["checks"]} == {"companySanctions": "NOT_RUN", "risk": "NOT_RUN"}


def test_ubo_rows_match_children_by_id_then_name_and_count_hits() -> None:
    children = [
        _child("c1", "u1", "Una Bo", "approved", ["approved"], plugins_output={
            "screening": {"data": {"vendor": "dowjones", "matches": [{"n": 1}, {"n": 2}, {"n": 3}]}}}),
        _child("c2", "other-id", "Otto Wner", "kyc_review", ["manual_review"], aml={"hits": []}),
    ]
    ubos = [{"id": "u1", "firstName": "Una", "lastName": "Bo", "ownershipPercentage": 51},
            {"id": "u9", "firstName": "Otto", "lastName": "Wner"},
            {"firstName": "Nina", "lastName": "New", "aml": {"hits": [{"n": 1}], "vendor": "own"}},
            "not an object"]
    rows = ubo_rows(_case({}, children), ubos)
    assert [(r["name"], r["child"]["id"] if r["child"] else None) for r in rows] == [
        ("Una Bo", "c1"), ("Otto Wner", "c2"), ("Nina New", None)]
    assert rows[0]["screening"] == {"hits": 3, "vendors": ["dowjones"]} and rows[0]["child"]["outcome"] == "approved"
    assert rows[1]["screening"] == {"hits": 0, "vendors": ["Aml"]} and rows[1]["child"]["outcome"] == "pending"
    assert rows[2]["screening"] == {"hits": 1, "vendors": ["own"]} and rows[0]["ownership"] == "51"


def test_kyc_entries_for_individual_children() -> None:
    session = {"vendor": "veriff", "result": {"decision": {"status": "approved", "riskLabels": ["a", "b"]}}}
    docs = [{"type": "passport", "pages": [{"ballerineFileId": "f1", "type": "image/png"},
                                           {"ballerineFileId": "f2", "type": "application/pdf"}]}]
    children = [_child("c1", "u1", "Una Bo", "approved", ["approved"], plugins_output={"kyc_session": session}),
                _child("c2", "u2", "Otto Wner", "kyc_review", [])]
    object.__setattr__(children[0], "documents", docs)
    entries = kyc_entries(_case({}, children), [])
    assert [(e["name"], e["vendor"], e["decision"], e["riskLabels"]) for e in entries] == [
        ("Una Bo", "veriff", "approved", ["a", "b"])]
    assert entries[0]["images"] == [{"fileId": "f1", "title": "passport"}]
