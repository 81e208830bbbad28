"""Use cases a reviewer performs on a case: assign, send a case event, decide a document, add a note.

Rules, checked on the locked runtime inside each transaction:
- viewers may do none of these (403);
- assigning needs the reviewer role; a finished case cannot be reassigned (409);
- events and document decisions need the assignee (or the parent case's assignee) or an admin (403);
- only reviewer events may be sent (`reviewer_actions.py`, 403 otherwise); an approval waits until every
  document of the case, its directors and its open child cases is decided (409); reject and revision need a
  reason (400), as do a document's reject and re-upload request;
- notes need the reviewer role; they are audit records (`kind="note"`), so they are in the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from arabesque.app.access.members import Member, require_role
from arabesque.app.cases.reviewer_actions import (
    MAX_REASON,
    approval_blockers,
    blocker_message,
    decision_kind,
    event_label,
    humanize,
    is_reviewer_event,
    state_label,
)
from arabesque.app.definitions.lookup import definition_for
from arabesque.app.errors import Conflict, Forbidden, InvalidInput, NotFound
from arabesque.app.retrying import retrying
from arabesque.app.workflows.context_diff import document_ref
from arabesque.app.workflows.decide_document import decide_document, decision_record
from arabesque.app.workflows.runtime import env_of, lock_runtime, require_open, snapshot_of
from arabesque.app.workflows.steps import apply_step, checked_step
from arabesque.engine import Event, next_events
from arabesque.store import Database, Runtime, Transaction, User, UserProject, WorkflowRuntime, utcnow

__all__ = [
    "MAX_NOTE",
    "CaseEventResult",
    "add_note",
    "assign_case",
    "assignee_email",
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


def case_event(db: Database, member: Member, runtime_id: str, event: str, reason: str = "") -> CaseEventResult:
    """Send one of the case's reviewer events (approve, reject, revision, `config.reviewerEvents`).

    Refused: an event a reviewer may not send (403: child callbacks, client events, built-ins); an approval
    while a document is undecided or awaiting re-upload (409, naming the documents); a reject or a revision
    without a reason (400). A revision also goes to each open child case with a document marked for re-upload
    ("Ask for all re-uploads"), in the same transaction.
    """
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput("Validation error", [{"path": "reason", "message": f"At most {MAX_REASON} characters."}])
    check = authorizer(member)

    def attempt() -> CaseEventResult:
        with db.transaction() as tx:
            rt = lock_runtime(tx, member.project_id, runtime_id)
            check(tx, rt)
            defn = definition_for(tx.conn, rt)
            require_open(rt, defn, "it accepts no events")
            if not is_reviewer_event(defn, event):
                raise Forbidden(f"{humanize(event)!r} is not a reviewer action; it is sent by the client or the system")
            if event not in next_events(defn, snapshot_of(rt)):  # a page older than the case's state
                now = state_label(defn, rt.state)
                message = f"{event_label(defn, event)} is not possible now: the case is in {now}. Reload the page."
                raise InvalidInput(message, [{"path": "event", "message": message}])
            kind = decision_kind(event)
            if kind in ("reject", "revision") and not reason:
                raise InvalidInput("Validation error", [{"path": "reason", "message": "A reason is required."}])
            # approvals look at the open child cases' documents; a revision also goes to them
            children = _open_children(tx, rt) if kind in ("approve", "revision") else []
            if kind == "approve":
                blocked = blocker_message(approval_blockers(rt.context or {}, [(n, c.context) for n, c in children]))
                if blocked:
                    raise Conflict(blocked)
            payload = {"reason": reason} if reason else None
            before = rt.state
            _step(tx, member, rt, defn, event, payload)
            sent = 1
            if kind == "revision":
                for _, child in children:
                    sent += _revise_child(tx, member, child, payload)
            result = CaseEventResult(
                event_label(defn, event), state_label(defn, before), state_label(defn, rt.state), sent
            )
            tx.commit()
            return result

    return retrying(attempt)


@dataclass(frozen=True)
class CaseEventResult:
    """What a reviewer's event did, in the definition's words (for the flash message)."""

    action: str
    from_state: str
    to_state: str
    workflows: int  # the case and the child cases a revision went to


def _step(tx: Transaction, member: Member, rt: Runtime, defn: Any, event: str, payload: dict[str, Any] | None) -> None:
    result = checked_step(defn, snapshot_of(rt), Event(event, payload), env_of(rt))
    apply_step(tx, rt, defn, result, member.principal.actor, event, payload)


def _open_children(tx: Transaction, rt: Runtime) -> list[tuple[str, Runtime]]:
    """(name, runtime) of each active child of `rt`, locked (a child is locked after its ancestors)."""
    ids = tx.conn.execute(
        select(WorkflowRuntime.id)
        .where(
            WorkflowRuntime.parent_runtime_id == rt.id,
            WorkflowRuntime.project_id == rt.project_id,
            WorkflowRuntime.status == "active",
        )
        .order_by(WorkflowRuntime.created_at)
    ).scalars()
    out = []
    for child_id in list(ids):
        child = tx.runtimes.lock(rt.project_id, child_id)
        if child is None:
            continue
        entity = (child.context or {}).get("entity")
        data = entity.get("data") if isinstance(entity, dict) else None
        data = data if isinstance(data, dict) else {}
        name = f"{data.get('firstName') or ''} {data.get('lastName') or ''}".strip() or data.get("companyName")
        out.append((str(name or "Child case"), child))
    return out


def _revise_child(tx: Transaction, member: Member, child: Runtime, payload: dict[str, Any] | None) -> int:
    """Send a child case its revision-like event when it has a document marked for re-upload; 1 if sent."""
    docs = (child.context or {}).get("documents") or []
    marked = any(isinstance(d, dict) and (d.get("decision") or {}).get("status") == "revision" for d in docs)
    if not marked:
        return 0
    defn = definition_for(tx.conn, child)
    if defn.is_final(child.state):
        return 0
    events = [e for e in next_events(defn, snapshot_of(child)) if decision_kind(e) == "revision"]
    if not events or not is_reviewer_event(defn, events[0]):
        return 0
    _step(tx, member, child, defn, events[0], payload)
    return 1


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
    if len(reason.strip()) > MAX_REASON:
        raise InvalidInput("Validation error", [{"path": "reason", "message": f"At most {MAX_REASON} characters."}])


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
            details = {
                "documentId": document_id,
                "director": index,
                "decision": new_decision,
                "document": document_ref(next(x for x in docs if x.get("id") == document_id)),
            }
            apply_step(tx, rt, defn, result, member.principal.actor, "DEEP_MERGE_CONTEXT", details, kind="decision")
            tx.commit()

    retrying(attempt)


def assignee_email(tx: Transaction, project_id: str, assignee_id: str | None, path: str) -> str | None:
    """The e-mail of the assignee, an active member of the project (None to unassign); InvalidInput at `path` for
    anyone else."""
    if assignee_id is None:
        return None
    email = tx.conn.execute(
        select(User.email)
        .join(UserProject, UserProject.user_id == User.id)
        .where(User.id == assignee_id, UserProject.project_id == project_id, UserProject.status == "active")
    ).scalar()
    if email is None:
        raise InvalidInput("Validation error", [{"path": path, "message": "No such user here."}])
    return str(email)


def assign_case(db: Database, member: Member, runtime_id: str, assignee_id: str | None) -> None:
    """Assign the case to a member of the project, or unassign it (None)."""
    require_role(member, "reviewer")

    def attempt() -> None:
        with db.transaction() as tx:
            rt = lock_runtime(tx, member.project_id, runtime_id)
            if rt.status != "active":
                raise Conflict(f"Workflow {runtime_id} is {rt.status}; it can no longer be assigned")
            email = assignee_email(tx, member.project_id, assignee_id, "assigneeId")
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
