"""Use case: "Ask for all re-uploads (N)": the case's revision-like event, which also goes to each open child
case with a document marked "re-upload needed" (Ballerine's case action, §5.3). One flow with the reviewer's
"revision" action (`case_actions.case_event`): the same rules, the same single transaction.
"""

from __future__ import annotations

from arabesque.app.access.members import Member
from arabesque.app.cases.case_actions import CaseEventResult, case_event
from arabesque.app.cases.get_case import get_case
from arabesque.app.cases.reviewer_actions import decision_kind
from arabesque.app.errors import Forbidden, InvalidInput
from arabesque.store import Database

__all__ = ["ask_for_all_reuploads"]


def ask_for_all_reuploads(db: Database, member: Member, runtime_id: str, reason: str = "") -> CaseEventResult:
    case = get_case(db, member, runtime_id)
    if not case.permissions.act:
        raise Forbidden("Only the case's assignee or an admin may act on it; assign it to yourself first")
    if not case.reuploads:
        raise InvalidInput(
            "Nothing to ask for", [{"path": "documents", "message": "No document is marked for re-upload."}]
        )
    events = [e for e in case.next_events if decision_kind(e) == "revision"]
    if not events:
        raise InvalidInput("Nothing to ask for", [{"path": "event", "message": "The case cannot be sent back now."}])
    return case_event(db, member, runtime_id, events[0], reason or "Documents to re-upload")
