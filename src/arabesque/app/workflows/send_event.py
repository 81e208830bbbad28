"""Use case: send an event to a runtime (`POST /external/workflows/{id}/event`).

One transaction: check the API key, lock the runtime row, refuse events on a finished runtime (409), step the
engine (400 naming the event, the state and the allowed events when the state does not accept it), commit the
snapshot, the audit records and the outbox rows. With the definition cached and no webhook due, four
statements: the key, the runtime (locked), its update, the audit record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arabesque.app.access.principal import ApiKeyCredentials, Principal, resolve
from arabesque.app.definitions.lookup import definition_for
from arabesque.app.errors import Conflict
from arabesque.app.limits import check_context_size
from arabesque.app.retrying import retrying
from arabesque.app.workflows.idempotency import idempotent, request_fingerprint
from arabesque.app.workflows.runtime import env_of, lock_runtime, runtime_json, snapshot_of
from arabesque.app.workflows.steps import apply_step, checked_step
from arabesque.engine import Event
from arabesque.store import Database, Runtime, Transaction

__all__ = ["send_event"]


def send_event(
    db: Database,
    who: Principal | ApiKeyCredentials,
    runtime_id: str,
    name: str,
    payload: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    authorize: Callable[[Transaction, Runtime], None] | None = None,
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

    def attempt() -> dict[str, Any]:
        with db.transaction() as tx:
            me = resolve(tx.conn, who)

            def compute() -> dict[str, Any]:
                rt = lock_runtime(tx, me.project_id, runtime_id)
                if authorize is not None:
                    authorize(tx, rt)
                defn = definition_for(tx.conn, rt)
                if rt.status != "active" or defn.is_final(rt.state):
                    raise Conflict(f"Workflow {runtime_id} is {rt.status} (state {rt.state!r}); it accepts no events")
                result = checked_step(defn, snapshot_of(rt), Event(name, payload), env_of(rt))
                apply_step(tx, rt, defn, result, me.actor, name, payload)
                return runtime_json(rt, defn)

            out = idempotent(tx.conn, me.project_id, idempotency_key, fingerprint, compute)
            tx.commit()
            return out

    return retrying(attempt)
