"""Use case: edit a document's type and properties from the case page (Ballerine's document details form,
§5.6.2, `PATCH workflows/:id/documents/:docId`).

The form (`web/document_form.py`) comes from the definition's `documentsSchema`: the entries of the document's
category (and issuer country, when both say one) give the type choices, and the chosen type's `propertiesSchema`
gives the fields.
The category is never editable (as in Ballerine). Values are coerced from the form (numbers, booleans), empty
ones left out (a cleared field is removed), validated against the `propertiesSchema` with every error named by
its field, and written through the engine's DEEP_MERGE_CONTEXT (the documents array with this document's schema
properties replaced, `arrayMergeOption: replace`), audited as `kind="document"`. Only the case's assignee or an
admin, on a document without a decision, in an active case.
"""

from __future__ import annotations

from typing import Any

from arabesque.app.access.members import Member
from arabesque.app.bounded_schema import bounded_errors, bounded_validator
from arabesque.app.cases.case_actions import authorizer
from arabesque.app.definitions.lookup import definition_for
from arabesque.app.errors import Conflict, InvalidInput, NotFound
from arabesque.app.limits import budget_error, current_limits
from arabesque.app.retrying import retrying
from arabesque.app.workflows.context_diff import document_ref
from arabesque.app.workflows.runtime import env_of, lock_runtime, require_open, snapshot_of
from arabesque.app.workflows.steps import apply_step, checked_step
from arabesque.engine import BudgetExceeded, Event, Meter
from arabesque.store import Database

__all__ = ["document_entries", "edit_document"]


def document_entries(documents_schema: Any, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The `documentsSchema` entries that describe `doc`: its category's, and its issuer country's when both say one."""
    if not isinstance(documents_schema, list):
        return []
    category = doc.get("category")
    country = (doc.get("issuer") or {}).get("country") if isinstance(doc.get("issuer"), dict) else None
    out = []
    for e in documents_schema:
        if not isinstance(e, dict) or e.get("category") != category:
            continue
        e_country = (e.get("issuer") or {}).get("country") if isinstance(e.get("issuer"), dict) else None
        if country and e_country and e_country != country:
            continue
        out.append(e)
    return out


def _coerce(prop: dict[str, Any], raw: str) -> Any:
    t = prop.get("type")
    if t == "boolean":
        return raw in ("on", "true", "1")
    if t in ("number", "integer"):
        try:
            number = float(raw)
        except ValueError:
            return raw  # the validator names it
        return int(number) if t == "integer" and number.is_integer() else number
    if prop.get("format") == "date-time" and len(raw) == 16:
        return raw + ":00"  # as Ballerine: a datetime-local value gets its seconds
    return raw


def edit_document(db: Database, member: Member, runtime_id: str, document_id: str, form: dict[str, str]) -> None:
    """Write the document's type and properties; InvalidInput lists errors by field (`type`, `prop.<name>`)."""
    check = authorizer(member)

    def attempt() -> None:
        with db.transaction() as tx:
            rt = lock_runtime(tx, member.project_id, runtime_id)
            check(tx, rt)
            defn = definition_for(tx.conn, rt)
            docs = [d for d in (rt.context or {}).get("documents") or [] if isinstance(d, dict)]
            doc = next((d for d in docs if d.get("id") == document_id), None)
            if doc is None:
                raise NotFound(f"No document with id [{document_id}] in workflow [{runtime_id}]")
            require_open(rt, defn, "its documents can no longer be edited")
            if isinstance(doc.get("decision"), dict) and doc["decision"].get("status"):
                raise Conflict("This document has a decision; undo it to edit the document")
            entries = document_entries(defn.record.get("documentsSchema"), doc)
            if not entries:
                raise InvalidInput("Validation error", [{"path": "type", "message": "No schema for this document."}])
            wanted = form.get("type") or doc.get("type")
            entry = next((e for e in entries if e.get("type") == wanted), None)
            if entry is None:
                raise InvalidInput("Validation error", [{"path": "type", "message": "Not a type of this category."}])
            raw_schema = entry.get("propertiesSchema")
            schema: dict[str, Any] = raw_schema if isinstance(raw_schema, dict) else {}
            props: dict[str, Any] = {}
            for name, prop in (schema.get("properties") or {}).items():
                raw = form.get(f"prop.{name}", "").strip()
                if isinstance(prop, dict) and (raw or prop.get("type") == "boolean"):
                    props[name] = _coerce(prop, raw)
            limits = current_limits()
            meter = Meter(limits.evaluation, limits.time_left())
            try:
                found = bounded_errors(bounded_validator(schema), props, meter, "documentsSchema.propertiesSchema")
            except BudgetExceeded as exc:
                raise budget_error(exc, "documentsSchema") from exc
            errors = []
            for err in found:
                if err.validator == "required":
                    missing = str(err.message).split("'")[1] if "'" in err.message else ""
                    errors.append({"path": f"prop.{missing}", "message": "This field is required."})
                else:
                    where = ".".join(str(p) for p in err.absolute_path)
                    errors.append({"path": f"prop.{where}" if where else "properties", "message": err.message})
            if errors:
                raise InvalidInput("Validation error", errors)
            # The whole documents array, with this document's schema properties replaced: a field the reviewer
            # cleared is removed (a merge by id keeps its old value); properties outside the schema stay.
            old_props = doc.get("properties")
            described = schema.get("properties") or {}
            kept = {k: v for k, v in old_props.items() if k not in described} if isinstance(old_props, dict) else {}
            edited = {**doc, "type": entry.get("type"), "properties": {**kept, **props}}
            documents = [edited if d is doc else d for d in rt.context["documents"]]
            payload = {"newContext": {"documents": documents}, "arrayMergeOption": "replace"}
            result = checked_step(defn, snapshot_of(rt), Event("DEEP_MERGE_CONTEXT", payload), env_of(rt))
            details = {
                "documentId": document_id,
                "type": entry.get("type"),
                "properties": props,
                "document": document_ref(doc),
                "previous": {"type": doc.get("type"), "properties": old_props if isinstance(old_props, dict) else {}},
            }
            apply_step(tx, rt, defn, result, member.principal.actor, "DEEP_MERGE_CONTEXT", details, kind="document")
            tx.commit()

    retrying(attempt)
