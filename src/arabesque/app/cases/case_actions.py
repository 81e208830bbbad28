"""Use cases a reviewer performs on a case: assign, send a case event, decide a document, add a note.

Rules, checked on the locked runtime inside each transaction:
- viewers may do none of these (403);
- assigning needs the reviewer role; a finished case cannot be reassigned (409);
- events and document decisions need the assignee (or the parent case's assignee) or an admin (403);
- notes need the reviewer role; they are audit records (`kind="note"`), so they are in the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from arabesque.app.access.members import Member, require_role
from arabesque.app.definitions.lookup import definition_for
from arabesque.app.errors import Conflict, Forbidden, InvalidInput, NotFound
from arabesque.app.retrying import retrying
from arabesque.app.workflows.decide_document import decide_document, decision_record
from arabesque.app.workflows.runtime import env_of, lock_runtime, require_open, snapshot_of
from arabesque.app.workflows.send_event import send_event
from arabesque.app.workflows.steps import apply_step, checked_step
from arabesque.engine import Event
from arabesque.store import Database, Runtime, Transaction, User, UserProject, utcnow

__all__ = [
    "MAX_NOTE",
    "add_note",
    "assign_case",
    "authorizer",
    "case_event",
    "director_document_decision",
    "director_documents",
    "document_decision",
]

MAX_NOTE = 5000


def authorizer(member: Member) -> Callable[[Transaction, Runtime], None]:
    """The check `send_event`/`decide_document` run on the locked runtime for this member."""

    def check(tx: Transaction, rt: Runtime) -> None:
        require_role(member, "reviewer")
        if member.is_admin or rt.assignee_id == member.user_id:
            return
        parent = tx.runtimes.lock_parent(rt)  # held already: a child is locked after its ancestors
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
    _require_reason(decision, reason)
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


def _require_reason(decision: str | None, reason: str) -> None:
    if decision in ("reject", "revision") and not reason.strip():
        raise InvalidInput("Validation error", [{"path": "reason", "message": "A reason is required."}])


def director_documents(directors: Any) -> list[tuple[int, dict[str, Any], list[dict[str, Any]]]]:
    """(index, director, documents) of each director with documents under `additionalInfo.documents`."""
    out = []
    for i, director in enumerate(directors if isinstance(directors, list) else []):
        if not isinstance(director, dict) or not isinstance(director.get("additionalInfo"), dict):
            continue
        docs = [d for d in director["additionalInfo"].get("documents") or [] if isinstance(d, dict)]
        if docs:
            out.append((i, director, docs))
    return out


def director_document_decision(
    db: Database,
    member: Member,
    runtime_id: str,
    document_id: str,
    decision: str | None,
    reason: str = "",
    comment: str = "",
) -> None:
    """Ballerine's `contextUpdateMethod=director` (§5.6.5): decide a document kept under
    `entity.data.additionalInfo.directors[].additionalInfo.documents[]`.

    Written through the engine's DEEP_MERGE_CONTEXT (`arrayMergeOption: by_id`): the director (by id, or by
    position when the directors carry no ids) gets its documents array with the one decision changed (nested
    arrays replace in that merge), and it is audited as a decision like a case document's.
    """
    _require_reason(decision, reason)
    new_decision = decision_record(decision, reason.strip() or None, comment.strip() or None)
    check = authorizer(member)

    def attempt() -> None:
        with db.transaction() as tx:
            rt = lock_runtime(tx, member.project_id, runtime_id)
            check(tx, rt)
            defn = definition_for(tx.conn, rt)
            require_open(rt, defn, "its documents can no longer be decided")
            entity = (rt.context or {}).get("entity")
            data = entity.get("data") if isinstance(entity, dict) else None
            extra = data.get("additionalInfo") if isinstance(data, dict) else None
            directors = extra.get("directors") if isinstance(extra, dict) else None
            matches = [
                (i, d, docs)
                for i, d, docs in director_documents(directors)
                if any(x.get("id") == document_id for x in docs)
            ]
            found = matches[0] if matches else None
            if found is None or not isinstance(directors, list):
                raise NotFound(f"No director document with id [{document_id}] in workflow [{runtime_id}]")
            index, director, docs = found
            updated = [{**x, "decision": new_decision} if x.get("id") == document_id else x for x in docs]
            change: dict[str, Any] = {"additionalInfo": {"documents": updated}}
            if all(isinstance(d, dict) and d.get("id") for d in directors):
                patch = [{"id": director["id"], **change}]
            else:
                patch = [{} for _ in range(index)] + [change]
            new_context = {"entity": {"data": {"additionalInfo": {"directors": patch}}}}
            payload = {"newContext": new_context, "arrayMergeOption": "by_id"}
            result = checked_step(defn, snapshot_of(rt), Event("DEEP_MERGE_CONTEXT", payload), env_of(rt))
            details = {"documentId": document_id, "director": index, "decision": new_decision}
            apply_step(tx, rt, defn, result, member.principal.actor, "DEEP_MERGE_CONTEXT", details, kind="decision")
            tx.commit()

    retrying(attempt)


def assign_case(db: Database, member: Member, runtime_id: str, assignee_id: str | None) -> None:
    """Assign the case to a member of the project, or unassign it (None)."""
    require_role(member, "reviewer")

    def attempt() -> None:
        with db.transaction() as tx:
            rt = lock_runtime(tx, member.project_id, runtime_id)
            if rt.status != "active":
                raise Conflict(f"Workflow {runtime_id} is {rt.status}; it can no longer be assigned")
            email = None
            if assignee_id is not None:
                row = tx.conn.execute(
                    select(User.email)
                    .join(UserProject, UserProject.user_id == User.id)
                    .where(
                        User.id == assignee_id,
                        UserProject.project_id == member.project_id,
                        UserProject.status == "active",
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
            tx.runtimes.audit(rt, "assign", member.principal.actor, None, rt.state, rt.state, details)
            tx.commit()

    retrying(attempt)


def add_note(db: Database, member: Member, runtime_id: str, text: str) -> None:
    require_role(member, "reviewer")
    text = text.strip()
    if not text:
        raise InvalidInput("Validation error", [{"path": "text", "message": "Write something first."}])
    if len(text) > MAX_NOTE:
        raise InvalidInput("Validation error", [{"path": "text", "message": f"At most {MAX_NOTE} characters."}])

    def attempt() -> None:
        with db.transaction() as tx:
            rt = lock_runtime(tx, member.project_id, runtime_id)
            rt.updated_at = utcnow()
            tx.runtimes.audit(rt, "note", member.principal.actor, None, rt.state, rt.state, {"text": text})
            tx.commit()

    retrying(attempt)
