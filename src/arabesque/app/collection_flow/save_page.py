"""Use case of the end-user pages: save a page and, on the last page, submit, in one transaction.

The pages (`portal/`) compute what a submitted page writes (`engine.ui_definition`): the context keys a flow may
write (`entity`, `documents`, `flowConfig`, made safe by `sync.writable_changes`), the token holder's own end user
fields, and on the last page the event the UI definition sends. Saving them separately would let a failed submit
leave the progress saying "finished" with the case still waiting, or the reverse; here the `UPDATE_CONTEXT` step,
the end user row, the submit event's step, their audit records and the effects they imply commit together.
"""

from __future__ import annotations

from typing import Any

from arabesque.app.collection_flow._flow import lock_flow, ui_record
from arabesque.app.collection_flow.access import ACTOR
from arabesque.app.collection_flow.events import flow_events
from arabesque.app.collection_flow.sync import END_USER_FIELDS, _update_context, update_entity, writable_changes
from arabesque.app.errors import Forbidden
from arabesque.app.retrying import retrying
from arabesque.app.workflows.runtime import env_of, runtime_json, snapshot_of
from arabesque.app.workflows.steps import apply_step, checked_step
from arabesque.engine import Event
from arabesque.store import Business, Database, EndUser

__all__ = ["save_page"]


def save_page(
    db: Database,
    token: str | None,
    context: dict[str, Any],
    *,
    end_user: dict[str, Any] | None = None,
    submit_event: str | None = None,
) -> dict[str, Any]:
    """Write the page's context (`UPDATE_CONTEXT`, only the keys a flow may write), the end user's own fields and
    the business row (from `entity.data`), then send `submit_event` if given (it must be one the UI definition
    sends). Returns the runtime as the API shows it. Unauthorized for a bad token, Conflict on a finished case,
    InvalidInput when the state does not accept the event (nothing is written then)."""

    def attempt() -> dict[str, Any]:
        with db.transaction() as tx:
            flow = lock_flow(tx, token)
            if end_user and flow.access.end_user_id is not None:
                fields = {k: v for k, v in end_user.items() if k in END_USER_FIELDS}
                update_entity(tx, EndUser, flow.access.project_id, flow.access.end_user_id, fields)
            entity = context.get("entity") if isinstance(context.get("entity"), dict) else {}
            business = entity.get("data") if isinstance(entity, dict) else None
            if isinstance(business, dict) and flow.runtime.business_id is not None:
                # The business row follows what the client typed about it, as the renderer's sync sends it.
                update_entity(tx, Business, flow.access.project_id, flow.runtime.business_id, business)
            out = _update_context(tx, flow, writable_changes(flow.runtime.context, context))
            if submit_event is not None:
                allowed = flow_events(ui_record(tx.conn, flow.access))
                if submit_event not in allowed:
                    raise Forbidden(f"Event {submit_event!r} is not one this collection flow sends")
                rt, defn = flow.runtime, flow.definition
                result = checked_step(defn, snapshot_of(rt), Event(submit_event), env_of(rt))
                apply_step(tx, rt, defn, result, ACTOR, submit_event)
                out = runtime_json(rt, defn)
            tx.commit()
            return out

    return retrying(attempt)
