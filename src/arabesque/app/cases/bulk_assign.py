"""Use case: assign several cases at once (the case list's checkboxes), in one transaction.

Same rules as `assign_case`: the reviewer role, an active member of the project as the assignee. Every id must
be a case of the member's project (else 404 and nothing is written); finished cases are skipped, not refused,
since a list can be a few seconds old. At most `MAX_BULK` ids (a page of the list).
"""

from __future__ import annotations

from dataclasses import dataclass

from arabesque.app.access.members import Member, require_role
from arabesque.app.cases.case_actions import assignee_email
from arabesque.app.cases.list_cases import PAGE_SIZE
from arabesque.app.errors import InvalidInput
from arabesque.app.retrying import retrying
from arabesque.app.workflows.runtime import lock_runtime
from arabesque.store import Database, utcnow

__all__ = ["MAX_BULK", "BulkAssigned", "assign_cases"]

MAX_BULK = PAGE_SIZE


@dataclass(frozen=True)
class BulkAssigned:
    assigned: int  # changed
    unchanged: int  # already so assigned
    skipped: int  # finished cases


def assign_cases(db: Database, member: Member, runtime_ids: list[str], assignee_id: str | None) -> BulkAssigned:
    require_role(member, "reviewer")
    ids = sorted(dict.fromkeys(i for i in runtime_ids if i))  # one lock order for every caller: no deadlock
    if not ids:
        raise InvalidInput("Validation error", [{"path": "ids", "message": "Select at least one case."}])
    if len(ids) > MAX_BULK:
        raise InvalidInput("Validation error", [{"path": "ids", "message": f"At most {MAX_BULK} cases at once."}])

    def attempt() -> BulkAssigned:
        assigned = unchanged = skipped = 0
        with db.transaction() as tx:
            email = assignee_email(tx, member.project_id, assignee_id, "assignee")
            for runtime_id in ids:
                rt = lock_runtime(tx, member.project_id, runtime_id)
                if rt.status != "active":
                    skipped += 1
                    continue
                if rt.assignee_id == assignee_id:
                    unchanged += 1
                    continue
                previous = rt.assignee_id
                rt.assignee_id = assignee_id
                rt.assigned_at = utcnow() if assignee_id else None
                rt.updated_at = utcnow()
                details = {"assigneeId": assignee_id, "assignee": email, "previousAssigneeId": previous, "bulk": True}
                tx.runtimes.audit(rt, "assign", member.principal.actor, None, rt.state, rt.state, details)
                assigned += 1
            tx.commit()
        return BulkAssigned(assigned, unchanged, skipped)

    return retrying(attempt)
