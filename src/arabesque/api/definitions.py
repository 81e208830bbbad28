"""Workflow definitions: create, list, get, upgrade."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from arabesque.api.deps import Caller, Db
from arabesque.api.responses import Definition, DefinitionPage
from arabesque.api.schemas import MAX_LIMIT, MAX_PAGE, UpgradeDefinitionRequest, error_responses, links
from arabesque.app.definitions.create_definition import create_definition
from arabesque.app.definitions.queries import get_definition, list_definitions
from arabesque.app.definitions.upgrade_definition import upgrade_definition

router = APIRouter(prefix="/api/v1/workflow-definition", tags=["definitions"], responses=error_responses(400, 401, 503))


_TO_DEFINITION = links(
    201,
    "id",
    "definition_id",
    ("GET", "/api/v1/workflow-definition/{definition_id}"),
    ("POST", "/api/v1/workflow-definition/{definition_id}/upgrade"),
)


@router.post(
    "",
    status_code=201,
    response_model=Definition,
    responses=error_responses(409, 413) | _TO_DEFINITION,
    response_model_exclude_unset=True,
)
def create(record: Annotated[dict[str, Any], Body()], who: Caller, db: Db) -> dict[str, Any]:
    return create_definition(db, who, record)


@router.get("", response_model=DefinitionPage, response_model_exclude_unset=True)
def list_(
    who: Caller,
    db: Db,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> dict[str, Any]:
    return list_definitions(db, who, page, limit)


@router.get(
    "/{definition_id}", response_model=Definition, responses=error_responses(404), response_model_exclude_unset=True
)
def get(definition_id: str, who: Caller, db: Db) -> dict[str, Any]:
    return get_definition(db, who, definition_id)


@router.post(
    "/{definition_id}/upgrade",
    status_code=201,
    response_model=Definition,
    responses=error_responses(404, 409, 413),
    response_model_exclude_unset=True,
)
def upgrade(definition_id: str, body: UpgradeDefinitionRequest, who: Caller, db: Db) -> dict[str, Any]:
    return upgrade_definition(db, who, definition_id, body.model_dump(exclude_unset=True))
