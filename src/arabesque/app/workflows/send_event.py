"""Use case: send an event to a runtime (`POST /external/workflows/{id}/event`).

One transaction: lock the runtime row, refuse events on a finished runtime (409), step the engine
(400 naming the event, the state and the allowed events when the state does not accept it), write the
snapshot, the audit records and the outbox rows, commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from arabesque.app.access.principal import ApiKeyCredentials, Principal, resolve
from arabesque.app.errors import Conflict
from arabesque.app.limits import check_context_size
from arabesque.app.workflows.idempotency import idempotent, request_fingerprint
from arabesque.app.workflows.runtime import (
    apply_step,
    checked_step,
    definition_for,
    env_of,
    lock_runtime,
    retrying,
    runtime_json,
    snapshot_of,
)
from arabesque.engine import Event
from arabesque.store import Database, WorkflowRuntime

__all__ = ["send_event"]


def send_event(
    db: Database,
    who: Principal | ApiKeyCredentials,
    runtime_id: str,
    name: str,
    payload: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    authorize: Callable[[Session, WorkflowRuntime], None] | None = None,
) -> dict[str, Any]:
    """`authorize`, when given, sees the locked runtime first and raises to refuse (e.g. not the assignee).
    `who` may be an API key not checked yet: it is then checked first, in this use case's transaction."""
    if payload:
        check_context_size(payload, "payload")  # it is merged into, or stored beside, the context
    fingerprint = (
        ""
        if idempotency_key is None
        else request_fingerprint(f"event:{runtime_id}", {"name": name, "payload": payload})
    )

    def work() -> dict[str, Any]:
        with db.write() as s:
            me = resolve(s, who)

            def compute() -> dict[str, Any]:
                rt = lock_runtime(s, me.project_id, runtime_id)
                if authorize is not None:
                    authorize(s, rt)
                defn = definition_for(s, rt)
                if rt.status != "active" or defn.is_final(rt.state):
                    raise Conflict(f"Workflow {runtime_id} is {rt.status} (state {rt.state!r}); it accepts no events")
                result = checked_step(defn, snapshot_of(rt), Event(name, payload), env_of(rt))
                apply_step(s, rt, defn, result, me.actor, name, payload)
                s.flush()
                return runtime_json(rt, defn)

            return idempotent(s, me.project_id, idempotency_key, fingerprint, compute)

    return retrying(work)
