"""Use cases: the flow saves its progress into the token's runtime (`PUT /collection-flow/sync`, `PATCH
/collection-flow/sync/context`) and sets the runtime's language (`PUT /collection-flow/language`).

What a token holder may write (reference §2.6, §3.8, §3.9; Ballerine's defects §7.2, §7.3, §7.9 not copied):
- only its own runtime, its entity row and its own end user row, all in one transaction with the event;
- only the context keys a flow fills in: `entity.data` (the entity's id, type and `ballerineEntityId` stay),
  `documents` and `flowConfig`; other keys of the body (`pluginsOutput`, `metadata`, the renderer's
  `workflowRuntimeId` and `state`...) are left as stored, so a stale copy in a browser cannot revert what a
  reviewer or a plugin wrote meanwhile;
- a document's `decision` is the reviewer's: a sync keeps the stored one, and resets it to `{}` only when the
  document's pages changed (a re-upload answers a revision request, reference §3.8);
- never on a finished case (409): Ballerine's sync would restart it at its initial state.
The change goes through the engine as `UPDATE_CONTEXT` (top-level keys replaced), with the usual audit record and
webhooks, the actor being the collection flow.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from arabesque.app.collection_flow._flow import LockedFlow, lock_flow
from arabesque.app.collection_flow.access import ACTOR
from arabesque.app.errors import InvalidInput
from arabesque.app.limits import check_context_size
from arabesque.app.retrying import retrying
from arabesque.app.workflows.runtime import env_of, runtime_json, snapshot_of
from arabesque.app.workflows.steps import apply_step, checked_step
from arabesque.engine import Event
from arabesque.engine.merge import deep_merge_with_options
from arabesque.store import Business, Database, EndUser, Transaction, utcnow

__all__ = [
    "END_USER_FIELDS",
    "WRITABLE_KEYS",
    "set_language",
    "sync_flow",
    "sync_flow_context",
    "update_entity",
    "writable_changes",
]

WRITABLE_KEYS = ("entity", "documents", "flowConfig")
END_USER_FIELDS = ("firstName", "lastName", "email", "phone", "dateOfBirth", "additionalInfo", "avatarUrl")
_NAME_COLUMNS = {"firstName": "first_name", "lastName": "last_name", "email": "email"}
_COLUMN_LIMITS = {"first_name": 200, "last_name": 200, "email": 320, "company_name": 500}


def writable_changes(stored: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The top-level keys of `given` a flow may write, made safe against `stored` (module docstring)."""
    out: dict[str, Any] = {}
    if isinstance(given.get("entity"), dict):
        entity: dict[str, Any] = stored["entity"] if isinstance(stored.get("entity"), dict) else {}
        data = given["entity"].get("data")
        if data is not None:
            if not isinstance(data, dict):
                raise InvalidInput(
                    "Validation error", [{"path": "context.entity.data", "message": "must be an object"}]
                )
            out["entity"] = {**entity, "data": data}
    if "documents" in given:
        out["documents"] = _documents(stored.get("documents"), given["documents"])
    if "flowConfig" in given:
        if not isinstance(given["flowConfig"], dict):
            raise InvalidInput("Validation error", [{"path": "context.flowConfig", "message": "must be an object"}])
        out["flowConfig"] = given["flowConfig"]
    return out


def _invalid(path: str, message: str) -> InvalidInput:
    return InvalidInput("Validation error", [{"path": path, "message": message}])


def _documents(stored: Any, given: Any) -> list[Any]:
    if not isinstance(given, list):
        raise InvalidInput("Validation error", [{"path": "context.documents", "message": "must be an array"}])
    before = {d.get("id"): d for d in stored if isinstance(d, dict) and d.get("id")} if isinstance(stored, list) else {}
    out = []
    for i, doc in enumerate(given):
        if not isinstance(doc, dict):
            raise InvalidInput(
                "Validation error", [{"path": f"context.documents[{i}]", "message": "must be an object"}]
            )
        old = before.get(doc.get("id"))
        if old is None:
            decision: Any = {}
        elif old.get("pages") != doc.get("pages"):
            decision = {}  # re-uploaded: the reviewer decides again
        else:
            decision = old.get("decision", {})
        out.append({**doc, "decision": decision})
    return out


def sync_flow(db: Database, token: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """`PUT /sync`: the end user's fields (`data.endUser`), the business's (`data.business`) and the context
    (`data.context`, top-level keys replaced), in one transaction; `data.ballerineEntityId` is ignored (the
    business is the runtime's own)."""

    def attempt() -> dict[str, Any]:
        with db.transaction() as tx:
            flow = lock_flow(tx, token)
            end_user = data.get("endUser")
            if isinstance(end_user, dict) and flow.access.end_user_id is not None:
                update_entity(tx, EndUser, flow.access.project_id, flow.access.end_user_id, _fields(end_user))
            business = data.get("business")
            if isinstance(business, dict) and flow.runtime.business_id is not None:
                update_entity(tx, Business, flow.access.project_id, flow.runtime.business_id, business)
            context = data.get("context")
            if context is not None and not isinstance(context, dict):
                raise InvalidInput("Validation error", [{"path": "data.context", "message": "must be an object"}])
            out = _update_context(tx, flow, writable_changes(flow.runtime.context, context or {}))
            tx.commit()
            return out

    return retrying(attempt)


def sync_flow_context(db: Database, token: str | None, context: dict[str, Any]) -> dict[str, Any]:
    """`PATCH /sync/context`: `context` deep-merged into the stored one (arrays of objects by their `id`, as
    Ballerine's `DEEP_MERGE_CONTEXT`), then written as `sync_flow` writes it."""

    def attempt() -> dict[str, Any]:
        with db.transaction() as tx:
            flow = lock_flow(tx, token)
            stored = flow.runtime.context
            given = {k: context[k] for k in WRITABLE_KEYS if k in context}
            merged = deep_merge_with_options({k: stored.get(k) for k in given if k in stored}, given, "by_id")
            out = _update_context(tx, flow, writable_changes(stored, merged if isinstance(merged, dict) else {}))
            tx.commit()
            return out

    return retrying(attempt)


def _update_context(tx: Transaction, flow: LockedFlow, changes: dict[str, Any]) -> dict[str, Any]:
    rt, defn = flow.runtime, flow.definition
    if changes:
        check_context_size(changes, "context")
        payload = {"context": changes}
        result = checked_step(defn, snapshot_of(rt), Event("UPDATE_CONTEXT", payload), env_of(rt))
        # The timeline shows what the client changed: the keys written, the entity fields and the documents whose
        # files changed; not the values (personal data stays in the case, not its audit trail).
        details: dict[str, Any] = {"keys": sorted(changes)}
        if "entity" in changes:
            before = _dict(rt.context.get("entity"))
            old_data = _dict(before.get("data"))
            new_data = changes["entity"]["data"]
            details["entityFields"] = sorted(k for k in {*old_data, *new_data} if old_data.get(k) != new_data.get(k))
        if "documents" in changes:
            old_docs: list[Any] = rt.context["documents"] if isinstance(rt.context.get("documents"), list) else []
            pages = {d.get("id"): d.get("pages") for d in old_docs if isinstance(d, dict)}
            details["documentsUploaded"] = [
                d.get("id") for d in changes["documents"] if d.get("pages") and pages.get(d.get("id")) != d.get("pages")
            ]
        apply_step(tx, rt, defn, result, ACTOR, "UPDATE_CONTEXT", details, kind="collection flow")
    return runtime_json(rt, defn)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _fields(end_user: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in end_user.items() if k in END_USER_FIELDS}


def update_entity(
    tx: Transaction, model: type[EndUser] | type[Business], project_id: str, key: str, changes: dict[str, Any]
) -> None:
    """Merge `changes` into the row's `data` (and its name and e-mail columns), in the transaction."""
    if not changes:
        return
    found = tx.conn.execute(select(model.data).where(model.id == key, model.project_id == project_id)).first()
    if found is None:
        return  # the entity was removed: nothing to keep in step
    data = {**(found[0] or {}), **{k: v for k, v in changes.items() if k != "ballerineEntityId"}}
    values: dict[str, Any] = {"data": data, "updated_at": utcnow()}
    columns = _NAME_COLUMNS if model is EndUser else {"companyName": "company_name"}
    for field, column in columns.items():
        if isinstance(changes.get(field), str):
            values[column] = changes[field][: _COLUMN_LIMITS[column]]
    tx.conn.execute(update(model).where(model.id == key, model.project_id == project_id).values(values))


def set_language(db: Database, token: str | None, language: str) -> dict[str, Any]:
    """`PUT /language`: `config.language` of the runtime (the language of its e-mails), without an event."""

    def attempt() -> dict[str, Any]:
        with db.transaction() as tx:
            flow = lock_flow(tx, token)
            rt = flow.runtime
            rt.config = {**(rt.config or {}), "language": language}
            rt.updated_at = utcnow()
            tx.runtimes.audit(rt, "collection flow", ACTOR, "language", rt.state, rt.state, {"language": language})
            out = runtime_json(rt, flow.definition)
            tx.commit()
            return out

    return retrying(attempt)
