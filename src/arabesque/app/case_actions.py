"""Use cases a reviewer performs on a case: assign, send a case event, decide a document, add a note.

Rules, checked on the locked runtime inside each transaction:
- viewers may do none of these (403);
- assigning needs the reviewer role; a finished case cannot be reassigned (409);
- events and document decisions need the assignee (or the parent case's assignee) or an admin (403);
- notes need the reviewer role; they are audit records (`kind="note"`), so they are in the timeline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arabesque.app._runtime import add_audit, lock_runtime, retrying
from arabesque.app.decide_document import decide_document
from arabesque.app.errors import Conflict, Forbidden, InvalidInput
from arabesque.app.members import Member, require_role
from arabesque.app.send_event import send_event
from arabesque.store import Database, User, UserProject, WorkflowRuntime, utcnow

__all__ = ["MAX_NOTE", "add_note", "assign_case", "authorizer", "case_event", "document_decision"]

MAX_NOTE = 5000


def authorizer(member: Member) -> Any:
    """The check `send_event`/`decide_document` run on the locked runtime for this member."""

    def check(s: Session, rt: WorkflowRuntime) -> None:
        require_role(member, "reviewer")
        if member.is_admin or rt.assignee_id == member.user_id:
            return
        if rt.parent_runtime_id:
            parent = s.get(WorkflowRuntime, rt.parent_runtime_id)
            if parent is not None and parent.assignee_id == member.user_id:
                return
        raise Forbidden("Only the case's assignee or an admin may act on it; assign it to yourself first")

    return check


def case_event(db: Database, member: Member, runtime_id: str, event: str, reason: str = "") -> dict[str, Any]:
    """Send one of the case's allowed events (approve, reject, revision, ...), with an optional reason."""
    payload = {"reason": reason.strip()} if reason.strip() else None
    return send_event(db, member.principal, runtime_id, event, payload, authorize=authorizer(member))


def document_decision(
    db: Database,
    member: Member,
    runtime_id: str,
    document_id: str,
    decision: str | None,
    reason: str = "",
    comment: str = "",
) -> dict[str, Any]:
    """Approve, reject (reason), ask a revision (reason, comment) or clear (None) one document's decision."""
    if decision in ("reject", "revision") and not reason.strip():
        raise InvalidInput("Validation error", [{"path": "reason", "message": "A reason is required."}])
    return decide_document(
        db,
        member.principal,
        runtime_id,
        document_id,
        decision,
        reason.strip() or None,
        comment.strip() or None,
        authorize=authorizer(member),
    )


def assign_case(db: Database, member: Member, runtime_id: str, assignee_id: str | None) -> None:
    """Assign the case to a member of the project, or unassign it (None)."""
    require_role(member, "reviewer")

    def tx() -> None:
        with db.write() as s:
            rt = lock_runtime(s, member.project_id, runtime_id)
            if rt.status != "active":
                raise Conflict(f"Workflow {runtime_id} is {rt.status}; it can no longer be assigned")
            email = None
            if assignee_id is not None:
                row = s.execute(
                    select(User.email)
                    .join(UserProject, UserProject.user_id == User.id)
                    .where(
                        User.id == assignee_id,
                        UserProject.project_id == member.project_id,
                        User.status == "active",
                    )
                ).first()
                if row is None:
                    raise InvalidInput("Validation error", [{"path": "assigneeId", "message": "No such user here."}])
                email = row[0]
            if rt.assignee_id == assignee_id:
                return
            previous = rt.assignee_id
            rt.assignee_id = assignee_id
            rt.assigned_at = utcnow() if assignee_id else None
            rt.updated_at = utcnow()
            details = {"assigneeId": assignee_id, "assignee": email, "previousAssigneeId": previous}
            add_audit(s, rt, "assign", member.principal.actor, None, rt.state, rt.state, details)

    retrying(tx)


def add_note(db: Database, member: Member, runtime_id: str, text: str) -> None:
    require_role(member, "reviewer")
    text = text.strip()
    if not text:
        raise InvalidInput("Validation error", [{"path": "text", "message": "Write something first."}])
    if len(text) > MAX_NOTE:
        raise InvalidInput("Validation error", [{"path": "text", "message": f"At most {MAX_NOTE} characters."}])

    def tx() -> None:
        with db.write() as s:
            rt = lock_runtime(s, member.project_id, runtime_id)
            rt.updated_at = utcnow()
            add_audit(s, rt, "note", member.principal.actor, None, rt.state, rt.state, {"text": text})

    retrying(tx)
