"""Businesses: create, list, read, change, their workflows; a company's record from the project's registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from arabesque.api.deps import Caller, Db, Outbound
from arabesque.api.entity_bodies import BusinessCreate, BusinessUpdate
from arabesque.api.responses import Business, BusinessInformation, BusinessPage, EntityWorkflow
from arabesque.api.schemas import MAX_LIMIT, MAX_PAGE, RegistryField, error_responses, links
from arabesque.app.entities.business_information import business_information
from arabesque.app.entities.create_entity import create_business
from arabesque.app.entities.queries import entity_workflows, get_business, list_entities
from arabesque.app.entities.update_entity import update_business
from arabesque.store import Business as BusinessRow

router = APIRouter(prefix="/api/v1/external/businesses", tags=["businesses"], responses=error_responses(400, 401, 503))

Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


# Before `/{key}`, which would take `business-information` for a business's id.
@router.get(
    "/business-information",
    response_model=BusinessInformation,
    responses=error_responses(404, 501, 502),
    response_model_exclude_unset=True,
)
def information(
    who: Caller,
    db: Db,
    outbound: Outbound,
    registrationNumber: RegistryField,
    jurisdictionCode: RegistryField,
    vendor: RegistryField = "open-corporates",
) -> dict[str, Any]:
    """The company's record from the registry gateway configured for the project (its secrets `UNIFIED_API_URL`
    and `UNIFIED_API_TOKEN`): 501 without one, 404 when the registry has no such company, 502 when it fails."""
    return business_information(
        db,
        who,
        jurisdictionCode,
        registrationNumber,
        vendor,
        allow_private_urls=outbound.allow_private_urls,
        timeout=outbound.registry_timeout,
    )


_TO_BUSINESS = links(
    201,
    "id",
    "key",
    ("GET", "/api/v1/external/businesses/{key}"),
    ("PUT", "/api/v1/external/businesses/{key}"),
    ("GET", "/api/v1/external/businesses/{key}/workflows"),
)


@router.post(
    "",
    status_code=201,
    response_model=Business,
    responses=error_responses(409, 413) | _TO_BUSINESS,
    response_model_exclude_unset=True,
)
def create(body: BusinessCreate, who: Caller, db: Db) -> dict[str, Any]:
    return create_business(db, who, body.model_dump(exclude_unset=True))


@router.get("", response_model=BusinessPage, response_model_exclude_unset=True)
def list_(who: Caller, db: Db, page: Page = 1, limit: Limit = 20) -> dict[str, Any]:
    return list_entities(db, who, BusinessRow, page, limit)


@router.get("/{key}", response_model=Business, responses=error_responses(404), response_model_exclude_unset=True)
def get(key: str, who: Caller, db: Db) -> dict[str, Any]:
    """A business by its id or its correlation id."""
    return get_business(db, who, key)


@router.put("/{key}", response_model=Business, responses=error_responses(404, 413), response_model_exclude_unset=True)
def update(key: str, body: BusinessUpdate, who: Caller, db: Db) -> dict[str, Any]:
    return update_business(db, who, key, body.model_dump(exclude_unset=True))


@router.get(
    "/{key}/workflows",
    response_model=list[EntityWorkflow],
    responses=error_responses(404),
    response_model_exclude_unset=True,
)
def workflows(key: str, who: Caller, db: Db, page: Page = 1, limit: Limit = MAX_LIMIT) -> list[dict[str, Any]]:
    """The business's workflows, newest first, `limit` at a time."""
    return entity_workflows(db, who, BusinessRow, key, page, limit)
