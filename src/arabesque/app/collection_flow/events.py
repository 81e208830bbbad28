"""Use cases: the workflow events a token holder may send (`POST /collection-flow/send-event`, `/resubmit`).

Ballerine forwards any event the state accepts, `approve` included (reference §7.1). Here a token holder may send
only the events its UI definition sends to the workflow (its `send-event` plugins: `COLLECTION_FLOW_FINISHED` in
the shipped ones; that event alone when the flow has no UI definition), and never a reviewer's decision, whatever
the UI definition says (403 saying so).
"""

from __future__ import annotations

import re
from typing import Any

from arabesque.app.collection_flow._flow import lock_flow, ui_record
from arabesque.app.collection_flow.access import ACTOR
from arabesque.app.errors import Forbidden, InvalidInput
from arabesque.app.retrying import retrying
from arabesque.app.workflows.runtime import env_of, runtime_json, snapshot_of
from arabesque.app.workflows.steps import apply_step, checked_step
from arabesque.engine import Event
from arabesque.store import Database

__all__ = ["DEFAULT_FLOW_EVENTS", "RESUBMITTED", "REVIEWER_EVENTS", "flow_events", "resubmit", "send_flow_event"]

DEFAULT_FLOW_EVENTS = frozenset({"COLLECTION_FLOW_FINISHED"})
RESUBMITTED = "RESUBMITTED"
# The decisions of Case Management (and their usual spellings): a client never takes them.
REVIEWER_EVENTS = frozenset(
    {"approve", "reject", "revision", "resolve", "ask_for_revision", "return_to_review", "decline", "approved"}
)
_EVENT_NAME = re.compile(r"""eventName\s*:\s*['"`]([^'"`]{1,200})['"`]""")


def flow_events(ui: dict[str, Any] | None) -> frozenset[str]:
    """The workflow events a UI definition sends: the `eventName` its `send-event` plugins map (reference §3.3),
    `RESUBMITTED` (the `resubmit` route's own), or the default when it has none."""
    found: set[str] = set()
    definition = ui.get("definition") if isinstance(ui, dict) else None
    extensions = definition.get("extensions") if isinstance(definition, dict) else None
    plugins = extensions.get("apiPlugins") if isinstance(extensions, dict) else None
    for plugin in plugins if isinstance(plugins, list) else []:
        if not isinstance(plugin, dict) or "send-event" not in str(plugin.get("url") or ""):
            continue
        found.update(_EVENT_NAME.findall(str(plugin.get("request") or "")))
        found.update(_EVENT_NAME.findall(str(plugin.get("requestBody") or "")))
    return frozenset(found) or DEFAULT_FLOW_EVENTS


def _is_reviewer_event(name: str) -> bool:
    return name.strip().lower() in REVIEWER_EVENTS


def send_flow_event(db: Database, token: str | None, name: str) -> dict[str, Any]:
    """Send `name` to the token's runtime, if its UI definition sends it. Forbidden for a reviewer's event or one
    the flow does not send; Conflict on a finished case; InvalidInput when the state does not accept it."""
    if _is_reviewer_event(name):
        raise Forbidden(
            f"Event {name!r} is a reviewer's decision; a collection-flow token cannot send it",
            [{"path": "eventName", "message": "reviewer events are sent from Case Management or with an API key"}],
        )
    return _send(db, token, name, check_allowed=True)


def resubmit(db: Database, token: str | None) -> dict[str, Any]:
    """Send `RESUBMITTED` (reference §2.9): the client has answered the reviewer's revision request."""
    return _send(db, token, RESUBMITTED, check_allowed=False)


def _send(db: Database, token: str | None, name: str, *, check_allowed: bool) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        with db.transaction() as tx:
            flow = lock_flow(tx, token)
            if check_allowed:
                allowed = flow_events(ui_record(tx.conn, flow.access))
                if name not in allowed:
                    raise Forbidden(
                        f"Event {name!r} is not one this collection flow sends; allowed: {sorted(allowed)}",
                        [{"path": "eventName", "message": f"must be one of {sorted(allowed)}"}],
                    )
            rt, defn = flow.runtime, flow.definition
            try:
                result = checked_step(defn, snapshot_of(rt), Event(name), env_of(rt))
            except InvalidInput as exc:  # named as the flow's body names it
                errors = [{**e, "path": "eventName"} if e.get("path") == "name" else e for e in exc.errors or []]
                raise InvalidInput(exc.message, errors) from exc
            apply_step(tx, rt, defn, result, ACTOR, name)
            out = runtime_json(rt, defn)
            tx.commit()
            return out

    return retrying(attempt)
