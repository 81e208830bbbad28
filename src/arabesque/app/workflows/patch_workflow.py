"""Use case: update a runtime's tags, assignee or context (`PATCH /external/workflows/{id}`).

No engine transition: `context` is merged into the stored context (objects recursively, arrays and
scalars replaced); the change is audited like any other. Document pages given by `uri` in `context` are fetched
or decoded before the transaction and recorded in it (`app/files/remote_pages.py`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from arabesque.app.access.principal import Principal
from arabesque.app.definitions.lookup import definition_for
from arabesque.app.errors import InvalidInput
from arabesque.app.files.remote_pages import PageSources, committing, load_remote_pages
from arabesque.app.limits import check_context_size
from arabesque.app.workflows._merge import merge_objects
from arabesque.app.workflows.context_diff import context_diff
from arabesque.app.workflows.runtime import lock_runtime, runtime_json
from arabesque.store import Database, UserProject, utcnow

__all__ = ["patch_workflow"]


def patch_workflow(
    db: Database, who: Principal, runtime_id: str, changes: dict[str, Any], pages: PageSources | None = None
) -> dict[str, Any]:
    """`pages`: where pages given by `uri` may come from; without it they are kept as they are."""
    remote = None
    if pages is not None and isinstance(changes.get("context"), dict):
        remote = load_remote_pages(db, who.project_id, changes["context"], pages)
        changes = {**changes, "context": remote.apply(changes["context"])}

    def attempt() -> dict[str, Any]:
        with db.transaction() as tx:
            rt = lock_runtime(tx, who.project_id, runtime_id)
            details: dict[str, Any] = {}
            if "tags" in changes:
                rt.tags = list(changes["tags"] or [])
                details["tags"] = rt.tags
            if "assigneeId" in changes:
                assignee = changes["assigneeId"]
                if assignee is not None:
                    member = tx.conn.execute(
                        select(UserProject.user_id).where(
                            UserProject.user_id == assignee,
                            UserProject.project_id == who.project_id,
                            UserProject.status == "active",
                        )
                    ).first()
                    if member is None:
                        raise InvalidInput(
                            "Validation error",
                            [{"path": "assigneeId", "message": "no such user in this project"}],
                        )
                rt.assignee_id = assignee
                rt.assigned_at = utcnow() if assignee else None
                details["assigneeId"] = assignee
            if changes.get("context") is not None:
                merged = merge_objects(rt.context, changes["context"])
                check_context_size(merged)
                # What changed, with the decisions of documents the PATCH removed or replaced: the trail keeps them.
                diff = context_diff(rt.context, merged)
                rt.context = merged
                details["context"] = changes["context"]
                if diff:
                    details["changes"] = diff
                if remote is not None:
                    remote.record(tx.conn, who.project_id, who.actor)
            rt.updated_at = utcnow()
            tx.runtimes.audit(rt, "patch", who.actor, None, rt.state, rt.state, details)
            out = runtime_json(rt, definition_for(tx.conn, rt))
            tx.commit()
            return out

    return committing(remote, attempt)
