"""Which events are reviewer buttons, their labels, and what blocks an approval (pure)."""

from __future__ import annotations

import json
from pathlib import Path

from arabesque.app.cases.reviewer_actions import (
    approval_blockers,
    blocker_message,
    decision_kind,
    event_label,
    humanize,
    reviewer_events,
    state_label,
)
from arabesque.app.workflows.context_diff import MAX_CHANGES, context_diff
from arabesque.engine import load_definition

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "definitions"


def _example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def test_only_decision_like_events_are_reviewer_actions() -> None:
    ubo_parent = load_definition(_example("kyb_with_ubos_demo"))
    # KYC_RESPONDED (a child callback), RESUBMITTED (the client's), START, CONTINUE, built-ins: never buttons
    assert reviewer_events(ubo_parent) == {"approve", "reject", "revision"}


def test_config_lists_more_reviewer_events_and_labels() -> None:
    record = _example("kyb_with_ubos_demo")
    record["config"]["reviewerEvents"] = ["CONTINUE", "KYC_RESPONDED"]
    record["config"]["labels"] = {"approve": "Accept the business", "manual_review": "Waiting for Compliance"}
    defn = load_definition(record)
    assert reviewer_events(defn) == {"approve", "reject", "revision", "CONTINUE"}  # a child callback stays out
    assert event_label(defn, "approve") == "Accept the business"
    assert event_label(defn, "revision") == "Ask for re-uploads"
    assert event_label(defn, "CONTINUE") == "Continue"
    assert state_label(defn, "manual_review") == "Waiting for Compliance"
    assert state_label(defn, "revision") == "Revisions"  # from the state's tag
    assert state_label(defn, "idle") == "Idle"  # no tag: the name made readable


def test_names_are_humanised_and_kinds_recognised() -> None:
    assert humanize("KYC_RESPONDED") == "Kyc responded"
    assert humanize("manualReview") == "Manual review"
    assert [decision_kind(e) for e in ("APPROVED", "request_revision", "decline", "RESUBMITTED")] == [
        "approve",
        "revision",
        "reject",
        "other",
    ]


def test_undecided_and_reupload_documents_block_approval_and_are_named() -> None:
    context = {
        "documents": [
            {"id": "a", "category": "identification", "type": "passport", "decision": {"status": "approved"}},
            {"id": "b", "category": "proof_of_address", "type": "utility_bill", "decision": {"status": "revision"}},
        ],
        "entity": {
            "data": {
                "additionalInfo": {
                    "directors": [
                        {
                            "firstName": "Dee",
                            "lastName": "Rector",
                            "additionalInfo": {"documents": [{"type": "id_card"}]},
                        }
                    ]
                }
            }
        },
    }
    child = ("Una Bo", {"documents": [{"type": "selfie", "decision": {"status": "rejected"}}, {"type": "passport"}]})
    blockers = approval_blockers(context, [child])
    assert blockers == [
        "Utility bill (Proof of address): awaiting re-upload",
        "Dee Rector's Id card: undecided",
        "Una Bo's Passport: undecided",
    ]
    message = blocker_message([*blockers, "x", "y"])
    assert message.startswith("Decide every document before approving (Utility bill") and "and 2 more" in message
    assert approval_blockers({"documents": [{"decision": {"status": "approved"}}]}, []) == []


def test_context_diff_keeps_removed_and_replaced_decisions_and_is_bounded() -> None:
    before = {
        "documents": [
            {"id": "p", "type": "passport", "decision": {"status": "approved", "comment": None}},
            {"id": "u", "type": "utility_bill"},
        ],
        "entity": {"data": {"companyName": "Old", "country": "GB"}},
    }
    after = {
        "documents": [{"id": "u", "type": "utility_bill", "pages": [1]}, {"id": "n", "type": "bank_statement"}],
        "entity": {"data": {"companyName": "New", "country": "GB"}},
    }
    diff = context_diff(before, after)
    assert diff["documents"]["removed"] == [{"id": "p", "type": "passport", "decision": {"status": "approved"}}]
    assert diff["documents"]["added"] == [{"id": "n", "type": "bank_statement"}]
    assert [r["id"] for r in diff["documents"]["replaced"]] == ["u"]
    assert diff["fields"] == [{"path": "entity.data.companyName", "from": "Old", "to": "New"}]
    many = context_diff({}, {f"f{i}": "x" * 1000 for i in range(500)})
    assert len(many["fields"]) == MAX_CHANGES and all(len(f["to"]) <= 200 for f in many["fields"])
