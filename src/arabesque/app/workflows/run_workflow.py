"""Use case: run a workflow for an entity (`POST /external/workflows/run`).

One transaction: check the API key, resolve the definition's latest version, validate the context (every
error listed), upsert the entity by (project, correlation id), then either deep-merge the context into the
entity's active runtime of that definition or create a runtime at the initial state (sending
`config.initialEvent` when set), and commit the snapshot, audit records and outbox rows. Document pages given by
`uri` are fetched or decoded before the transaction (after the key is checked) and recorded in it
(`app/files/remote_pages.py`). With the
definition cached and no webhook subscription matching, six statements: the key, the definition, the entity,
the subscriptions, the runtime (inserted once, in its final state), the audit records.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from jsonschema.exceptions import SchemaError

from arabesque.app._ids import new_id
from arabesque.app.access.principal import ApiKeyCredentials, Principal, resolve
from arabesque.app.bounded_schema import bounded_errors, bounded_validator
from arabesque.app.collection_flow.prepare_run import prepare_flow, wants_token
from arabesque.app.definitions.lookup import compiled_ref, definition_for, resolve_latest
from arabesque.app.errors import InvalidInput
from arabesque.app.files.remote_pages import (
    PageSources,
    RemotePages,
    committing,
    load_remote_pages,
    pending_pages,
)
from arabesque.app.limits import budget_error, check_context_size, current_limits
from arabesque.app.workflows._merge import merge_objects
from arabesque.app.workflows.idempotency import idempotent, request_fingerprint
from arabesque.app.workflows.runtime import add_runtime, env_of, new_runtime, snapshot_of
from arabesque.app.workflows.steps import apply_step, checked_step
from arabesque.engine import BudgetExceeded, Event, Meter, start
from arabesque.store import Database, EntityKind, Transaction

__all__ = ["context_errors", "run_workflow"]


def run_workflow(
    db: Database,
    who: Principal | ApiKeyCredentials,
    body: dict[str, Any],
    idempotency_key: str | None = None,
    pages: PageSources | None = None,
) -> dict[str, Any]:
    """`who` may be an API key not checked yet: it is then checked first, in this use case's transaction (or
    before it, when there are document pages to copy: nothing is fetched for an unknown key). `pages`: where
    pages given by `uri` may come from; without it they are kept as they are."""
    fingerprint = request_fingerprint("run", body) if idempotency_key is not None else ""
    remote = RemotePages(pages.files_dir) if pages is not None else None
    if pages is not None and pending_pages(body.get("context")):
        with db.read() as s:
            who = resolve(s.connection(), who)
        remote = load_remote_pages(db, who.project_id, body["context"], pages)

    def attempt() -> dict[str, Any]:
        if remote is not None:
            remote.recorded = False  # this attempt records them, or (a replay, a failure) does not
        with db.transaction() as tx:
            me = resolve(tx.conn, who)
            out = idempotent(tx.conn, me.project_id, idempotency_key, fingerprint, lambda: _run(tx, me, body, remote))
            tx.commit()
            return out

    return committing(remote, attempt)


def _run(tx: Transaction, who: Principal, body: dict[str, Any], remote: RemotePages | None) -> dict[str, Any]:
    row = resolve_latest(tx.conn, who.project_id, str(body["workflowId"]))
    defn = compiled_ref(tx.conn, row)
    limits = current_limits()
    context: dict[str, Any] = body.get("context") or {}
    if remote is not None:
        context = remote.apply(context)
    check_context_size(context, limits=limits)
    meter = Meter(limits.evaluation, limits.time_left())
    try:
        errors = context_errors(defn.context_schema, context, meter)
    except BudgetExceeded as exc:
        raise budget_error(exc, "contextSchema") from exc
    # The service's own entity rules, only where the definition's schema has not already reported the path.
    reported = {e["path"] for e in errors}
    errors += [e for e in _entity_errors(context) if e["path"] not in reported]
    if errors:
        raise InvalidInput("Validation error", errors)
    if remote is not None:
        remote.record(tx.conn, who.project_id, who.actor)
    entity = context["entity"]
    kind: EntityKind = "business" if entity["type"] == "business" else "individual"
    fresh_id = new_id()
    entity_id = tx.entities.upsert(kind, who.project_id, entity["id"], entity.get("data"), fresh_id)
    # The caller's context is not changed: the runtime's is a new one where it differs (the engine shares the
    # rest and treats it as immutable, as it does every context).
    context = {**context, "entity": {**entity, "ballerineEntityId": entity_id}}
    if isinstance(context.get("documents"), list):
        context["documents"] = [
            {**doc, "id": new_id()} if isinstance(doc, dict) and not doc.get("id") else doc
            for doc in context["documents"]
        ]
    config = merge_objects(defn.config, body.get("config"))

    existing = None
    link: str | None = None
    # An entity this statement just inserted (it returned our new id) has no runtimes yet: its row stays
    # locked by the upsert until commit, so no concurrent run can have attached one.
    if not config.get("allowMultipleActiveWorkflows") and entity_id != fresh_id:
        existing = tx.runtimes.lock_active(who.project_id, (kind, entity_id), row.name)
    if existing is not None:
        existing_defn = definition_for(tx.conn, existing)
        payload = {"newContext": context, "arrayMergeOption": "by_id"}
        result = checked_step(
            existing_defn, snapshot_of(existing), Event("DEEP_MERGE_CONTEXT", payload), env_of(existing)
        )
        apply_step(tx, existing, existing_defn, result, who.actor, "DEEP_MERGE_CONTEXT", kind="run")
        runtime = existing
    else:
        # The collection flow's steps, and with `createCollectionFlowToken` the token's end user (reference §1.3a).
        flow = prepare_flow(tx, who.project_id, row, context, config, kind, entity_id)
        context = flow.context
        # Stepped through `initialEvent` in memory: the commit inserts it once, in its final state, with its
        # audit rows (no INSERT then UPDATEs).
        snap = start(defn, context)
        runtime = new_runtime(
            project_id=who.project_id,
            definition=row,
            snapshot=snap,
            config=config,
            actor=who.actor,
            business_id=entity_id if kind == "business" else None,
            end_user_id=entity_id if kind == "individual" else None,
        )
        add_runtime(tx, runtime, who.actor)
        initial = config.get("initialEvent")
        if isinstance(initial, str) and initial:
            result = checked_step(defn, snap, Event(initial), env_of(runtime))
            apply_step(tx, runtime, defn, result, who.actor, initial)
        if wants_token(config) and runtime.status == "active":
            link = flow.issue(tx, who.project_id, runtime.id, who.actor).url
    out: dict[str, Any] = {
        "workflowDefinitionId": row.id,
        "workflowRuntimeId": runtime.id,
        "ballerineEntityId": entity_id,
        "entities": flow.entities if existing is None else [],
    }
    if link is not None:
        out["collectionFlowUrl"] = link  # the token is shown here once; it is never stored in the context
    return out


# Validators by schema object (a compiled definition's schema lives as long as the definition cache keeps
# it; the entry holds the schema, so its id is not reused while the entry exists).
_validators: dict[int, tuple[dict[str, Any], Any, Any]] = {}
_VALIDATORS_MAX = 512


def _validators_for(schema: dict[str, Any]) -> tuple[Any, Any]:
    """(fast, full): `jsonschema-rs` to tell a valid context in about a microsecond (None when it cannot
    compile the schema), `jsonschema` (with bounded patterns) for the error messages (every error)."""
    entry = _validators.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1], entry[2]
    full = bounded_validator(schema)
    make = jsonschema_rs.validator_for if "$schema" in schema else jsonschema_rs.Draft7Validator
    try:
        # offline: a `$ref` to a URL is never fetched (as `jsonschema`, which resolves no remote refs);
        # formats unchecked, as `jsonschema` without a format checker. Patterns run on the linear-time
        # engine (no catastrophic backtracking, ECMAScript's `\d`/`\w`/`$`); one it cannot compile (lookaround,
        # backreferences) leaves the schema to the bounded `jsonschema` path.
        fast = make(schema, validate_formats=False, offline=True, pattern_options=jsonschema_rs.RegexOptions())
    except Exception:  # a schema it cannot compile (remote ref, regex dialect): `jsonschema` alone
        fast = None
    if len(_validators) >= _VALIDATORS_MAX:
        _validators.clear()
    _validators[id(schema)] = (schema, fast, full)
    return fast, full


def context_errors(
    schema: dict[str, Any] | None, context: dict[str, Any], meter: Meter | None = None
) -> list[dict[str, str]]:
    """Every violation of the definition's context schema, as `{path, message}` (paths start at `context`).

    Raises `BudgetExceeded` (its path in `contextSchema`) when validating goes over the meter's limits."""
    if not schema:
        return []
    try:
        fast, validator = _validators_for(schema)
    except SchemaError as exc:  # pragma: no cover - definitions are validated on load
        return [{"path": "contextSchema", "message": exc.message}]
    if fast is not None and fast.is_valid(context):
        return []
    found = bounded_errors(validator, context, meter or Meter(), "contextSchema.schema")
    out = []
    for err in sorted(found, key=lambda e: [str(p) for p in e.absolute_path]):
        parts = ["context", *(str(p) for p in err.absolute_path)]
        if err.validator == "required" and isinstance(err.instance, dict):
            required: list[Any] = err.validator_value if isinstance(err.validator_value, list) else []
            missing = [p for p in required if p not in err.instance and repr(p) in err.message]
            if missing:
                parts.append(str(missing[0]))
        out.append({"path": ".".join(parts), "message": err.message})
    return out


def _entity_errors(context: dict[str, Any]) -> list[dict[str, str]]:
    entity = context.get("entity")
    if not isinstance(entity, dict):
        return [{"path": "context.entity", "message": "an object with type, id and data is required"}]
    errors = []
    if entity.get("type") not in ("business", "individual"):
        errors.append({"path": "context.entity.type", "message": "must be 'business' or 'individual'"})
    if not isinstance(entity.get("id"), str) or not entity["id"].strip():
        errors.append({"path": "context.entity.id", "message": "the entity's correlation id is required"})
    if "data" in entity and not isinstance(entity["data"], dict):
        errors.append({"path": "context.entity.data", "message": "must be an object"})
    docs = context.get("documents")
    if docs is not None and not isinstance(docs, list):
        errors.append({"path": "context.documents", "message": "must be an array"})
    return errors
