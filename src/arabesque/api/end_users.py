"""End users: create (alone, or with a business), list, read, change, and their workflows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from arabesque.api.deps import Caller, Db
from arabesque.api.entity_bodies import EndUserCreate, EndUserUpdate, EndUserWithBusinessCreate
from arabesque.api.responses import EndUser, EndUserPage, EndUserWithBusiness, EntityWorkflow
from arabesque.api.schemas import MAX_LIMIT, MAX_PAGE, error_responses, links
from arabesque.app.entities.create_entity import create_end_user, create_end_user_with_business
from arabesque.app.entities.queries import entity_workflows, get_end_user, list_entities
from arabesque.app.entities.update_entity import update_end_user
from arabesque.store import EndUser as EndUserRow

router = APIRouter(prefix="/api/v1/external/end-users", tags=["end users"], responses=error_responses(400, 401, 503))

Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]

_TO_END_USER = links(
    201,
    "id",
    "key",
    ("GET", "/api/v1/external/end-users/{key}"),
    ("PUT", "/api/v1/external/end-users/{key}"),
    ("GET", "/api/v1/external/end-users/{key}/workflows"),
)


@router.post(
    "",
    status_code=201,
    response_model=EndUser,
    responses=error_responses(409, 413) | _TO_END_USER,
    response_model_exclude_unset=True,
)
def create(body: EndUserCreate, who: Caller, db: Db) -> dict[str, Any]:
    return create_end_user(db, who, body.model_dump(exclude_unset=True))


@router.post(
    "/create-with-business",
    status_code=201,
    response_model=EndUserWithBusiness,
    responses=error_responses(409, 413) | links(201, "endUserId", "key", ("GET", "/api/v1/external/end-users/{key}")),
    response_model_exclude_unset=True,
)
def create_with_business(body: EndUserWithBusinessCreate, who: Caller, db: Db) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    company = fields.pop("companyName")
    return create_end_user_with_business(db, who, fields, company)


@router.get("", response_model=EndUserPage, response_model_exclude_unset=True)
def list_(who: Caller, db: Db, page: Page = 1, limit: Limit = 20) -> dict[str, Any]:
    return list_entities(db, who, EndUserRow, page, limit)


@router.get("/{key}", response_model=EndUser, responses=error_responses(404), response_model_exclude_unset=True)
def get(key: str, who: Caller, db: Db) -> dict[str, Any]:
    """An end user by its id or its correlation id."""
    return get_end_user(db, who, key)


@router.put("/{key}", response_model=EndUser, responses=error_responses(404, 413), response_model_exclude_unset=True)
def update(key: str, body: EndUserUpdate, who: Caller, db: Db) -> dict[str, Any]:
    return update_end_user(db, who, key, body.model_dump(exclude_unset=True))


@router.get(
    "/{key}/workflows",
    response_model=list[EntityWorkflow],
    responses=error_responses(404),
    response_model_exclude_unset=True,
)
def workflows(key: str, who: Caller, db: Db, page: Page = 1, limit: Limit = MAX_LIMIT) -> list[dict[str, Any]]:
    """The end user's workflows, newest first, `limit` at a time."""
    return entity_workflows(db, who, EndUserRow, key, page, limit)
