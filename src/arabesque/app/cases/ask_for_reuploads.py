"""Use case: "Ask for all re-uploads (N)": send `revision` to the case and to each of its child workflows
that has a document marked "re-upload needed" and allows the event (Ballerine's case action, §5.3).

The same rules as any case action: only the case's assignee or an admin, checked by `case_event` on each
locked runtime (a child workflow is acted on through its parent's assignee).
"""

from __future__ import annotations

from arabesque.app.access.members import Member
from arabesque.app.cases.case_actions import case_event
from arabesque.app.cases.get_case import get_case
from arabesque.app.errors import Forbidden, InvalidInput
from arabesque.store import Database

__all__ = ["ask_for_all_reuploads"]


def ask_for_all_reuploads(db: Database, member: Member, runtime_id: str) -> int:
    """Returns how many workflows were sent `revision`."""
    case = get_case(db, member, runtime_id)
    if not case.permissions.act:
        raise Forbidden("Only the case's assignee or an admin may act on it; assign it to yourself first")
    targets = case.reuploads
    if not targets:
        raise InvalidInput(
            "Nothing to ask for", [{"path": "documents", "message": "No document is marked for re-upload."}]
        )
    for target in targets:
        case_event(db, member, target["id"], target["event"])
    return len(targets)
