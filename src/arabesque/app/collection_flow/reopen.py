"""A revision request re-opens the collection flow's pages (reference §3.9, §3.11): when a runtime enters a state
tagged `revision`, the pages holding a document the reviewer sent back get `isCompleted: false` in
`flowConfig.stepsProgress` (the back office's Collection Flow tracker shows them open again) and `flowConfig.appState`
becomes the first of them (where the flow starts when the link is opened). The reasons stay where the reviewer put
them, in the documents' decisions; `revision.py` reads them for the pages.

Called by `workflows/steps.py` on the step that enters such a state, in its transaction; the change is part of the
step's snapshot (one write, one audit record).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from arabesque.app.collection_flow.revision import revision_request
from arabesque.store import CollectionFlowToken, Runtime, UiDefinition

__all__ = ["REVISION_TAG", "reopened_context"]

REVISION_TAG = "revision"


def _ui_record(conn: Connection, rt: Runtime) -> dict[str, Any] | None:
    """The runtime's flow: the UI definition its tokens show (attach-ui-definition), else its definition version's."""
    attached = conn.execute(
        select(CollectionFlowToken.ui_definition_id)
        .where(CollectionFlowToken.runtime_id == rt.id, CollectionFlowToken.ui_definition_id.is_not(None))
        .order_by(CollectionFlowToken.created_at.desc())
        .limit(1)
    ).scalar()
    condition = UiDefinition.id == attached if attached else UiDefinition.definition_pk == rt.definition_pk
    found: dict[str, Any] | None = conn.execute(
        select(UiDefinition.record).where(condition, UiDefinition.project_id == rt.project_id)
    ).scalar()
    return found


def reopened_context(conn: Connection, rt: Runtime, context: dict[str, Any]) -> dict[str, Any] | None:
    """`context` with the revision's pages re-opened, or None when nothing changes (no flow, no page to re-open)."""
    flow_config = context.get("flowConfig")
    if not isinstance(flow_config, dict):
        return None
    request = revision_request(_ui_record(conn, rt), context)
    if not request.pages:
        return None
    steps = flow_config.get("stepsProgress")
    steps = dict(steps) if isinstance(steps, dict) else {}
    for page in request.pages:
        step = steps.get(page.state_name)
        steps[page.state_name] = {**(step if isinstance(step, dict) else {"number": page.number}), "isCompleted": False}
    return {**context, "flowConfig": {**flow_config, "stepsProgress": steps, "appState": request.start}}
