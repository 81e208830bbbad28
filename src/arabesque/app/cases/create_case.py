"""Use case: "Add Case Manually": the form of a definition, and a submission through `run_workflow`.

The submission is validated against the form's schema (every error keyed by its field), then goes
through the same use case as `POST /run` (upsert the entity, create the runtime, send the initial
event), recording the signed-in user as the creator.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from arabesque.app.access.members import Member, require_role
from arabesque.app.cases.entity_form import entity_schema, parse_form, schema_errors
from arabesque.app.definitions.lookup import compiled_ref, resolve_latest
from arabesque.app.errors import Forbidden, InvalidInput
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database

__all__ = ["CaseForm", "Created", "create_case", "manual_form"]


@dataclass(frozen=True)
class CaseForm:
    definition_id: str
    name: str
    display_name: str
    version: int
    schema: dict[str, Any]
    ui: dict[str, Any]


@dataclass(frozen=True)
class Created:
    runtime_id: str | None
    errors: dict[str, list[str]] = field(default_factory=dict)


def manual_form(db: Database, member: Member, definition: str) -> CaseForm:
    """The form of the latest version of `definition` (id or name); 403 when it forbids manual creation."""
    with db.read() as s:
        ref = resolve_latest(s.connection(), member.project_id, definition)
        record = compiled_ref(s.connection(), ref).record
    if not (record.get("config") or {}).get("enableManualCreation"):
        raise Forbidden(f"Workflow {ref.name} does not allow manual case creation")
    schema, ui = entity_schema(record)
    return CaseForm(ref.id, ref.name, record.get("displayName") or ref.name, ref.version, schema, ui)


def create_case(db: Database, member: Member, definition: str, form: dict[str, str]) -> Created:
    """Start a case from the form's values; `errors` (by field path) when they are invalid."""
    require_role(member, "reviewer")
    spec = manual_form(db, member, definition)
    entity = parse_form(spec.schema, form)
    if not str(entity.get("id") or "").strip():
        entity["id"] = f"manual-{uuid.uuid4().hex[:12]}"
    errors = schema_errors(spec.schema, entity)
    if errors:
        return Created(None, errors)
    body = {"workflowId": spec.definition_id, "context": {"entity": entity, "documents": []}}
    try:
        out = run_workflow(db, member.principal, body)
    except InvalidInput as exc:
        mapped: dict[str, list[str]] = {}
        for err in exc.errors or [{"path": "entity", "message": exc.message}]:
            path = err.get("path", "")
            path = path[len("context.") :] if path.startswith("context.") else path
            mapped.setdefault(path or "entity", []).append(err.get("message", ""))
        return Created(None, mapped)
    return Created(str(out["workflowRuntimeId"]))
