"""Use case: decide one document of a runtime (`PATCH /external/workflows/{id}/decision/{documentId}`).

The decision is written through the engine's DEEP_MERGE_CONTEXT (by document id), so the current state's
eventless transitions see it (e.g. "every document decided -> approved"), and it is audited as a decision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arabesque.app.access.principal import Principal
from arabesque.app.definitions.lookup import definition_for
from arabesque.app.errors import NotFound
from arabesque.app.retrying import retrying
from arabesque.app.workflows.context_diff import document_ref
from arabesque.app.workflows.runtime import env_of, lock_runtime, require_open, runtime_json, snapshot_of
from arabesque.app.workflows.steps import apply_step, checked_step
from arabesque.engine import Event
from arabesque.store import Database, Runtime, Transaction

__all__ = ["DECISIONS", "decide_document", "decision_record"]

DECISIONS = {"approve": "approved", "reject": "rejected", "revision": "revision"}


def decision_record(decision: str | None, reason: str | None, comment: str | None) -> dict[str, Any]:
    """A document's `decision` object; `decision` None clears it (undo)."""
    status = DECISIONS[decision] if decision is not None else None
    return {
        "status": status,
        "rejectionReason": reason if status == "rejected" else None,
        "revisionReason": reason if status == "revision" else None,
        "comment": comment,
    }


def decide_document(
    db: Database,
    who: Principal,
    runtime_id: str,
    document_id: str,
    decision: str | None,
    reason: str | None = None,
    comment: str | None = None,
    authorize: Callable[[Transaction, Runtime], None] | None = None,
) -> dict[str, Any]:
    """`decision` None clears the document's decision (undo); `authorize` may refuse the locked runtime."""
    new_decision = decision_record(decision, reason, comment)

    def attempt() -> dict[str, Any]:
        with db.transaction() as tx:
            rt = lock_runtime(tx, who.project_id, runtime_id)
            if authorize is not None:
                authorize(tx, rt)
            docs = rt.context.get("documents") or []
            found = [d for d in docs if isinstance(d, dict) and d.get("id") == document_id]
            if not found:
                raise NotFound(f"No document with id [{document_id}] in workflow [{runtime_id}]")
            defn = definition_for(tx.conn, rt)
            require_open(rt, defn, "its documents can no longer be decided")
            payload = {
                "newContext": {"documents": [{"id": document_id, "decision": new_decision}]},
                "arrayMergeOption": "by_id",
            }
            result = checked_step(defn, snapshot_of(rt), Event("DEEP_MERGE_CONTEXT", payload), env_of(rt))
            apply_step(
                tx,
                rt,
                defn,
                result,
                who.actor,
                "DEEP_MERGE_CONTEXT",
                {"documentId": document_id, "decision": new_decision, "document": document_ref(found[0])},
                kind="decision",
            )
            out = runtime_json(rt, defn)
            tx.commit()
            return out

    return retrying(attempt)
