"""The parts of a workflow definition on Ballerine's routes: the definition with its UI definitions and its plugins
(under `/external/workflows/workflow-definition`), the input context schema, its custom data schema, the documents
schema, the statechart, the plugins replaced whole, and a copy (under `/workflow-definition`). Every change adds a
version; running workflows keep theirs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from arabesque.api.definition_bodies import (
    CopyBody,
    CustomDataSchemaBody,
    DefinitionBody,
    DocumentTemplate,
    ExtensionsBody,
    PluginGroups,
)
from arabesque.api.deps import Caller, Db
from arabesque.api.responses import (
    Definition,
    DefinitionChange,
    DefinitionWithUi,
    DocumentsSchema,
    Extensions,
    JsonSchema,
)
from arabesque.api.schemas import error_responses, links
from arabesque.app.definitions.copy_definition import copy_definition
from arabesque.app.definitions.definition_parts import (
    custom_data_schema,
    definition_with_ui,
    documents_schema,
    input_context_schema,
    plugins,
    replace_definition,
    replace_documents_schema,
    replace_extensions,
    set_custom_data_schema,
    set_plugins,
)

__all__ = ["external_router", "router"]

_ERRORS = error_responses(400, 401, 404, 503)
# A change: refused (400) or over the definition limits (413); another change took the version first (409).
_CHANGE = error_responses(409, 413)

external_router = APIRouter(
    prefix="/api/v1/external/workflows/workflow-definition", tags=["definitions"], responses=_ERRORS
)
router = APIRouter(prefix="/api/v1/workflow-definition", tags=["definitions"], responses=_ERRORS)


@external_router.get("/{definition_id}", response_model=DefinitionWithUi, response_model_exclude_unset=True)
def get_with_ui(definition_id: str, who: Caller, db: Db) -> dict[str, Any]:
    """The definition version with this id (else the latest version of this name)."""
    return definition_with_ui(db, who, definition_id)


@external_router.get("/{definition_id}/plugins", response_model=Extensions, response_model_exclude_unset=True)
def get_plugins(definition_id: str, who: Caller, db: Db) -> dict[str, Any]:
    """The plugins (`extensions`) of the latest version of the definition's name; `{}` when there are none."""
    return plugins(db, who, definition_id)


@external_router.put(
    "/{definition_id}/plugins", response_model=Extensions, responses=_CHANGE, response_model_exclude_unset=True
)
def put_plugins(definition_id: str, body: PluginGroups, who: Caller, db: Db) -> dict[str, Any]:
    """A new version whose plugin groups given in the body replace the latest version's; its plugins."""
    return set_plugins(db, who, definition_id, body.model_dump(exclude_unset=True))


@router.get("/{definition_id}/input-context-schema", response_model=JsonSchema, response_model_exclude_unset=True)
def get_input_context_schema(definition_id: str, who: Caller, db: Db) -> dict[str, Any]:
    """The JSON schema `/run` checks a context against (the latest version's); `{}` when there is none."""
    return input_context_schema(db, who, definition_id)


@router.get(
    "/{definition_id}/input-context-schema/custom-data-schema",
    response_model=JsonSchema,
    response_model_exclude_unset=True,
)
def get_custom_data_schema(definition_id: str, who: Caller, db: Db) -> dict[str, Any]:
    """The input context schema's `properties.customData` (the latest version's); `{}` when there is none."""
    return custom_data_schema(db, who, definition_id)


@router.put(
    "/{definition_id}/input-context-schema/custom-data-schema",
    response_model=JsonSchema,
    responses=_CHANGE,
    response_model_exclude_unset=True,
)
def put_custom_data_schema(definition_id: str, body: CustomDataSchemaBody, who: Caller, db: Db) -> dict[str, Any]:
    """A new version whose input context schema has this `customData` schema; the schema."""
    return set_custom_data_schema(db, who, definition_id, body.model_dump(exclude_unset=True))


@router.get("/{definition_id}/documents-schema", response_model=DocumentsSchema, response_model_exclude_unset=True)
def get_documents_schema(definition_id: str, who: Caller, db: Db) -> list[Any]:
    """The document templates (the latest version's); `[]` when there are none."""
    return documents_schema(db, who, definition_id)


@router.put(
    "/{definition_id}/documents-schema",
    response_model=DocumentsSchema,
    responses=_CHANGE,
    response_model_exclude_unset=True,
)
def put_documents_schema(
    definition_id: str, body: Annotated[list[DocumentTemplate], Body()], who: Caller, db: Db
) -> list[Any]:
    """A new version with these document templates; the templates."""
    templates = [t.model_dump(exclude_unset=True) for t in body]
    return replace_documents_schema(db, who, definition_id, templates)


@router.put(
    "/{definition_id}/definition", response_model=DefinitionChange, responses=_CHANGE, response_model_exclude_unset=True
)
def put_definition(definition_id: str, body: DefinitionBody, who: Caller, db: Db) -> dict[str, Any]:
    """A new version with this statechart."""
    return replace_definition(db, who, definition_id, body.definition)


@router.put(
    "/{definition_id}/extensions", response_model=DefinitionChange, responses=_CHANGE, response_model_exclude_unset=True
)
def put_extensions(definition_id: str, body: ExtensionsBody, who: Caller, db: Db) -> dict[str, Any]:
    """A new version with these plugins, replaced whole."""
    return replace_extensions(db, who, definition_id, body.extensions)


@router.post(
    "/{definition_id}/copy",
    status_code=201,
    response_model=Definition,
    responses=error_responses(409, 413)
    | links(201, "id", "definition_id", ("GET", "/api/v1/workflow-definition/{definition_id}")),
    response_model_exclude_unset=True,
)
def copy(definition_id: str, body: CopyBody, who: Caller, db: Db) -> dict[str, Any]:
    """Version 1 of a new definition `name` in the caller's project, a copy of this version (the project's or a
    public template)."""
    return copy_definition(db, who, definition_id, body.name, body.displayName)
