"""UI definitions stored per definition version: taken out of a definition record's `uiDefinition` on upload,
validated (every problem with its path), kept as their own record (`UiDefinition`, as Ballerine keeps them), and
read back for a runtime's flow.

A new version of a definition that does not bring a `uiDefinition` keeps the previous version's (copied to the
new version), so editing a definition's plugins does not drop its collection flow.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arabesque.app._ids import new_id
from arabesque.app._time import iso
from arabesque.app.collection_flow.ui_validation import ui_definition_problems
from arabesque.app.errors import InvalidInput
from arabesque.store import UiDefinition, WorkflowDefinition

__all__ = [
    "UI_DEFINITION_KEY",
    "copy_ui_definition",
    "page_steps",
    "split_ui_definition",
    "store_ui_definition",
    "ui_definition_json",
    "ui_definitions_of",
]

UI_DEFINITION_KEY = "uiDefinition"
# What a UI definition record keeps (Ballerine's columns that mean something to the flow, reference §3.1).
_KEPT = ("name", "displayName", "uiSchema", "definition", "theme", "uiOptions", "locales", "schemaOptions")


def split_ui_definition(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the record without `uiDefinition`, the validated UI definition or None). InvalidInput lists every problem
    of the UI definition, each path starting at `uiDefinition`."""
    if UI_DEFINITION_KEY not in record:
        return record, None
    rest = {k: v for k, v in record.items() if k != UI_DEFINITION_KEY}
    ui = record[UI_DEFINITION_KEY]
    if ui is None:
        return rest, None
    problems = ui_definition_problems(ui)
    if problems:
        raise InvalidInput(
            "Invalid UI definition",
            [{"path": _prefixed(path), "message": message} for path, message in problems],
        )
    assert isinstance(ui, dict)
    return rest, {k: ui[k] for k in _KEPT if k in ui}


def _prefixed(path: str) -> str:
    if not path:
        return UI_DEFINITION_KEY
    return f"{UI_DEFINITION_KEY}{path}" if path.startswith("[") else f"{UI_DEFINITION_KEY}.{path}"


def store_ui_definition(s: Session, row: WorkflowDefinition, ui: dict[str, Any]) -> UiDefinition:
    """Keep `ui` as the UI definition of the definition version `row` (already flushed)."""
    assert row.project_id is not None, "public templates carry no UI definition"
    name = ui.get("name")
    stored = UiDefinition(
        id=new_id(),
        project_id=row.project_id,
        definition_pk=row.pk,
        name=name if isinstance(name, str) and name else f"{row.name}-collection-flow",
        record=ui,
    )
    s.add(stored)
    s.flush()
    return stored


def copy_ui_definition(s: Session, previous_pk: int, row: WorkflowDefinition) -> None:
    """Give the new version `row` the UI definition of the version `previous_pk`, when it had one."""
    found = s.scalars(select(UiDefinition).where(UiDefinition.definition_pk == previous_pk)).first()
    if found is not None:
        store_ui_definition(s, row, {**found.record, "name": found.name})


def ui_definitions_of(s: Session, project_id: str, definition_pk: int) -> list[dict[str, Any]]:
    """The definition version's UI definitions as the definition routes show them (none or one)."""
    rows = s.scalars(
        select(UiDefinition).where(UiDefinition.project_id == project_id, UiDefinition.definition_pk == definition_pk)
    ).all()
    return [ui_definition_json(r) for r in rows]


def ui_definition_json(row: UiDefinition) -> dict[str, Any]:
    return {
        "id": row.id,
        "uiContext": "collection_flow",
        "workflowDefinitionPk": row.definition_pk,
        "createdAt": iso(row.created_at),
        **row.record,
        "name": row.name,
    }


def page_steps(ui: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """`flowConfig.stepsProgress` as `/run` prepares it: one `{number, isCompleted: false}` per top-level page of
    `uiSchema.elements`, keyed by its `stateName` (reference §1.6)."""
    schema = ui.get("uiSchema") if isinstance(ui, dict) else None
    elements = schema.get("elements") if isinstance(schema, dict) else None
    steps: dict[str, dict[str, Any]] = {}
    for page in elements if isinstance(elements, list) else []:
        if isinstance(page, dict) and page.get("type") == "page" and isinstance(page.get("stateName"), str):
            steps[page["stateName"]] = {"number": page.get("number"), "isCompleted": False}
    return steps
