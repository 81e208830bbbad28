"""Use case: "Add Case Manually": the form of a definition, and a submission through `run_workflow`.

The submission is validated against the form's schema (every error keyed by its field), then goes
through the same use case as `POST /run` (upsert the entity, create the runtime, send the initial
event), recording the signed-in user as the creator.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arabesque.app.access.members import Member, require_role
from arabesque.app.cases.entity_form import entity_schema, parse_form, schema_errors
from arabesque.app.definitions.lookup import compiled_ref, resolve_latest
from arabesque.app.errors import AppError, Forbidden, InvalidInput
from arabesque.app.files.store_file import discard_files, store_file
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database

__all__ = [
    "DEFAULT_DOCUMENT_TYPES",
    "MAX_ATTACHMENTS",
    "Attachment",
    "CaseForm",
    "Created",
    "create_case",
    "document_choices",
    "manual_form",
]

MAX_ATTACHMENTS = 3  # the form's document slots; each file within app/files limits (10 MB, PDF or image...)
# (category, type) offered when the definition has no `documentsSchema`
DEFAULT_DOCUMENT_TYPES = (
    ("identification", "passport"),
    ("identification", "id_card"),
    ("identification", "drivers_license"),
    ("proof_of_address", "utility_bill"),
    ("registration", "certificate_of_incorporation"),
    ("financial", "bank_statement"),
    ("other", "other"),
)


@dataclass(frozen=True)
class CaseForm:
    definition_id: str
    name: str
    display_name: str
    version: int
    schema: dict[str, Any]
    ui: dict[str, Any]
    document_types: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Attachment:
    """A file attached in the form's document slot `slot`, with the document type chosen for it."""

    slot: int
    choice: str  # "<category>/<type>"
    file_name: str
    mime_type: str
    content: bytes


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
    choices = document_choices(record.get("documentsSchema"))
    return CaseForm(ref.id, ref.name, record.get("displayName") or ref.name, ref.version, schema, ui, choices)


def document_choices(documents_schema: Any) -> list[tuple[str, str]]:
    """The (category, type) pairs a document may be attached as: the definition's `documentsSchema`, else a
    common set."""
    pairs = [
        (str(e.get("category")), str(e.get("type")))
        for e in (documents_schema if isinstance(documents_schema, list) else [])
        if isinstance(e, dict) and e.get("category") and e.get("type")
    ]
    return list(dict.fromkeys(pairs)) or list(DEFAULT_DOCUMENT_TYPES)


def create_case(
    db: Database,
    member: Member,
    definition: str,
    form: dict[str, str],
    attachments: Sequence[Attachment] = (),
    files_dir: Path | None = None,
) -> Created:
    """Start a case from the form's values and attached files; `errors` (by field path) when they are invalid.
    The files are stored (through `app/files`, its types and size limits) only once the values are valid, and
    removed again when the case is not created after all (a later file refused, the run refused or failed)."""
    require_role(member, "reviewer")
    spec = manual_form(db, member, definition)
    entity = parse_form(spec.schema, form)
    if not str(entity.get("id") or "").strip():
        entity["id"] = f"manual-{uuid.uuid4().hex[:12]}"
    errors = schema_errors(spec.schema, entity)
    errors.update(_attachment_errors(spec, attachments))
    if errors:
        return Created(None, errors)
    stored: list[str] = []
    created = Created(None)
    try:
        created = _create(db, member, spec, entity, attachments, files_dir, stored)
    finally:
        if created.runtime_id is None and files_dir is not None:  # refused or failed: no file left behind
            discard_files(db, files_dir, member.principal, stored)
    return created


def _create(
    db: Database,
    member: Member,
    spec: CaseForm,
    entity: dict[str, Any],
    attachments: Sequence[Attachment],
    files_dir: Path | None,
    stored: list[str],
) -> Created:
    """Store the attachments (their ids appended to `stored` as they are) and run the workflow."""
    documents: list[dict[str, Any]] = []
    for a in attachments:
        assert files_dir is not None, "attachments need the files directory"
        try:
            file = store_file(db, files_dir, member.principal, a.file_name, a.mime_type, a.content)
        except AppError as exc:
            message = "; ".join(e.get("message", "") for e in exc.errors or []) or exc.message
            return Created(None, {f"documents.{a.slot}.file": [message[:300]]})
        stored.append(file["id"])
        category, _, kind = a.choice.partition("/")
        country = (entity.get("data") or {}).get("country") if isinstance(entity.get("data"), dict) else None
        documents.append(
            {
                "id": str(uuid.uuid4()),
                "category": category,
                "type": kind,
                "issuer": {"country": country} if isinstance(country, str) and country else {},
                "pages": [
                    {
                        "ballerineFileId": file["id"],
                        "type": file.get("mimeType", a.mime_type),
                        "fileName": file.get("fileName", a.file_name),
                    }
                ],
                "properties": {},
            }
        )
    body = {"workflowId": spec.definition_id, "context": {"entity": entity, "documents": documents}}
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


def _attachment_errors(spec: CaseForm, attachments: Sequence[Attachment]) -> dict[str, list[str]]:
    allowed = {f"{c}/{t}" for c, t in spec.document_types}
    errors: dict[str, list[str]] = {}
    if len(attachments) > MAX_ATTACHMENTS:
        errors["documents"] = [f"Attach at most {MAX_ATTACHMENTS} documents."]
    for a in attachments:
        if a.choice not in allowed:
            errors[f"documents.{a.slot}.type"] = ["Choose the document's type."]
    return errors
